#!/usr/bin/env bash
# The include rules (tests/layers.py): no forbidden arrow between common/,
# io/, kernels/, core/, cli/ and the public header, and no include cycle.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/layers.py" "$here/.."
