#!/usr/bin/env bash
# Quick start: install what is missing, build, generate a 1,000,000-row
# synthetic customer table and segment it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ROWS=${ROWS:-1000000}
mkdir -p demo
build/datasets/strata-gen --rows "$ROWS" --seed 1 -o demo/customers.h5
build/cli/strata inspect demo/customers.h5
# customer_id is marked as an identifier, so every other column is a feature.
build/cli/strata fit demo/customers.h5 -k 5 --missing median --seed 1 \
  -o demo/model.h5 --labels demo/labels.h5
