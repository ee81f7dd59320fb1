/* The statistics pass and the scaler against a direct two-pass float64
 * computation, whatever the block split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "reduce.h"
#include "scaler.h"
#include "stats.h"

/* mean/var of column j over rows without NaN in that column (two-pass). */
static void direct_stats(const float *x, size_t n, size_t d, size_t j, double *mean, double *var,
                         double *mn, double *mx) {
  double s = 0, c = 0;
  *mn = INFINITY; *mx = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    float v = x[i * d + j];
    if (!isfinite(v)) continue;
    s += v; c += 1;
    if (v < *mn) *mn = v;
    if (v > *mx) *mx = v;
  }
  *mean = s / c;
  double q = 0;
  for (size_t i = 0; i < n; i++) {
    float v = x[i * d + j];
    if (isfinite(v)) q += (v - *mean) * (v - *mean);
  }
  *var = q / c;
}

static void test_block_merge(void) {
  size_t n = 10007, d = 5;
  float *x = malloc(n * d * sizeof *x);
  uint64_t seed = 7;
  for (size_t i = 0; i < n * d; i++)
    x[i] = (float)(1e4 + 50.0 * fixture_normal(&seed)); /* large offset: catastrophic for naive sums */
  x[3 * d + 1] = NAN;
  x[50 * d + 2] = NAN;
  size_t splits[] = {1, 7, 4096, 10007};
  for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
    strata_colacc total[5], part[5];
    strata_moments sum[5];
    double tmp[10];
    strata_moments_zero(sum, d);
    for (size_t r0 = 0; r0 < n; r0 += splits[s]) {
      size_t rows = n - r0 < splits[s] ? n - r0 : splits[s];
      strata_colacc_reset(part, d);
      strata_colacc_block(part, x + r0 * d, rows, d, 0, NULL, tmp);
      strata_moments_add(sum, part, d);
    }
    strata_moments_finish(sum, total, d);
    for (size_t j = 0; j < d; j++) {
      double mean, var, mn, mx;
      direct_stats(x, n, d, j, &mean, &var, &mn, &mx);
      CHECK_NEAR(total[j].mean, mean, 1e-12);
      CHECK_NEAR(strata_colacc_var(&total[j]), var, 1e-9);
      CHECK(total[j].min == mn && total[j].max == mx);
      CHECK(total[j].missing == (j == 1 || j == 2 ? 1u : 0u));
      CHECK(total[j].n == n - total[j].missing);
    }
  }
  /* skip_incomplete drops whole rows holding a NaN */
  strata_colacc acc[5];
  double tmp[10];
  uint64_t skipped = 0;
  strata_colacc_reset(acc, d);
  strata_colacc_block(acc, x, n, d, 1, &skipped, tmp);
  CHECK(skipped == 2);
  CHECK(acc[0].n == n - 2);
  free(x);
}

