/* strata_assign_memory (the labels of a binding, into its arrays) against
 * its oracle, strata_assign's labels file, and against the labels file
 * strata_fit writes: the same segments and distances bit for bit, for
 * shapes that are not multiples of the block size, k = 1 and k = n,
 * duplicated rows, missing values dropped (-1, NaN), any chunk size and
 * thread count; a NULL distance array; NULL arguments refused. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strata.h"

static char tmpdir[512];

/* Reads rows entries of a labels file's column. */
static int read_column(const char *path, const char *name, hid_t type, void *out) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  int rc = d >= 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0 ? 0 : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(f);
  return rc;
}

static size_t differ(const void *a, const void *b, size_t n, size_t size) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += memcmp((const char *)a + i * size, (const char *)b + i * size, size) != 0;
  return bad;
}

/* One shape: fit with a labels file, then assign to a file and to memory. */
static void run_case(size_t n, size_t d, int k, int with_missing, int duplicates, unsigned seed) {
  float *x = malloc(n * d * sizeof *x);
  srand(seed);
  for (size_t i = 0; i < n; i++) {
    size_t src = duplicates ? (size_t)rand() % 7 : i;
    for (size_t j = 0; j < d; j++)
      x[i * d + j] = (float)((src * 31 + j * 17) % 101) * 0.37f + (float)(rand() % 1000) * (duplicates ? 0 : 1e-3f);
    if (duplicates) memcpy(x + i * d, x + (i % 7) * d, d * sizeof *x);
  }
  if (with_missing)
    for (size_t i = 3; i < n; i += 11) x[i * d + (i % d)] = NAN;
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, d, NULL, &ds));
  char fit_labels[600], file_labels[600];
  snprintf(fit_labels, sizeof fit_labels, "%s/am_fit_%u.h5", tmpdir, seed);
  snprintf(file_labels, sizeof file_labels, "%s/am_assign_%u.h5", tmpdir, seed);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = k;
  p.seed = seed;
  p.missing = with_missing ? STRATA_MISSING_DROP : STRATA_MISSING_ERROR;
  p.labels_path = fit_labels;
  strata_model *m = NULL;
  CHECK_OK(strata_fit(NULL, ds, &p, &m));
  if (!m) {
    strata_dataset_free(ds);
    free(x);
    return;
  }
  int64_t *sizes_file = calloc((size_t)k, sizeof *sizes_file), *sizes_mem = calloc((size_t)k, sizeof *sizes_mem);
  double inertia_file = 0, inertia_mem = -1;
  CHECK_OK(strata_assign(NULL, m, ds, file_labels, 0, &inertia_file, sizes_file));
  int32_t *seg_fit = malloc(n * sizeof *seg_fit), *seg_file = malloc(n * sizeof *seg_file);
  int32_t *seg_mem = malloc(n * sizeof *seg_mem);
  float *dist_file = malloc(n * sizeof *dist_file), *dist_mem = malloc(n * sizeof *dist_mem);
  CHECK(read_column(fit_labels, "segment", H5T_NATIVE_INT32, seg_fit) == 0);
  CHECK(read_column(file_labels, "segment", H5T_NATIVE_INT32, seg_file) == 0);
  CHECK(read_column(file_labels, "distance", H5T_NATIVE_FLOAT, dist_file) == 0);

  size_t chunks[] = {0, 1, 333, 5000};
  int threads[] = {1, 3};
  for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
    for (size_t t = 0; t < 2; t++) {
      strata_ctx *ctx = strata_ctx_new();
      CHECK_OK(strata_ctx_set_threads(ctx, threads[t]));
      memset(seg_mem, 0x55, n * sizeof *seg_mem);
      memset(dist_mem, 0x55, n * sizeof *dist_mem);
      CHECK_OK(strata_assign_memory(ctx, m, ds, chunks[c], seg_mem, dist_mem, &inertia_mem, sizes_mem));
      CHECK_MSG(differ(seg_mem, seg_file, n, 4) == 0, "n=%zu k=%d chunk=%zu threads=%d: %zu segments differ", n, k,
                chunks[c], threads[t], differ(seg_mem, seg_file, n, 4));
      CHECK_MSG(differ(dist_mem, dist_file, n, 4) == 0, "n=%zu k=%d chunk=%zu: distances differ", n, k, chunks[c]);
      CHECK(memcmp(&inertia_mem, &inertia_file, sizeof inertia_mem) == 0);
      CHECK(differ(sizes_mem, sizes_file, (size_t)k, sizeof *sizes_mem) == 0);
      strata_ctx_free(ctx);
    }
  /* the fit's own labels: assign on the training rows reproduces them */
  CHECK_MSG(differ(seg_mem, seg_fit, n, 4) == 0, "n=%zu k=%d: assign_memory differs from the fit's labels", n, k);
  /* distance may be left out */
  memset(seg_mem, 0x55, n * sizeof *seg_mem);
  CHECK_OK(strata_assign_memory(NULL, m, ds, 0, seg_mem, NULL, NULL, NULL));
  CHECK(differ(seg_mem, seg_file, n, 4) == 0);
  if (with_missing) {
    size_t dropped = 0;
    for (size_t i = 3; i < n; i += 11) dropped += seg_mem[i] == -1 && isnan(dist_mem[i]);
    CHECK_MSG(dropped == (n - 3 + 10) / 11, "rows with NaN are labelled -1 with a NaN distance");
  }
  CHECK(strata_assign_memory(NULL, m, ds, 0, NULL, dist_mem, NULL, NULL) == STRATA_ERR_USAGE);
  CHECK(strata_assign_memory(NULL, NULL, ds, 0, seg_mem, NULL, NULL, NULL) == STRATA_ERR_USAGE);
  CHECK(strata_assign_memory(NULL, m, NULL, 0, seg_mem, NULL, NULL, NULL) == STRATA_ERR_USAGE);

  remove(fit_labels);
  remove(file_labels);
  free(seg_fit); free(seg_file); free(seg_mem); free(dist_file); free(dist_mem);
  free(sizes_file); free(sizes_mem);
  strata_model_free(m);
  strata_dataset_free(ds);
  free(x);
}

int main(void) {
  const char *t = getenv("STRATA_TEST_TMP");
  snprintf(tmpdir, sizeof tmpdir, "%s", t && *t ? t : "/tmp");
  run_case(10007, 5, 6, 0, 0, 1);  /* over two 4096-row blocks, d not a vector width */
  run_case(4096, 8, 1, 0, 0, 2);   /* k = 1, exactly one block */
  run_case(37, 3, 37, 0, 0, 3);    /* k = n */
  run_case(2000, 4, 5, 0, 1, 4);   /* 7 distinct rows, 5 segments: duplicates */
  run_case(5003, 3, 4, 1, 0, 5);   /* missing values dropped */
  return check_report();
}
