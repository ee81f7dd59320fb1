#!/usr/bin/env bash
# `strata fit --backend opencl` against `--backend ref` end to end, and the
# ways the OpenCL backend fails.
#
# With a device: on well-separated data of several shapes (k = 1, k = n,
# empty-cluster-prone k, missing values dropped), fits started from the same
# centroids give equal labels, centroids and inertia within 1e-5 relative
# and the same iteration count; chunk size and streaming do not change a
# bit; `assign` with an OpenCL model reproduces the fit's labels; a build
# failure, a missing device and a device lost mid-run exit 1 with one error
# line and leave no file; under auto a device lost mid-run costs one warning
# and the answer of the CPU.  Streamed fits scale the raw rows on the device:
# the same bits as host scaling (STRATA_OPENCL_HOST_SCALE=1), resident or
# streamed on the device; missing=drop and in-memory data keep host scaling;
# Inf and a NaN under --missing error give the CPU backend's exact error.
# Always (no device needed): no OpenCL platform (OCL_ICD_VENDORS pointing at
# an empty folder) makes --backend opencl exit 1 cleanly and auto run quietly
# on the CPU.
NAME=cli_opencl
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

W="$T/work"
mkdir -p "$W" "$T/no-icd"
# Programs are cached in the test's own folder, never in ~/.cache.
export STRATA_OPENCL_CACHE="$T/cache"
unset STRATA_OPENCL_FAULT STRATA_OPENCL_EXTRA_OPTIONS STRATA_AUTO_OPENCL_CPU STRATA_AUTO_MARGIN

# check NAME PYTHON-EXPR FILE...: the expression over the JSON objects a, b,
# ... (one per file) is true.
check_py() {
  local name=$1 expr=$2
  shift 2
  if python3 -c 'import json,sys
objs = [json.load(open(f)) for f in sys.argv[2:]]
a = objs[0]; b = objs[1] if len(objs) > 1 else None
def rel(x, y): return abs(x - y) <= 1e-5 * max(abs(x), abs(y), 1e-300)
def crel(p, q): return all(rel(x, y) for r, s in zip(p, q) for x, y in zip(r, s))
sys.exit(0 if eval(sys.argv[1]) else 1)' "$expr" "$@" 2>"$T/pyerr"; then
    ok "$name"
  else
    bad "$name" "not true: $expr" "$(head -c 300 "$T/pyerr")"
  fi
}

# ---- no OpenCL platform (always) ------------------------------------------
"$STRATA_GEN" --kind blobs --dims 40 --centers 30 --rows 200000 --seed 5 --separation 3 -o "$W/big.h5"
"$STRATA_GEN" --kind blobs --dims 16 --centers 8 --rows 30000 --seed 7 --separation 4 -o "$W/b16.h5"
expect_error_clean "no platform: --backend opencl exits 1" 1 "no usable OpenCL device.*no OpenCL (platform|support)" "$W" \
  env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/m.h5" --labels "$W/l.h5" --backend opencl
# A job big enough for auto to look for devices (2nkd > 4e9 flops per pass).
# (--min-segment-share 0: k = 300 on 30 blobs leaves tiny segments, whose warning is not this test's subject)
run env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" fit "$W/big.h5" -k 300 -o "$W/m_noicd.h5" --max-iter 3 --min-segment-share 0 --json
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then ok "no platform: auto runs on the CPU, nothing on stderr"
else bad "no platform: auto" "rc=$RC" "$(head -c 400 "$T/err")"; fi
run env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" fit "$W/big.h5" -k 300 -o "$W/m_noicd.h5" --max-iter 3 --min-segment-share 0 -v
if grep -Eq "no OpenCL (platform|support)" "$T/err" && ! grep -q "warning" "$T/err"; then ok "no platform: auto says why at -v (info, not a warning)"
else bad "no platform: auto -v" "$(head -c 400 "$T/err")"; fi

