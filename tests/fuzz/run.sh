#!/usr/bin/env bash
# tests/fuzz/run.sh [csv|centroids|names|h5_table|model|checkpoint|report]: builds one libFuzzer
# harness with clang (ASan+UBSan), replays its regressions and seed corpus,
# then fuzzes for a bounded time (FUZZ_SECONDS, default 60).  Without clang
# it says so and exits 0.
#  csv      the CSV parser (tests/fuzz/fuzz_csv.c), built from its sources.
#           A crash leaves its input in $FUZZ_DIR/csv/artifacts/: copy it
#           into tests/fuzz/regressions/ (csv_fuzz_replay replays that folder).
#  centroids the centroids file of fit --init (fuzz_centroids.c), built from
#           cli/centroids_csv.c; its crashes go into regressions_centroids/.
#  names    the segment names file of report/profile/export --names
#           (fuzz_names.c), built from cli/segment_names.c.
#  h5_table the HDF5 table reader, inspect and a small fit (fuzz_h5_table.c);
#  model    the model reader and assign (fuzz_model.c);
#  checkpoint a fit resumed from a checkpoint (fuzz_checkpoint.c): these
#           three over the whole library, built by CMake in $FUZZ_DIR/lib
#           with -DSTRATA_FUZZ=ON.
#  report   the JSON inputs of `strata report` and the sections drawn from
#           them (fuzz_report_inputs.c), over the library like the three
#           above but fuzzed in-process with the leak check (no HDF5).
#           They run in libFuzzer's fork mode so that a crash inside libhdf5
#           (HDF5 1.10 trusts a file's object headers) does not end the run;
#           tests/fuzz/triage.sh then replays every artifact and fails the
#           run for any that is strata's (FUZZ_STRICT_HDF5=1: for any).
#           Leaks are not checked here (HDF5 leaks on its error paths); the
#           replay ctests check strata's under ASan.  Regressions go into
#           tests/fuzz/regressions_h5/ or regressions_model/.
# FUZZ_ASAN=0 (h5_table, model): the long runs by hand - UBSan and the
# harness's own checks without ASan, scratch files in /dev/shm, for
# FUZZ_SECONDS (default a day).  The library's child reader (io/h5_probe.c)
# forks once per input, which holds a run to 20-160 executions/s, so the
# fuzzing runs with it off (STRATA_H5_CHECK=0) in libFuzzer's fork mode,
# about 1,000-3,500 executions/s: an input on which HDF5 itself crashes
# ends one job.  libFuzzer's signal handlers are off (HDF5's heap
# corruptions deadlocked them in malloc, and with them the whole run); a
# job that dies leaves its input in its scratch file, which is saved.
# Each saved input is then replayed alone with the child reader on, as
# every command reads a file: one that still crashes, breaks a harness
# invariant or times out is a finding (exit 1); one the child reader
# refuses cleanly is counted as HDF5's, caught.  Prints the executions.
# FUZZ_JOBS (default 1): parallel fuzzing jobs of the long run; run it
# under `nice` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARNESS=${1:-csv}
CC=${FUZZ_CC:-clang}
TIME=${FUZZ_SECONDS:-60}
OUT=${FUZZ_DIR:-build-fuzz}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: $CC not found; the fuzz run is skipped (install clang and libclang-rt-14-dev)" >&2
  exit 0
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# in_memory_scratch: a scratch folder in /dev/shm where there is one (a
# harness that writes its input to a file runs about 8x as many executions
# as on a disk), else $work/tmp; removed at exit.
in_memory_scratch() {
  scratch="$work/tmp"
  [ -d /dev/shm ] && [ -w /dev/shm ] && scratch=$(mkdir -p /dev/shm/strata-fuzz && mktemp -d /dev/shm/strata-fuzz/XXXXXX)
  trap '[ "$scratch" != "$work/tmp" ] && rm -rf "$scratch"' EXIT
}

# fuzz_in_process BIN MAX_LEN: fuzzes for $TIME in one process with the
# leak check, for the harnesses whose every crash is strata's; exits.
fuzz_in_process() {
  echo "fuzz: $HARNESS: fuzzing for ${TIME}s (new inputs in $work/corpus)"
  if ! ASAN_OPTIONS=detect_leaks=1 TMPDIR="$scratch" "$1" -max_total_time="$TIME" -max_len="$2" -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" "$seeds" \
    >"$work/fuzz.log" 2>&1; then
    tail -n 40 "$work/fuzz.log" >&2
    echo "fuzz: $HARNESS FAILED; the input is in $work/artifacts/: copy it into ${regs%% *}/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/fuzz.log" || true
  echo "fuzz: $HARNESS ok"
  exit 0
}

