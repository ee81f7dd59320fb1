/* libFuzzer harness of the HDF5 table reader: the input as an HDF5 file,
 * run through what `strata inspect` and `strata fit` do with it - the
 * inspection (columns, types, dictionaries, one statistics pass), the
 * dataset open, a statistics pass in 3-row chunks and a small k-means fit
 * under a 1 MiB memory limit (streaming on odd-sized inputs).  Oracles
 * beyond the sanitizers and libFuzzer's timeout and RSS limit:
 *  - every failure is a status naming the input or the system with a
 *    one-line message, never STRATA_ERR_INTERNAL (fuzz_check_status);
 *  - count + missing + infinite = rows in every column of both passes,
 *    and the two passes agree;
 *  - a fitted model passes the model checks (finite centroids, sizes
 *    summing to the rows used).
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * corpus_h5/ and regressions_h5/, by tests/fuzz/CMakeLists.txt. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"

/* Larger tables are valid input, but fitting them is not what this harness
 * is for (and would hit libFuzzer's timeout): they get the passes only. */
#define MAX_FIT_VALUES ((size_t)1 << 18)

static void check_total(const strata_column_stats *s, uint64_t rows, const char *what) {
  if (s->count + s->missing + s->infinite != rows) fuzz_fail("fuzz_h5_table", what);
}

static void fit(strata_ctx *ctx, strata_dataset *ds, int streaming) {
  size_t rows = strata_dataset_rows(ds), cols = strata_dataset_cols(ds);
  if (rows == 0 || cols == 0 || rows * cols > MAX_FIT_VALUES) return;
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = rows < 3 ? (int)rows : 3;
  p.missing = STRATA_MISSING_MEAN;
  p.max_iter = 5;
  p.seed = 7;
  p.mem_limit = (uint64_t)1 << 20;
  p.streaming = streaming;
  strata_model *m = NULL;
  strata_status st = strata_fit(ctx, ds, &p, &m);
  fuzz_check_status(st, "strata_fit");
  if (st != STRATA_OK) return;
  const strata_model_info *info = strata_model_get_info(m);
  if (!info || info->k != p.k || (size_t)info->d != cols) fuzz_fail("fuzz_h5_table", "model shape");
  int64_t total = 0;
  for (int c = 0; c < info->k; c++) {
    if (info->sizes[c] < 0) fuzz_fail("fuzz_h5_table", "negative segment size");
    total += info->sizes[c];
    for (int j = 0; j < info->d; j++)
      if (!isfinite(info->centroids[(size_t)c * (size_t)info->d + (size_t)j]))
        fuzz_fail("fuzz_h5_table", "a non-finite centroid");
  }
  if ((uint64_t)total != info->rows) fuzz_fail("fuzz_h5_table", "sizes do not sum to the rows used");
  if (!isfinite(info->inertia) || info->inertia < 0) fuzz_fail("fuzz_h5_table", "inertia");
  strata_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_write(data, size, "table.h5");
  strata_ctx *ctx = fuzz_quiet_ctx();

  strata_inspection *r = NULL;
  strata_status st = strata_inspect(ctx, path, NULL, NULL, 0, 0, &r);
  fuzz_check_status(st, "strata_inspect");
  if (st == STRATA_OK)
    for (size_t j = 0; j < r->ncols; j++)
      if (!r->columns[j].categorical) check_total(&r->columns[j].stats, r->rows, "inspect: count + missing + infinite != rows");
  if (st != STRATA_OK && r) fuzz_fail("fuzz_h5_table", "inspect failed but returned a result");

  strata_dataset *ds = NULL;
  st = strata_dataset_open(path, NULL, NULL, 0, &ds);
  fuzz_check_status(st, "strata_dataset_open");
  if (st == STRATA_OK) {
    size_t cols = strata_dataset_cols(ds);
    strata_column_stats *s = calloc(cols ? cols : 1, sizeof *s);
    if (!s) fuzz_fail("fuzz_h5_table", "out of memory in the harness");
    st = strata_dataset_stats(ctx, ds, 3, s);
    fuzz_check_status(st, "strata_dataset_stats");
    if (st == STRATA_OK) {
      for (size_t j = 0; j < cols; j++) check_total(&s[j], strata_dataset_rows(ds), "stats: count + missing + infinite != rows");
      /* Same file, same columns (the numeric ones, in file order): the
       * inspection's pass and this one read the same values. */
      for (size_t j = 0, i = 0; r && j < r->ncols && i < cols; j++) {
        if (r->columns[j].categorical || strcmp(r->columns[j].name, s[i].name) != 0) continue;
        if (r->columns[j].stats.count != s[i].count || r->columns[j].stats.missing != s[i].missing)
          fuzz_fail("fuzz_h5_table", "inspect and stats disagree");
        i++;
      }
      fit(ctx, ds, (int)(size & 1));
    }
    free(s);
  }
  strata_dataset_free(ds);
  strata_inspection_free(r);
  return 0;
}
