/* libFuzzer harness of the CSV importer's parser: the tokenizer, the reader,
 * type inference, conversion and dictionary encoding (io/csv_engine.h),
 * everything but HDF5, over the input as a CSV file, under three option
 * sets (tiny read buffers make records straddle refills).  Oracles beyond
 * the sanitizers:
 *  - no STRATA_ERR_INTERNAL (pass 2 disagreeing with pass 1);
 *  - on success: rows > 0, count + missing = rows in every column, chunks
 *    in order, every code inside its dictionary;
 *  - the number parser agrees with strtod/strtoll on the input's first
 *    line (correct rounding, int64 range).
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * the corpus and the regressions, by tests/fuzz/CMakeLists.txt. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_engine.h"
#include "csv_number.h"
#include "csv_text.h"

#define MAX_COLS 64

typedef struct {
  const csv_table *t;
  uint64_t max_rows, rows;
  size_t chunk_rows;
  uint64_t next_chunk[MAX_COLS];
  int32_t max_code[MAX_COLS];
} check_sink;

static void fail(const char *what) {
  fprintf(stderr, "fuzz_csv: invariant broken: %s\n", what);
  abort();
}

static strata_status sink_begin(void *ctx, const csv_table *t, uint64_t max_rows, size_t chunk_rows) {
  check_sink *k = ctx;
  k->t = t;
  k->max_rows = max_rows;
  k->chunk_rows = chunk_rows;
  if (max_rows == 0 || chunk_rows == 0 || chunk_rows > max_rows) fail("begin: bad sizes");
  for (size_t j = 0; j < MAX_COLS; j++) k->max_code[j] = -1;
  return STRATA_OK;
}

static strata_status sink_chunk(void *ctx, size_t col, uint64_t index, const void *data, size_t rows) {
  check_sink *k = ctx;
  if (col >= k->t->ncols) fail("chunk: column out of range");
  if (rows == 0 || rows > k->chunk_rows) fail("chunk: bad row count");
  if (col < MAX_COLS) {
    if (index != k->next_chunk[col]++) fail("chunk: out of order");
    if (k->t->col[col].type == CSV_TYPE_CATEGORICAL)
      for (size_t i = 0; i < rows; i++) {
        int32_t c = ((const int32_t *)data)[i];
        if (c < -1) fail("chunk: negative code");
        if (c > k->max_code[col]) k->max_code[col] = c;
      }
  }
  if (col == 0) k->rows += rows;
  if (k->rows > k->max_rows) fail("chunk: more rows than pass 1 counted");
  return STRATA_OK;
}

/* Every code is inside the dictionary, every entry is UTF-8 (what HDF5
 * will be told), Latin-1 input included. */
static strata_status sink_dict(void *ctx, size_t col, const csv_dict *d) {
  check_sink *k = ctx;
  if (col < MAX_COLS && k->max_code[col] >= (int64_t)d->n) fail("dict: a code beyond the dictionary");
  for (size_t c = 0; c < d->n; c++) {
    const char *s = csv_dict_string(d, c);
    size_t n = strlen(s);
    if (csv_utf8_check(s, n) != n) fail("dict: an entry that is not UTF-8");
  }
  return STRATA_OK;
}

static void run(const uint8_t *data, size_t size, char delim, int latin1, int skip, size_t buffer) {
  check_sink k;
  memset(&k, 0, sizeof k);
  csv_source src = {-1, (const char *)data, size};
  csv_sink sink = {&k, sink_begin, sink_chunk, sink_dict};
  static strata_ctx *quiet; /* no warnings on stderr */
  if (!quiet && (quiet = strata_ctx_new()) != NULL) strata_ctx_set_log(quiet, NULL, NULL, STRATA_LOG_ERROR);
  csv_engine_params p = {.ctx = quiet, .delimiter = delim, .latin1 = latin1, .skip_bad_rows = skip, .buffer_bytes = buffer,
                         .max_record_bytes = (size_t)1 << 20, .chunk_rows = 3, .name = "fuzz.csv"};
  csv_table t;
  strata_status st = csv_engine_run(&src, &p, &sink, &t);
  if (st == STRATA_ERR_INTERNAL) {
    fprintf(stderr, "fuzz_csv: internal error: %s\n", strata_last_error());
    abort();
  }
  if (st == STRATA_OK) {
    if (t.rows == 0 || t.rows != k.rows) fail("rows");
    for (size_t j = 0; j < t.ncols; j++)
      if (t.col[j].count + t.col[j].missing != t.rows) fail("count + missing != rows");
  }
  csv_table_free(&t);
}

/* The first line of the input as one number. */
static void check_numbers(const uint8_t *data, size_t size) {
  char text[80];
  size_t n = 0;
  while (n < size && n < sizeof text - 1 && data[n] != '\n' && data[n] != '\0') n++;
  memcpy(text, data, n);
  text[n] = '\0';
  double d;
  if (csv_parse_double(text, n, &d) == 1 && isfinite(d)) {
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    double want = strtod_l(text, NULL, c);
    freelocale(c);
    if (memcmp(&d, &want, sizeof d) != 0) {
      fprintf(stderr, "fuzz_csv: '%s' parsed as %.17g, strtod says %.17g\n", text, d, want);
      abort();
    }
  }
  int64_t i;
  int r = csv_parse_int64(text, n, &i);
  if (r != 0) {
    errno = 0;
    long long want = strtoll(text, NULL, 10);
    if ((r == 1) != (errno != ERANGE) || (r == 1 && i != want)) {
      fprintf(stderr, "fuzz_csv: '%s' as int64: %d %lld, strtoll %lld\n", text, r, (long long)i, want);
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run(data, size, 0, 0, 0, 65536);
  run(data, size, 0, 1, 1, 5);
  run(data, size, ';', 0, 1, 16);
  check_numbers(data, size);
  return 0;
}