# ---- is there a device? ---------------------------------------------------
if ! "$STRATA" devices --no-measure --json | python3 -c 'import json,sys
sys.exit(0 if any(d["kind"] == "opencl" and d["usable"] for d in json.load(sys.stdin)["devices"]) else 1)'; then
  unavailable "no OpenCL device ($("$STRATA" devices --no-measure --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["opencl_note"])')): fit --backend opencl against ref did not run"
  finish
fi

# ---- opencl against ref -----------------------------------------------------
"$STRATA_GEN" --kind blobs --dims 3 --centers 50 --rows 20000 --seed 8 --separation 6 -o "$W/b3.h5"
"$STRATA_GEN" --kind blobs --dims 40 --centers 120 --rows 12000 --seed 9 --separation 5 -o "$W/b40.h5"
"$STRATA_GEN" --kind blobs --dims 5 --centers 64 --rows 64 --seed 10 -o "$W/tiny.h5"
"$STRATA_GEN" --rows 20000 --seed 11 --missing 0.05 --segments 6 --separation 4 -o "$W/cust.h5"

# compare TAG DATA K [fit options]: fits with ref and opencl from the same
# initial centroids (ref's k-means++ result after one iteration).
compare() {
  local tag=$1 data=$2 k=$3
  shift 3
  "$STRATA" fit "$data" -k "$k" -o "$W/init_$tag.h5" --backend ref --max-iter 1 --json "$@" >"$T/init.json"
  python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(",".join(j["features"]))
for r in j["centroids"]: print(",".join(repr(v) for v in r))' "$T/init.json" >"$W/init_$tag.csv"
  local be
  for be in ref opencl; do
    run "$STRATA" fit "$data" -k "$k" -o "$W/m_${tag}_$be.h5" --labels "$W/l_${tag}_$be.h5" \
      --init "$W/init_$tag.csv" --backend "$be" --json "$@"
    cp "$T/out" "$T/${tag}_$be.json"
    if [ "$RC" -ne 0 ]; then bad "$tag: fit --backend $be" "rc=$RC" "$(head -c 400 "$T/err")"; return; fi
  done
  if labels_equal "$W/l_${tag}_ref.h5" "$W/l_${tag}_opencl.h5" >/dev/null; then ok "$tag: labels equal ref's"
  else bad "$tag: labels differ from ref's"; fi
  check_py "$tag: centroids and inertia within 1e-5 of ref's, same iterations, backend named" \
    'crel(a["centroids"], b["centroids"]) and rel(a["inertia"], b["inertia"]) and a["iterations"] == b["iterations"] and a["sizes"] == b["sizes"] and b["backend"].startswith("opencl:")' \
    "$T/${tag}_ref.json" "$T/${tag}_opencl.json"
}
compare d16k8 "$W/b16.h5" 8
compare d3k50 "$W/b3.h5" 50
compare d40k150 "$W/b40.h5" 150          # more clusters than blobs: empty clusters re-seeded
compare k1 "$W/b16.h5" 1
compare k_eq_n "$W/tiny.h5" 64
compare missing_drop "$W/cust.h5" 6 --missing drop
compare missing_mean_minmax "$W/cust.h5" 6 --missing mean --scale minmax

# ---- determinism: chunking and streaming change nothing -------------------
run "$STRATA" fit "$W/b3.h5" -k 50 -o "$W/m_a.h5" --backend opencl --json --seed 3
cp "$T/out" "$T/a.json"
run "$STRATA" fit "$W/b3.h5" -k 50 -o "$W/m_b.h5" --backend opencl --json --seed 3 --chunk-rows 4096 --streaming
cp "$T/out" "$T/b.json"
check_py "chunk size and streaming: identical centroids and inertia" \
  'a["centroids"] == b["centroids"] and a["inertia"] == b["inertia"] and a["iterations"] == b["iterations"] and b["mode"] == "streaming"' \
  "$T/a.json" "$T/b.json"
