/* The quantile sketch: rank error against exact quantiles, determinism, and
 * median imputation through a fit. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "quantile.h"

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Fraction of values strictly below v in sorted[0..n). */
static double rank_of(const float *sorted, size_t n, double v) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (sorted[mid] < v) lo = mid + 1; else hi = mid;
  }
  return (double)lo / (double)n;
}

static void test_rank_error(size_t n, int skewed) {
  float *v = malloc(n * sizeof *v), *blk = malloc(4096 * sizeof *blk);
  uint64_t seed = 99 + n;
  for (size_t i = 0; i < n; i++)
    v[i] = skewed ? (float)exp(1.5 * fixture_normal(&seed)) : (float)fixture_normal(&seed);
  strata_qsketch s;
  strata_qsketch_init(&s);
  for (size_t r0 = 0; r0 < n; r0 += 4096) {
    size_t m = n - r0 < 4096 ? n - r0 : 4096;
    memcpy(blk, v + r0, m * sizeof *blk);
    qsort(blk, m, sizeof *blk, cmp_float);
    CHECK_OK(strata_qsketch_add_sorted(&s, blk, m));
  }
  qsort(v, n, sizeof *v, cmp_float);
  double qs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    double est = strata_qsketch_quantile(&s, qs[i]);
    double r = rank_of(v, n, est);
    CHECK_MSG(fabs(r - qs[i]) <= 1e-3 + 1.0 / (double)n, "n=%zu q=%.2f: estimate has rank %.5f", n, qs[i], r);
  }
  /* small inputs are exact */
  if (n <= 4096) CHECK(strata_qsketch_quantile(&s, 0.5) == v[(n - 1) / 2]);
  strata_qsketch_free(&s);
  free(v);
  free(blk);
}

static void test_median_imputation(void) {
  size_t n = 9001, d = 2;
  float *x = malloc(n * d * sizeof *x);
  uint64_t seed = 5;
  for (size_t i = 0; i < n; i++) {
    x[i * d] = (float)exp(fixture_normal(&seed)); /* skewed: median far from mean */
    x[i * d + 1] = (float)i;
  }
  x[10 * d] = NAN;
  x[20 * d] = NAN;
  const char *path = fixture_path("quantile_median.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  float *col = malloc(n * sizeof *col);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(x[i * d])) col[m++] = x[i * d];
  qsort(col, m, sizeof *col, cmp_float);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.missing = STRATA_MISSING_MEDIAN;
  strata_model *model = NULL;
  CHECK_OK(strata_fit(NULL, ds, &p, &model));
  if (model) {
    const strata_model_info *mi = strata_model_get_info(model);
    double r = rank_of(col, m, mi->impute[0]);
    CHECK_MSG(fabs(r - 0.5) <= 1e-3, "median estimate has rank %.5f", r);
    CHECK(fabs(mi->impute[1] - 4500.0) <= 9.0);
    CHECK(fabs(mi->impute[0] - mi->scale_shift[0]) > 0.1); /* median, not the mean */
    CHECK(strcmp(mi->missing, "median") == 0);
    CHECK(mi->rows == n);
  }
  strata_model_free(model);
  strata_dataset_free(ds);
  free(col);
  free(x);
}

/* The merge tree split as MPI ranks split a pass (contiguous runs of
 * blocks): each part's waiting nodes packed, unpacked into the first
 * part's tree, and finished, give the one tree's sketches bit for bit
 * (levels, counts, parity), for 2..4 parts and two columns.  A truncated
 * message is refused. */
static void test_tree_parts(size_t nblocks, size_t rows) {
  const size_t ncols = 2;
  uint64_t seed = 7 + nblocks;
  float *x = malloc(nblocks * rows * ncols * sizeof *x), *col = malloc(rows * sizeof *col);
  for (size_t i = 0; i < nblocks * rows * ncols; i++) x[i] = (float)fixture_normal(&seed);
  strata_qsketch one[2], part[2];
  for (int P = 1; P <= 4; P++) {
    strata_qtree trees[4];
    for (int r = 0; r < P; r++) CHECK_OK(strata_qtree_init(&trees[r], ncols));
    for (size_t b = 0; b < nblocks; b++) {
      strata_qsketch *leaf = strata_qsketch_array_new(ncols);
      for (size_t j = 0; j < ncols; j++) {
        for (size_t i = 0; i < rows; i++) col[i] = x[(b * rows + i) * ncols + j];
        qsort(col, rows, sizeof *col, cmp_float);
        CHECK_OK(strata_qsketch_add_sorted(&leaf[j], col, rows));
      }
      int r = (int)(b * (size_t)P / nblocks); /* blocks nb·r/P .. nb·(r+1)/P - 1, as strata_pass_open */
      CHECK_OK(strata_qtree_add(&trees[r], b, leaf));
    }
    for (int r = 1; r < P; r++) {
      void *bytes = NULL;
      size_t size = 0;
      CHECK_OK(strata_qtree_pack(&trees[r], &bytes, &size));
      if (r == 1 && size > 8) {
        strata_qtree scratch;
        CHECK_OK(strata_qtree_init(&scratch, ncols));
        CHECK(strata_qtree_unpack(&scratch, bytes, size - 3) != STRATA_OK);
        strata_qtree_free(&scratch);
      }
      CHECK_OK(strata_qtree_unpack(&trees[0], bytes, size));
      free(bytes);
      strata_qtree_free(&trees[r]);
    }
    strata_qsketch *out = P == 1 ? one : part;
    for (size_t j = 0; j < ncols; j++) strata_qsketch_init(&out[j]);
    CHECK_OK(strata_qtree_finish(&trees[0], out));
    strata_qtree_free(&trees[0]);
    if (P == 1) continue;
    int same = 1;
    for (size_t j = 0; j < ncols; j++) {
      if (one[j].n != part[j].n || one[j].parity != part[j].parity) same = 0;
      for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
        if (one[j].count[h] != part[j].count[h] ||
            (one[j].count[h] && memcmp(one[j].level[h], part[j].level[h], one[j].count[h] * sizeof(float)) != 0))
          same = 0;
      strata_qsketch_free(&part[j]);
    }
    CHECK_MSG(same, "%zu blocks in %d parts: the sketches differ from one tree's", nblocks, P);
  }
  for (size_t j = 0; j < ncols; j++) strata_qsketch_free(&one[j]);
  free(x);
  free(col);
}

int main(void) {
  test_tree_parts(7, 3000);
  test_tree_parts(13, 4096);
  test_rank_error(1000, 0);
  test_rank_error(1000003, 0);
  test_rank_error(3000017, 1);
  test_median_imputation();
  return check_report();
}
