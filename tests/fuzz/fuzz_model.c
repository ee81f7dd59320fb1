/* libFuzzer harness of the model reader: the input as a model file, run
 * through what `strata assign` does with it - strata_model_load (which
 * ends with strata_model_check_values) and an assign of a tiny in-memory
 * table with the model's feature names - then a save and a reload of the
 * model.  Oracles beyond the sanitizers and libFuzzer's limits:
 *  - every failure is a status naming the input or the system with a
 *    one-line message, never STRATA_ERR_INTERNAL (fuzz_check_status);
 *  - a model that loads is usable: finite centroids in both units, scale
 *    factors positive and finite, sizes >= 0, d names; its assign labels
 *    every row into [0, k) or, under `drop` or as DBSCAN's noise, leaves
 *    rows out; it saves,
 *    and reloads with the same shape and centroids.
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * corpus_model/ and regressions_model/, by tests/fuzz/CMakeLists.txt. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"

#define ROWS 5

static void check_loaded(const strata_model_info *info) {
  if (!info || info->k < 1 || info->d < 1) fuzz_fail("fuzz_model", "a loaded model without a shape");
  size_t k = (size_t)info->k, d = (size_t)info->d;
  for (size_t j = 0; j < d; j++) {
    if (!info->features[j]) fuzz_fail("fuzz_model", "a feature without a name");
    if (!(info->scale_factor[j] > 0) || !isfinite(info->scale_factor[j]))
      fuzz_fail("fuzz_model", "a scale factor that is not positive and finite");
  }
  for (size_t i = 0; i < k * d; i++)
    if (!isfinite(info->centroids[i]) || !isfinite(info->centroids_original[i]))
      fuzz_fail("fuzz_model", "a non-finite centroid");
  for (size_t c = 0; c < k; c++)
    if (info->sizes[c] < 0) fuzz_fail("fuzz_model", "a negative size");
}

/* ROWS rows around the model's centroids, one value missing where the
 * model's rule allows it. */
static void assign(strata_ctx *ctx, const strata_model *m, const strata_model_info *info) {
  size_t d = (size_t)info->d, k = (size_t)info->k;
  if (d > 4096) return;
  float *x = malloc(ROWS * d * sizeof *x);
  if (!x) fuzz_fail("fuzz_model", "out of memory in the harness");
  for (size_t i = 0; i < ROWS; i++)
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(info->centroids_original[(i % k) * d + j] + (double)i * 0.25);
  if (strcmp(info->missing, "error") != 0) x[d - 1] = NAN;
  strata_dataset *ds = NULL;
  strata_status st = strata_dataset_from_memory(x, ROWS, d, info->features, &ds);
  free(x);
  fuzz_check_status(st, "strata_dataset_from_memory");
  if (st != STRATA_OK) return;
  int64_t *sizes = calloc(k, sizeof *sizes);
  if (!sizes) fuzz_fail("fuzz_model", "out of memory in the harness");
  double inertia = -1;
  st = strata_assign(ctx, m, ds, fuzz_file_write(NULL, 0, "labels.h5"), 0, &inertia, sizes);
  fuzz_check_status(st, "strata_assign");
  if (st == STRATA_OK) {
    int64_t total = 0;
    for (size_t c = 0; c < k; c++) {
      if (sizes[c] < 0) fuzz_fail("fuzz_model", "assign: a negative size");
      total += sizes[c];
    }
    /* Rows left out: dropped for a missing value, or DBSCAN's noise. */
    int leaves_out = strcmp(info->missing, "drop") == 0 || info->core_points != NULL;
    if (total > ROWS || (total < ROWS && !leaves_out))
      fuzz_fail("fuzz_model", "assign: sizes do not sum to the rows");
    if (isnan(inertia) || inertia < 0) fuzz_fail("fuzz_model", "assign: inertia");
  }
  free(sizes);
  strata_dataset_free(ds);
}

static void round_trip(const strata_model *m, const strata_model_info *info) {
  const char *path = fuzz_file_write(NULL, 0, "saved.h5");
  strata_status st = strata_model_save(m, path);
  fuzz_check_status(st, "strata_model_save");
  if (st != STRATA_OK) return;
  strata_model *again = NULL;
  st = strata_model_load(path, &again);
  if (st != STRATA_OK) {
    fprintf(stderr, "fuzz_model: a saved model does not load: %s\n", strata_last_error());
    abort();
  }
  const strata_model_info *b = strata_model_get_info(again);
  if (b->k != info->k || b->d != info->d ||
      memcmp(b->centroids, info->centroids, (size_t)info->k * (size_t)info->d * sizeof *b->centroids) != 0)
    fuzz_fail("fuzz_model", "the reloaded model differs");
  strata_model_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_write(data, size, "model.h5");
  strata_ctx *ctx = fuzz_quiet_ctx();
  strata_model *m = NULL;
  strata_status st = strata_model_load(path, &m);
  fuzz_check_status(st, "strata_model_load");
  if (st != STRATA_OK) {
    if (m) fuzz_fail("fuzz_model", "a failed load returned a model");
    return 0;
  }
  const strata_model_info *info = strata_model_get_info(m);
  check_loaded(info);
  assign(ctx, m, info);
  round_trip(m, info);
  strata_model_free(m);
  return 0;
}
