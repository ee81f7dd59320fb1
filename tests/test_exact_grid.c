/* The exact sums' grid bound (common/exact.h): a scaled value past the
 * limit a row may add is refused, never converted (the conversion would be
 * undefined and the sum would wrap), and the pass that read it fails with
 * STRATA_ERR_DATA.  A pass whose values keep to the bound its grid was
 * chosen for gives the float64 sums exactly.  A fuzzed HDF5 file whose
 * passes read other values than the first reached the conversion with
 * 1.8e21 * 2^64 (UBSan, float-cast-overflow); the Lloyd checks below put a
 * table under a bound as small as such a first pass could have found. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "check.h"
#include "ctx_pool.h"
#include "exact.h"
#include "fixture.h"
#include "lloyd.h"
#include "pass.h"

/* ---- the grid itself ---- */

static void test_limits(void) {
  const double n = 1e6, bound = 1000.0;
  const int e = strata_fixed_exponent(bound, n);
  const double scale = ldexp(1.0, e), limit = strata_fixed_row_limit(n);
  /* a row at the bound is within the limit, with the factor 2 to spare */
  CHECK(bound * scale <= limit / 2.0);
  CHECK(strata_fixed_fits(bound * scale * n, n, limit));
  CHECK(!strata_fixed_fits(bound * scale * 4.0, 1.0, limit));
  CHECK(!strata_fixed_fits(NAN, 1.0, limit));
  CHECK(!strata_fixed_fits(INFINITY, 1.0, limit));
  /* never past 2^125, however many rows a caller claims */
  CHECK(!strata_fixed_fits(0x1.0p126, 1e300, limit));
  CHECK(strata_fixed_row_limit(0.0) == 0x1.0p125);
}

/* Two clusters of block sums: the first within the bound, the second with
 * one column far past it.  Only that column is left out, and the fold says
 * so; every other column's exact sum is the float64 value's. */
static void test_fold(void) {
  enum { K = 2, D = 3 };
  const double rows = 4096.0, bound = 50.0;
  double scale[D], sums[K * D], expect[K * D];
  int64_t counts[K] = {10, 7}, total[K] = {0, 0};
  strata_fixed fx[K * D];
  memset(fx, 0, sizeof fx);
  for (int j = 0; j < D; j++) scale[j] = ldexp(1.0, strata_fixed_exponent(bound, rows));
  const double limit = strata_fixed_row_limit(rows);
  for (int i = 0; i < K * D; i++) sums[i] = expect[i] = (i % 2 ? -1.0 : 1.0) * (3.25 + i);
  sums[1 * D + 2] = 1.8e21 * 0x1.0p64 / scale[2]; /* the fuzzed file's value, unscaled */
  CHECK(!strata_block_fold(K, D, sums, counts, scale, limit, fx, total));
  CHECK(total[0] == 10 && total[1] == 7);
  CHECK(counts[0] == 0 && counts[1] == 0);
  for (int i = 0; i < K * D; i++) {
    CHECK(sums[i] == 0.0); /* cleared for the next block either way */
    if (i == 1 * D + 2)
      CHECK(fx[i] == 0);
    else
      CHECK(strata_from_fixed(fx[i], 1.0 / scale[i % D]) == expect[i]);
  }
  /* within the limit: accepted, and adds exactly */
  counts[0] = 1;
  sums[0] = 2.0;
  CHECK(strata_block_fold(K, D, sums, counts, scale, limit, fx, total));
  CHECK(strata_from_fixed(fx[0], 1.0 / scale[0]) == expect[0] + 2.0);
  /* the limit grows with the block's rows: a sum of 4096 rows at the bound fits */
  counts[1] = 4096;
  sums[D] = bound * 4096.0;
  CHECK(strata_block_fold(K, D, sums, counts, scale, limit, fx, total));
}

/* ---- a Lloyd pass under a bound its data passes ---- */

/* want: 0 plain sums, 1 dispersion about the centroids.  Returns the pass's
 * status; sums OUT (k×d) when it succeeded. */
static strata_status lloyd_under(const char *backend, strata_dataset *ds, size_t n, size_t d, size_t k, double bound,
                                 int want, double *sums) {
  strata_pass *pass = NULL;
  strata_lloyd *l = NULL;
  CHECK_OK(strata_pass_open(test_ctx(2, backend), ds, NULL, 1000, 0, &pass));
  CHECK_OK(strata_lloyd_create(strata_kernels_find(backend), pass, k, d, n, 0, &l));
  double *b = malloc(d * sizeof *b), *c = calloc(k * d, sizeof *c);
  for (size_t j = 0; j < d; j++) b[j] = bound;
  for (size_t i = 0; i < k * d; i++) c[i] = (double)i - (double)(k * d) / 2.0;
  CHECK_OK(strata_lloyd_want_sums(l, b, n));
  if (want == 1) CHECK_OK(strata_lloyd_want_dispersion(l, c, bound * bound * (double)d * 4.0));
  strata_lloyd_set_centroids(l, c);
  const strata_lloyd_result *res = NULL;
  strata_status st = strata_lloyd_pass(l, NULL, &res);
  if (st == STRATA_OK) memcpy(sums, res->sums, k * d * sizeof *sums);
  free(b);
  free(c);
  strata_lloyd_free(l);
  strata_pass_free(pass);
  return st;
}

static void test_lloyd(const char *backend) {
  const size_t n = 20000, d = 5, k = 3;
  float *x = malloc(n * d * sizeof *x);
  uint64_t seed = 7;
  for (size_t i = 0; i < n * d; i++) x[i] = (float)(2.0e30 * (fixture_uniform(&seed) - 0.5));
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, d, NULL, &ds));
  double *sums = malloc(k * d * sizeof *sums);
  /* the true bound: fine, and the clusters' sums add up to each column's */
  CHECK_OK(lloyd_under(backend, ds, n, d, k, 1.0e30, 0, sums));
  for (size_t j = 0; j < d; j++) {
    double got = 0.0, want = 0.0;
    for (size_t c = 0; c < k; c++) got += sums[c * d + j];
    for (size_t i = 0; i < n; i++) want += (double)x[i * d + j];
    CHECK_NEAR(got, want, 1e-9);
  }
  /* a first pass that found values of at most 1 (and of at most 1e20): refused */
  for (int want = 0; want < 2; want++) {
    for (double bound = 1.0; bound <= 1e20; bound *= 1e20) {
      strata_status st = lloyd_under(backend, ds, n, d, k, bound, want, sums);
      CHECK(st == STRATA_ERR_DATA);
      CHECK(strstr(strata_last_error(), "far past its column's range") != NULL);
    }
  }
  /* a bound a little short of the data (rounding, a scaler's float32 step)
   * stays within the factor 2 the grid spares */
  CHECK_OK(lloyd_under(backend, ds, n, d, k, 0.95e30, 0, sums));
  CHECK_OK(lloyd_under(backend, ds, n, d, k, 0.95e30, 1, sums));
  strata_dataset_free(ds);
  free(sums);
  free(x);
}

int main(void) {
  test_limits();
  test_fold();
  test_lloyd("ref");
  test_lloyd("cpu"); /* the best SIMD table this CPU has */
  return check_report();
}
