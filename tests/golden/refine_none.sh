#!/usr/bin/env bash
# `strata` with --refine none on every fit (fit, stability's refits): what record.sh runs as STRATA for
# the golden_refine_none test (STRATA_REAL names the real tool).
set -euo pipefail
: "${STRATA_REAL:?}"
case "${1:-}" in
  fit | stability)
    cmd=$1
    shift
    exec "$STRATA_REAL" "$cmd" "$@" --refine none
    ;;
esac
exec "$STRATA_REAL" "$@"