# The harnesses built from their parsers' sources alone: a crash is always
# the parser's, so they fuzz in-process.
direct=1
case "$HARNESS" in
  csv)
    SRC=(io/csv_number.c io/csv_text.c io/csv_tokenizer.c io/csv_reader.c io/csv_dict.c io/csv_infer.c
         io/csv_engine.c io/csv_datefmt.c common/status.c common/ctx.c)
    INC=(-Iinclude/strata -Icommon -Iio) seeds=tests/fuzz/corpus regs=tests/fuzz/regressions ;;
  centroids)
    SRC=(cli/centroids_csv.c cli/field_shown.c tests/fuzz/fuzz_scratch.c) INC=(-Iinclude/strata -Icli)
    seeds=tests/fuzz/corpus_centroids regs=tests/fuzz/regressions_centroids ;;
  names)
    SRC=(cli/segment_names.c cli/field_shown.c tests/fuzz/fuzz_scratch.c) INC=(-Iinclude/strata -Icli)
    seeds=tests/fuzz/corpus_names regs=tests/fuzz/regressions_names ;;
  *) direct=0 ;;
esac
if [ "$direct" = 1 ]; then
  work="$OUT/$HARNESS"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  in_memory_scratch
  "$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -D_GNU_SOURCE "${INC[@]}" "tests/fuzz/fuzz_$HARNESS.c" "${SRC[@]}" -lm -o "$OUT/fuzz_$HARNESS"
  echo "fuzz: $HARNESS: replaying the regressions and the seed corpus"
  ASAN_OPTIONS=detect_leaks=1 TMPDIR="$scratch" "$OUT/fuzz_$HARNESS" -runs=0 "$regs" "$seeds" 2>&1 | tail -n 2
  fuzz_in_process "$OUT/fuzz_$HARNESS" 4096
fi

case "$HARNESS" in
  h5_table) seeds=tests/fuzz/corpus_h5 regs=tests/fuzz/regressions_h5 ;;
  model) seeds=tests/fuzz/corpus_model regs="tests/fuzz/regressions_model tests/fuzz/regressions_model_hdf5" ;;
  checkpoint) seeds=tests/fuzz/corpus_checkpoint regs=tests/fuzz/regressions_checkpoint ;;
  report) seeds=tests/fuzz/corpus_report regs=tests/fuzz/regressions_report ;;
  *) echo "fuzz: unknown harness '$HARNESS' (csv, centroids, names, h5_table, model, checkpoint, report)" >&2; exit 2 ;;
esac
# Runaway allocations the child bounds by RLIMIT_AS, which ASan's allocator
# does not feel (tests/fuzz/CMakeLists.txt): replayed without ASan only.
if [ "$HARNESS" = model ] && [ "${FUZZ_ASAN:-1}" = 0 ]; then regs="$regs tests/fuzz/regressions_model_rlimit"; fi
if [ "${FUZZ_ASAN:-1}" = 0 ]; then
  lib="$OUT/lib-fast" asan=OFF sanitizers=undefined flags="-fsanitize=fuzzer-no-link,undefined -fno-sanitize-recover=undefined"
else
  lib="$OUT/lib" asan=ON sanitizers="address,undefined" flags=-fsanitize=fuzzer-no-link
fi
bin="$lib/tests/fuzz/fuzz_$HARNESS"
work="$OUT/$HARNESS"
cmake -S . -B "$lib" -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="${FUZZ_CXX:-clang++}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ=ON -DSTRATA_SANITIZE=$asan -DSTRATA_OPENCL=OFF \
  -DSTRATA_FUZZ_SANITIZERS="$sanitizers" "-DCMAKE_C_FLAGS=$flags" >/dev/null
cmake --build "$lib" -j "$(nproc)" --target "fuzz_$HARNESS" >"$lib/fuzz_build.log" 2>&1 ||
  { tail -n 30 "$lib/fuzz_build.log" >&2; exit 1; }