run "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/m_kpp_cpu.h5" --backend cpu --json --seed 4
cp "$T/out" "$T/kpp_cpu.json"
run "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/m_kpp_ocl.h5" --labels "$W/l_kpp_ocl.h5" --backend opencl --json --seed 4 --n-init 2
cp "$T/out" "$T/kpp_ocl.json"
run "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/m_kpp_cpu2.h5" --backend cpu --json --seed 4 --n-init 2
cp "$T/out" "$T/kpp_cpu2.json"
# Up to the order of the segments: restarts that reach the same solution may
# differ in the last bit of their inertia (the CPU table's distances are
# float32), which decides which restart is kept.
check_py "k-means++ with 2 restarts: opencl finds cpu's segments" \
  'crel(sorted(a["centroids"]), sorted(b["centroids"])) and rel(a["inertia"], b["inertia"]) and sorted(a["sizes"]) == sorted(b["sizes"])' \
  "$T/kpp_cpu2.json" "$T/kpp_ocl.json"

# ---- the scaler on the device ----------------------------------------------
# Streamed fits (the pass keeps no scaled copy in memory) hand the RAW rows to
# the device, which scales them; STRATA_OPENCL_HOST_SCALE=1 keeps the host's
# scaling.  Both must give the same bits (centroids, inertia, sizes, labels
# and distances), with the data resident on the device or streamed to it.
"$STRATA_GEN" --kind blobs --dims 1 --centers 4 --rows 9000 --seed 13 --separation 6 -o "$W/b1.h5"
scale_compare() {
  local tag=$1 expect=$2 data=$3 k=$4 v
  shift 4
  for v in host dev; do
    local hs=0
    [ "$v" = host ] && hs=1
    run env STRATA_OPENCL_HOST_SCALE=$hs "$STRATA" fit "$data" -k "$k" -o "$W/m_s_${tag}_$v.h5" \
      --labels "$W/l_s_${tag}_$v.h5" --backend opencl --seed 5 --json -v "$@"
    cp "$T/out" "$T/s_${tag}_$v.json"
    cp "$T/err" "$T/s_${tag}_$v.err"
    if [ "$RC" -ne 0 ]; then bad "$tag: fit ($v scaling)" "rc=$RC" "$(head -c 400 "$T/err")"; return; fi
  done
  local said=host
  grep -q "raw rows scaled on the device" "$T/s_${tag}_dev.err" && said=device
  if [ "$said" = "$expect" ] && ! grep -q "raw rows scaled on the device" "$T/s_${tag}_host.err"; then
    ok "$tag: rows scaled on the $expect"
  else bad "$tag: rows scaled on the $said, expected the $expect" "$(grep -i scale "$T/s_${tag}_dev.err" | head -3)"; fi
  check_py "$tag: device and host scaling give identical centroids, inertia, sizes, iterations" \
    'a["centroids"] == b["centroids"] and a["inertia"] == b["inertia"] and a["sizes"] == b["sizes"] and a["iterations"] == b["iterations"]' \
    "$T/s_${tag}_host.json" "$T/s_${tag}_dev.json"
  local ds
  for ds in segment distance; do
    if cmp -s <(h5dump -m '%.9g' -d /$ds -y -w 0 "$W/l_s_${tag}_host.h5" | sed 1,2d) \
              <(h5dump -m '%.9g' -d /$ds -y -w 0 "$W/l_s_${tag}_dev.h5" | sed 1,2d); then
      ok "$tag: identical /$ds"
    else bad "$tag: /$ds differs between device and host scaling"; fi
  done
}
scale_compare mean_resident device "$W/cust.h5" 6 --streaming --missing mean
STRATA_OPENCL_RESIDENT=0 scale_compare median_streamed device "$W/cust.h5" 6 --streaming --missing median --scale minmax
scale_compare d3_chunks device "$W/b3.h5" 50 --streaming --chunk-rows 4096
scale_compare d1_k1 device "$W/b1.h5" 1 --streaming
# Where the host must scale anyway: dropping rows, and data kept in memory.
scale_compare drop_on_host host "$W/cust.h5" 6 --streaming --missing drop
scale_compare in_memory_on_host host "$W/cust.h5" 6 --missing mean