static void test_scaler_apply(void) {
  const char *names[] = {"a", "b", "c"};
  /* column c is constant */
  float x[] = {1, 10, 5, 3, 30, 5, 5, 50, 5, 7, 70, 5};
  size_t n = 4, d = 3;
  strata_colacc acc[3];
  double tmp[6];
  strata_colacc_reset(acc, d);
  strata_colacc_block(acc, x, n, d, 0, NULL, tmp);
  strata_scaler sc;
  CHECK_OK(strata_scaler_fit(NULL, &sc, d, names, STRATA_SCALE_ZSCORE, STRATA_MISSING_ERROR, acc, NULL, NULL, 1.0, NULL));
  CHECK_NEAR(sc.shift[0], 4.0, 1e-15);
  CHECK_NEAR(sc.factor[0], sqrt(5.0), 1e-15);
  CHECK(sc.factor[2] == 1.0); /* constant column: never divided by zero */
  float out[12];
  size_t m = 0;
  CHECK_OK(strata_scaler_apply(&sc, x, n, 0, out, NULL, &m));
  CHECK(m == n);
  CHECK_NEAR(out[0], (1 - 4) / sqrt(5.0), 1e-6);
  CHECK(out[2] == 0.0f);
  double orig[3], back[3], sc_row[3] = {out[3], out[4], out[5]};
  strata_scaler_invert(&sc, sc_row, orig);
  CHECK_NEAR(orig[0], 3.0, 1e-6);
  strata_scaler_forward(&sc, orig, back);
  CHECK_NEAR(back[1], sc_row[1], 1e-12);
  strata_scaler_free(&sc);

  CHECK_OK(strata_scaler_fit(NULL, &sc, d, names, STRATA_SCALE_MINMAX, STRATA_MISSING_DROP, acc, NULL, NULL, 1.0, NULL));
  CHECK(sc.shift[0] == 1.0 && sc.factor[0] == 6.0);
  float y[] = {1, NAN, 5, 7, 70, 5};
  uint16_t kept[2];
  CHECK_OK(strata_scaler_apply(&sc, y, 2, 100, out, kept, &m));
  CHECK(m == 1 && kept[0] == 1);
  CHECK(out[0] == 1.0f);
  float inf_row[] = {1, INFINITY, 5};
  CHECK(strata_scaler_apply(&sc, inf_row, 1, 42, out, kept, &m) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "'b'") && strstr(strata_last_error(), "row 42"));
  strata_scaler_free(&sc);

  CHECK_OK(strata_scaler_fit(NULL, &sc, d, names, STRATA_SCALE_NONE, STRATA_MISSING_MEAN, acc, NULL, NULL, 1.0, NULL));
  CHECK_OK(strata_scaler_apply(&sc, y, 2, 0, out, NULL, &m));
  CHECK(m == 2 && out[1] == 40.0f); /* NaN replaced by the mean of b */
  strata_scaler_free(&sc);

  CHECK_OK(strata_scaler_fit(NULL, &sc, d, names, STRATA_SCALE_NONE, STRATA_MISSING_ERROR, acc, NULL, NULL, 1.0, NULL));
  CHECK(strata_scaler_apply(&sc, y, 2, 7, out, NULL, &m) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "missing") && strstr(strata_last_error(), "row 7"));
  strata_scaler_free(&sc);
}

/* A finite value whose scaled value overflows float (a model's absurd
 * scale factor, 5.65e-175 in a fuzzed model) is an error naming its column
 * and row, under every missing-value rule, never an infinite distance; an
 * imputed value likewise.  The same value with a sane factor scales. */
static void test_scaled_overflow(void) {
  const char *names[] = {"a", "b"};
  const double shift[] = {0.0, 0.125}, tiny[] = {1.0, 5.65e-175}, sane[] = {1.0, 2.0};
  const double impute[] = {0.0, 1.0};
  const strata_missing rules[] = {STRATA_MISSING_ERROR, STRATA_MISSING_DROP, STRATA_MISSING_MEAN};
  float row[] = {1.0f, 3.0f}, out[2];
  size_t m = 9;
  for (size_t r = 0; r < 3; r++) {
    strata_scaler sc;
    CHECK_OK(strata_scaler_from(&sc, 2, names, rules[r], shift, tiny, impute));
    CHECK(strata_scaler_apply(&sc, row, 1, 17, out, NULL, &m) == STRATA_ERR_DATA);
    CHECK(strstr(strata_last_error(), "'b'") && strstr(strata_last_error(), "row 17") &&
          strstr(strata_last_error(), "beyond float range"));
    strata_scaler_free(&sc);
    CHECK_OK(strata_scaler_from(&sc, 2, names, rules[r], shift, sane, impute));
    CHECK_OK(strata_scaler_apply(&sc, row, 1, 17, out, NULL, &m));
    CHECK(m == 1 && out[1] == 1.4375f);
    strata_scaler_free(&sc);
  }
  /* the imputed value of a missing one */
  strata_scaler sc;
  const double big_impute[] = {0.0, 1e300};
  CHECK_OK(strata_scaler_from(&sc, 2, names, STRATA_MISSING_MEAN, shift, sane, big_impute));
  float nan_row[] = {1.0f, NAN};
  CHECK(strata_scaler_apply(&sc, nan_row, 1, 3, out, NULL, &m) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "imputed value") && strstr(strata_last_error(), "row 3"));
  strata_scaler_free(&sc);
}

