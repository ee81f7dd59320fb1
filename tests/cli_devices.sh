#!/usr/bin/env bash
# `strata devices`: the table and the JSON object list the CPU (always) and
# each OpenCL device with a measured rows/s; --no-measure measures nothing;
# bad options exit 2; without an OpenCL platform only the CPU is listed and
# the reason is given.  Without a usable OpenCL device the device rows cannot
# be checked: the test reports skipped, or fails with CI=true.
NAME=cli_devices
. "$(dirname "$0")/cli_lib.sh"
export STRATA_OPENCL_CACHE="$T/cache"
mkdir -p "$T/no-icd"

# check_json NAME EXPR FILE: EXPR is true of the JSON object j in FILE (cl:
# its OpenCL devices, usable: those of them that are usable).
check_json() {
  local name=$1 expr=$2 file=$3
  if python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
cl = [d for d in j["devices"] if d["kind"] == "opencl"]
usable = [d for d in cl if d["usable"]]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$file" "$expr" 2>"$T/pyerr"; then
    ok "$name"
  else
    bad "$name" "not true: $expr" "$(head -c 300 "$T/pyerr") $(head -c 300 "$file")"
  fi
}

run "$STRATA" devices --k 8 --d 16
if [ "$RC" -eq 0 ] && grep -q "^  NAME" "$T/out" && grep -Eq "^  cpu +cpu" "$T/out"; then ok "table lists the CPU"
else bad "table" "rc=$RC" "$(head -c 400 "$T/out") $(head -c 300 "$T/err")"; fi

# Idle OpenMP workers sleep rather than spin (cli/main.c) unless the user chose.
env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$STRATA" devices --no-measure >"$T/w1" 2>&1
OMP_WAIT_POLICY=active "$STRATA" devices --no-measure >"$T/w2" 2>&1
env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=5000 "$STRATA" devices --no-measure >"$T/w3" 2>&1
if grep -q "^  cpu: .*idle OpenMP threads wait passive (OMP_WAIT_POLICY)$" "$T/w1" &&
  grep -q "^  cpu: .*idle OpenMP threads wait active (OMP_WAIT_POLICY)$" "$T/w2" &&
  grep -q "^  cpu: .*idle OpenMP threads wait after GOMP_SPINCOUNT=5000 spins$" "$T/w3"; then
  ok "OpenMP workers wait passively unless OMP_WAIT_POLICY or GOMP_SPINCOUNT says otherwise"
else bad "OpenMP wait policy" "$(grep 'cpu:' "$T/w1" "$T/w2" "$T/w3")"; fi

run "$STRATA" devices --k 4 --d 3 --json
cp "$T/out" "$T/d.json"
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ "$(wc -l <"$T/d.json")" -eq 1 ]; then ok "--json: one line, nothing on stderr"
else bad "--json" "rc=$RC" "$(head -c 300 "$T/err")"; fi
check_json "--json: shape, the CPU first with its ISA and a rate" \
  'j["k"] == 4 and j["d"] == 3 and j["measured"] and j["devices"][0]["kind"] == "cpu" and j["devices"][0]["backend"] == "cpu" and j["devices"][0]["isa"] in ("scalar", "avx2", "avx512") and j["devices"][0]["rows_per_second"] > 0' \
  "$T/d.json"
# The OpenCL rows (each check names a non-empty list: all() of nothing is true).
if jq_py "$T/d.json" 'any(d["kind"] == "opencl" and d["usable"] for d in j["devices"])' | grep -qx True; then
  check_json "--json: every OpenCL device with its index, platform, memory, units and driver" \
    'len(cl) > 0 and all(d["backend"] == "opencl:%d" % i and d["platform"] and d["global_mem_bytes"] > 0 and d["compute_units"] > 0 and "driver" in d for i, d in enumerate(cl))' \
    "$T/d.json"
  check_json "--json: every usable OpenCL device with a rate" \
    'len(usable) > 0 and all((d["rows_per_second"] or 0) > 0 for d in usable)' "$T/d.json"
else
  unavailable "no usable OpenCL device ($(jq_py "$T/d.json" 'j["opencl_note"]')): the OpenCL rows were not checked"
fi

run "$STRATA" devices --no-measure --json
cp "$T/out" "$T/n.json"
check_json "--no-measure: no rates" \
  'not j["measured"] and len(j["devices"]) > 0 and all(d["rows_per_second"] is None for d in j["devices"])' "$T/n.json"

run env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" devices --json --k 2 --d 2
cp "$T/out" "$T/none.json"
check_json "no platform: only the CPU, and why" \
  'len(j["devices"]) == 1 and j["devices"][0]["kind"] == "cpu" and ("no OpenCL platform" in j["opencl_note"] or "no OpenCL support" in j["opencl_note"])' "$T/none.json"
run env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" devices --no-measure
if [ "$RC" -eq 0 ] && grep -Eq "no OpenCL device: (no OpenCL platform|this build of Strata has no OpenCL support)" "$T/out"; then ok "no platform: the table says why"
else bad "no platform: table" "$(head -c 400 "$T/out")"; fi

expect_error "--k 0 is a usage error" 2 "--k must be at least 1" "$STRATA" devices --k 0
expect_error "unknown option" 2 "unknown option|unrecognized|--frobnicate" "$STRATA" devices --frobnicate
expect_error "stray argument" 2 "unexpected argument" "$STRATA" devices extra
run "$STRATA" devices --help
if [ "$RC" -eq 0 ] && grep -q "usage: strata devices" "$T/out"; then ok "--help"; else bad "--help" "rc=$RC"; fi

finish