rm -rf "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
echo "fuzz: $HARNESS: replaying the regressions and the seed corpus"
# The malloc limit is raised for the replay only: regressions_model_hdf5 holds
# files whose object headers declare 2 and 4 GiB chunks, which HDF5 1.10
# allocates (never touching them) before it finds they are past the end of
# the file (see triage.sh); the RSS limit still holds.
# shellcheck disable=SC2086 # regs may name two folders
"$bin" -runs=0 -rss_limit_mb=2048 -malloc_limit_mb=65536 $regs "$seeds" 2>&1 | tail -n 2
# The report's JSON inputs touch no HDF5: in-process, leaks checked, any
# crash is strata's.
if [ "$HARNESS" = report ]; then
  in_memory_scratch
  fuzz_in_process "$bin" 8192
fi
if [ "${FUZZ_ASAN:-1}" = 0 ]; then
  scratch="$work/tmp"
  [ -d /dev/shm ] && [ -w /dev/shm ] && scratch=$(mkdir -p /dev/shm/strata-fuzz && mktemp -d /dev/shm/strata-fuzz/XXXXXX)
  echo "fuzz: $HARNESS: fuzzing with the child reader off, fork mode, for ${FUZZ_SECONDS:-86400}s"
  rc=0
  STRATA_H5_CHECK=0 TMPDIR="$scratch" timeout -s KILL $((${FUZZ_SECONDS:-86400} + 300)) "$bin" -fork="${FUZZ_JOBS:-1}" \
    -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -handle_abrt=0 -handle_segv=0 -handle_bus=0 \
    -handle_ill=0 -handle_fpe=0 -max_total_time="${FUZZ_SECONDS:-86400}" -max_len=32768 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1 || rc=$?
  [ "$rc" -eq 137 ] && echo "fuzz: $HARNESS: the run outlived its time by 300 s (a job hung) and was killed" >&2
  grep -aE '^#[0-9]+: cov' "$work/fuzz.log" | tail -n 1 |
    sed -E 's/^#([0-9]+):.*exec\/s ([0-9]+).*crash: ([0-9/]+).*time: ([0-9]+)s.*/fuzz: executions: \1 in \4 s (last exec\/s \2; oom\/timeout\/crash \3)/' || true
  # A job that died of a signal saved nothing (the handlers are off:
  # HDF5's heap corruptions deadlocked libFuzzer's handler in malloc); the
  # input it ran is its scratch file, which only a clean exit removes.
  salvaged=0
  for f in "$scratch"/strata-fuzz-*; do
    case "$f" in *-labels.h5 | *-saved.h5) continue ;; esac
    [ -f "$f" ] || continue
    cp "$f" "$work/artifacts/salvaged-$(sha1sum "$f" | cut -c1-40)" && salvaged=$((salvaged + 1))
  done
  echo "fuzz: $HARNESS: $salvaged inputs salvaged from jobs that died"
  shopt -s nullglob
  caught=0 found=0
  for a in "$work"/artifacts/*; do
    # Killed, not asked: a crash can deadlock libFuzzer's handlers in malloc.
    if TMPDIR="$scratch" timeout -s KILL 120 "$bin" -handle_abrt=0 -timeout=30 -rss_limit_mb=2048 "$a" \
      >"$work/replay.log" 2>&1; then
      caught=$((caught + 1))
    else
      found=$((found + 1))
      echo "fuzz: FINDING: $a still fails with the child reader on:" >&2
      tail -n 20 "$work/replay.log" >&2
    fi
  done
  [ "$scratch" != "$work/tmp" ] && rm -rf "$scratch"
  echo "fuzz: $HARNESS: $caught inputs that crash HDF5 in-process, each refused by the child reader; $found findings"
  if [ "$found" -ne 0 ]; then
    echo "fuzz: $HARNESS FAILED; the inputs are in $work/artifacts/" >&2
    exit 1
  fi
  echo "fuzz: $HARNESS ok"
  exit 0
fi
echo "fuzz: $HARNESS: fuzzing for ${TIME}s (new inputs in $work/corpus)"
TMPDIR="$work/tmp" "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$TIME" \
  -max_len=32768 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" \
  >"$work/fuzz.log" 2>&1 || true
grep -E '^#[0-9]+: cov' "$work/fuzz.log" | tail -n 1 | sed 's/^/fuzz: last stats: /' || true
shopt -s nullglob
artifacts=("$work"/artifacts/*)
if [ "${#artifacts[@]}" -gt 0 ] && ! tests/fuzz/triage.sh "$bin" "${artifacts[@]}"; then
  echo "fuzz: $HARNESS FAILED; the inputs are in $work/artifacts/: copy strata's into ${regs%% *}/" >&2
  exit 1
fi
echo "fuzz: $HARNESS ok"