# Values the scaler rejects: `assign --no-drift` (no statistics pass to catch
# them first; the device scales) gives the CPU backend's very error and exit
# status, no file.
"$STRATA_GEN" --rows 9000 --seed 21 --missing 0 -o "$W/c_clean.h5"
"$STRATA_GEN" --rows 9000 --seed 21 --missing 0 --inf -o "$W/c_inf.h5"
"$STRATA_GEN" --rows 9000 --seed 21 --missing 0.01 -o "$W/c_nan.h5"
for be in cpu opencl; do
  "$STRATA" fit "$W/c_clean.h5" -k 4 -o "$W/m_err_$be.h5" --backend "$be" --missing mean --seed 1 >/dev/null
  "$STRATA" fit "$W/c_clean.h5" -k 4 -o "$W/m_errnan_$be.h5" --backend "$be" --seed 1 >/dev/null
done
# Drift statistics read the scaled rows on the host: only --no-drift leaves
# the scaling to the device.
run "$STRATA" assign "$W/m_err_opencl.h5" "$W/c_clean.h5" --labels "$W/l_err_ok.h5" --no-drift -v
if [ "$RC" -eq 0 ] && grep -q "raw rows scaled on the device" "$T/err"; then ok "assign --no-drift with an opencl model scales on the device"
else bad "assign: device scaling" "rc=$RC" "$(head -c 400 "$T/err")"; fi
run "$STRATA" assign "$W/m_err_opencl.h5" "$W/c_clean.h5" --labels "$W/l_err_drift.h5" --json -v
cp "$T/out" "$T/drift_host.json"
if [ "$RC" -eq 0 ] && ! grep -q "raw rows scaled on the device" "$T/err"; then ok "assign with drift scales on the host"
else bad "assign with drift: host scaling expected" "rc=$RC" "$(head -c 400 "$T/err")"; fi
if labels_equal "$W/l_err_ok.h5" "$W/l_err_drift.h5" >/dev/null; then ok "assign: same labels with device and host scaling"
else bad "assign: labels differ between device and host scaling"; fi
# Transforms (fit --transform) stay on the host: the device scales with
# shift and factor only.  Same labels as the CPU backend, fit and assign.
TFO="income:yeo-johnson,purchase_frequency:log1p,recency_days:clip(p1,p99)"
for be in cpu opencl; do
  run "$STRATA" fit "$W/c_clean.h5" -k 4 -o "$W/m_tf_$be.h5" --labels "$W/l_tf_$be.h5" --backend "$be" --seed 1 \
    --streaming --transform "$TFO" --scale robust -v
done
if [ "$RC" -eq 0 ] && ! grep -q "raw rows scaled on the device" "$T/err" &&
  labels_equal "$W/l_tf_cpu.h5" "$W/l_tf_opencl.h5" >/dev/null; then
  ok "fit --transform on opencl: host scaling, the CPU's labels"
else bad "fit --transform on opencl" "rc=$RC" "$(head -c 400 "$T/err")"; fi
run "$STRATA" assign "$W/m_tf_opencl.h5" "$W/c_clean.h5" --labels "$W/l_tf_assign.h5" --no-drift -v
if [ "$RC" -eq 0 ] && ! grep -q "raw rows scaled on the device" "$T/err" &&
  labels_equal "$W/l_tf_opencl.h5" "$W/l_tf_assign.h5" >/dev/null; then
  ok "assign of a transformed model on opencl: host scaling, fit's labels"
else bad "assign of a transformed model on opencl" "rc=$RC" "$(head -c 400 "$T/err")"; fi
reject_compare() {
  local tag=$1 model=$2 data=$3 re=$4
  run "$STRATA" assign "$W/${model}_cpu.h5" "$data" --labels "$W/l_rej.h5" --no-drift
  local want_rc=$RC want_err
  want_err=$(cat "$T/err")
  if [ "$want_rc" -ne 1 ] && [ "$want_rc" -ne 2 ]; then bad "$tag: the CPU backend does not reject it" "rc=$want_rc"; return; fi
  expect_error_clean "$tag: opencl rejects it" "$want_rc" "$re" "$W" \
    "$STRATA" assign "$W/${model}_opencl.h5" "$data" --labels "$W/l_rej.h5" --no-drift
  if [ "$(cat "$T/err")" = "$want_err" ]; then ok "$tag: the CPU backend's exact message"
  else bad "$tag: messages differ" "cpu:    $want_err" "opencl: $(cat "$T/err")"; fi
}
reject_compare "Inf" m_err "$W/c_inf.h5" "infinite value at row 3"
reject_compare "NaN under --missing error" m_errnan "$W/c_nan.h5" "missing value \\(NaN\\) at row"

