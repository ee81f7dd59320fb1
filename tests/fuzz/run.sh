#!/usr/bin/env bash
# Builds the CSV parser's libFuzzer harness (tests/fuzz/fuzz_csv.c) with
# clang, replays tests/fuzz/regressions and tests/fuzz/corpus, then fuzzes
# for a bounded time (FUZZ_SECONDS, default 60).  A crash leaves its input
# in $FUZZ_DIR/artifacts/: copy it into tests/fuzz/regressions/ (the ctest
# csv_fuzz_replay replays that folder in every build) and fix the parser.
# Without clang it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
TIME=${FUZZ_SECONDS:-60}
OUT=${FUZZ_DIR:-build-fuzz}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: $CC not found; the fuzz run is skipped (install clang and libclang-rt-14-dev)" >&2
  exit 0
fi
mkdir -p "$OUT/corpus" "$OUT/artifacts"
SRC=(io/csv_number.c io/csv_text.c io/csv_tokenizer.c io/csv_reader.c io/csv_dict.c io/csv_infer.c
     io/csv_engine.c io/csv_datefmt.c common/status.c common/ctx.c)
"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -D_GNU_SOURCE -Iinclude/strata -Icommon -Iio tests/fuzz/fuzz_csv.c "${SRC[@]}" -lm -o "$OUT/fuzz_csv"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz: replaying the regressions and the seed corpus"
"$OUT/fuzz_csv" -runs=0 tests/fuzz/regressions tests/fuzz/corpus 2>&1 | tail -n 2
echo "fuzz: fuzzing for ${TIME}s (new inputs in $OUT/corpus)"
if ! "$OUT/fuzz_csv" -max_total_time="$TIME" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" tests/fuzz/corpus \
  >"$OUT/fuzz.log" 2>&1; then
  tail -n 40 "$OUT/fuzz.log" >&2
  echo "fuzz: FAILED; the input is in $OUT/artifacts/: copy it into tests/fuzz/regressions/" >&2
  exit 1
fi
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$OUT/fuzz.log" || true
echo "fuzz: ok"