/* The public stats pass over a file, for several chunk sizes. */
static void test_dataset_stats(void) {
  size_t n = 20001, d = 3;
  float *x = malloc(n * d * sizeof *x);
  uint64_t seed = 11;
  for (size_t i = 0; i < n * d; i++) x[i] = (float)(100.0 * fixture_normal(&seed) + 3.0);
  x[17 * d + 0] = NAN;
  x[18 * d + 2] = INFINITY;
  const char *path = fixture_path("scaler_stats.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) { free(x); return; }
  strata_column_stats st1[3], st2[3];
  CHECK_OK(strata_dataset_stats(NULL, ds, 4096, st1));
  CHECK_OK(strata_dataset_stats(NULL, ds, 0, st2));
  for (size_t j = 0; j < d; j++) {
    double mean, var, mn, mx;
    direct_stats(x, n, d, j, &mean, &var, &mn, &mx);
    CHECK_NEAR(st1[j].mean, mean, 1e-12);
    CHECK_NEAR(st1[j].var, var, 1e-9);
    CHECK(st1[j].min == mn && st1[j].max == mx);
    CHECK(memcmp(&st1[j].mean, &st2[j].mean, sizeof(double)) == 0);
  }
  CHECK(st1[0].missing == 1 && st1[2].infinite == 1 && st1[1].missing == 0);
  CHECK(strcmp(st1[1].name, "x1") == 0);
  strata_dataset_free(ds);
  free(x);
}

/* A block without NaN or Inf takes a branch-free path; the same block with
 * an all-NaN row appended takes the general one.  NaN values are left out,
 * so both must give the same statistics bit for bit, at widths around the
 * column group (64) and the vector widths. */
static void test_finite_path_bitwise(void) {
  static const size_t ds[] = {1, 3, 8, 16, 17, 63, 64, 65, 130};
  uint64_t seed = 99;
  for (size_t t = 0; t < sizeof ds / sizeof ds[0]; t++) {
    size_t d = ds[t], rows = 301;
    float *x = malloc((rows + 1) * d * sizeof *x);
    for (size_t i = 0; i < rows * d; i++) x[i] = (float)(1e3 + 50.0 * fixture_normal(&seed));
    for (size_t j = 0; j < d; j++) x[rows * d + j] = NAN;
    strata_colacc *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
    double *tmp = malloc(2 * d * sizeof *tmp);
    strata_colacc_reset(a, d);
    strata_colacc_reset(b, d);
    strata_colacc_block(a, x, rows, d, 0, NULL, tmp);
    strata_colacc_block(b, x, rows + 1, d, 0, NULL, tmp);
    for (size_t j = 0; j < d; j++) {
      CHECK(a[j].n == rows && b[j].n == rows && b[j].missing == 1 && a[j].missing == 0);
      CHECK_MSG(a[j].mean == b[j].mean && a[j].m2 == b[j].m2, "d=%zu col %zu: mean %.17g/%.17g m2 %.17g/%.17g", d,
                j, a[j].mean, b[j].mean, a[j].m2, b[j].m2);
      CHECK(a[j].min == b[j].min && a[j].max == b[j].max);
    }
    free(x); free(a); free(b); free(tmp);
  }
}

int main(void) {
  test_block_merge();
  test_finite_path_bitwise();
  test_scaler_apply();
  test_scaled_overflow();
  test_dataset_stats();
  return check_report();
}