# ---- assign with an OpenCL model reproduces the fit's labels ---------------
run "$STRATA" assign "$W/m_kpp_ocl.h5" "$W/b16.h5" --labels "$W/l_assign.h5" --json
if [ "$RC" -eq 0 ] && labels_equal "$W/l_kpp_ocl.h5" "$W/l_assign.h5" >/dev/null; then ok "assign with an opencl model: same labels"
else bad "assign with an opencl model" "rc=$RC" "$(head -c 300 "$T/err")"; fi

# ---- explicit opencl that cannot run: exit 1, one line, no file -----------
expect_error_clean "forced build failure" 1 "OpenCL program build failed.*STRATA_FORCE_BUILD_ERROR" "$W" \
  env STRATA_OPENCL_EXTRA_OPTIONS=-DSTRATA_FORCE_BUILD_ERROR "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/x.h5" \
  --labels "$W/xl.h5" --backend opencl
expect_error_clean "no such device" 1 "no OpenCL device 99" "$W" \
  "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/x.h5" --backend opencl:99
expect_error_clean "malformed device name" 2 "opencl:N" "$W" \
  "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/x.h5" --backend opencl:first
expect_error_clean "device lost mid-run" 1 "clEnqueueNDRangeKernel\\(.*\\) failed: CL_DEVICE_NOT_AVAILABLE" "$W" \
  env STRATA_OPENCL_FAULT=launch:5 "$STRATA" fit "$W/b16.h5" -k 8 -o "$W/x.h5" --labels "$W/xl.h5" --backend opencl

# ---- auto: a device lost mid-run falls back to the CPU --------------------
# STRATA_AUTO_OPENCL_CPU=1 lets auto consider this CPU device and
# STRATA_AUTO_MARGIN=0 makes it choose the device; launch 9 is past the
# calibration (3 passes of 2 launches) and inside the first Lloyd pass.
run env STRATA_AUTO_OPENCL_CPU=1 STRATA_AUTO_MARGIN=0 STRATA_OPENCL_FAULT=launch:9 \
  "$STRATA" fit "$W/big.h5" -k 300 -o "$W/m_lost.h5" --labels "$W/l_lost.h5" --max-iter 3 --min-segment-share 0 --json
cp "$T/out" "$T/lost.json"
if [ "$RC" -eq 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
   grep -q "^strata: warning: OpenCL device 0 .* failed: .*CL_DEVICE_NOT_AVAILABLE.*; continuing on the CPU" "$T/err"; then
  ok "auto: a lost device costs exactly one warning"
else bad "auto: lost device" "rc=$RC" "$(head -c 600 "$T/err")"; fi
run env OCL_ICD_VENDORS="$T/no-icd" "$STRATA" fit "$W/big.h5" -k 300 -o "$W/m_cpu_big.h5" --labels "$W/l_cpu_big.h5" --max-iter 3 --json
cp "$T/out" "$T/cpu_big.json"
if labels_equal "$W/l_cpu_big.h5" "$W/l_lost.h5" >/dev/null; then ok "auto after a lost device: the CPU's labels"
else bad "auto after a lost device: labels differ from the CPU's"; fi
check_py "auto after a lost device: the CPU's centroids, bit for bit" \
  'a["centroids"] == b["centroids"] and rel(a["inertia"], b["inertia"]) and a["backend"] == "opencl:0"' \
  "$T/lost.json" "$T/cpu_big.json"

finish
