/* strata_pca_fit against an independent float64 computation: the
 * covariance of the scaled rows computed directly (two passes over the data
 * in memory) and diagonalised with cyclic Jacobi rotations; components
 * compared up to sign.  Data with a planted covariance (a few latent
 * factors plus noise), some rows with NaN (left out), the plain-loop path
 * (d < 12) and the dsyrk path (d >= 12), a model's scaler, the sample's
 * projection and segments, and bit-identical results across threads and
 * chunk sizes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "rng.h"
#include "strata.h"

static double gauss(strata_rng *r) {
  double u = strata_rng_uniform(r), v = strata_rng_uniform(r);
  return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

/* n×d rows: x = A z + noise with 3 latent factors, columns on different
 * scales and offsets; every `nan_every`-th row (0 = none) gets a NaN. */
static float *planted(size_t n, size_t d, uint64_t seed, size_t nan_every) {
  strata_rng r;
  strata_rng_seed(&r, seed, 0);
  double A[64][3];
  for (size_t j = 0; j < d; j++)
    for (int f = 0; f < 3; f++) A[j][f] = gauss(&r) * (f == 0 ? 3.0 : f == 1 ? 1.5 : 0.7);
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    double z[3] = {gauss(&r), gauss(&r), gauss(&r)};
    for (size_t j = 0; j < d; j++) {
      double v = A[j][0] * z[0] + A[j][1] * z[1] + A[j][2] * z[2] + 0.3 * gauss(&r);
      x[i * d + j] = (float)(v * (1.0 + (double)j) + 10.0 * (double)j);
    }
    if (nan_every && i % nan_every == 5) x[i * d + (i % d)] = NAN;
  }
  return x;
}

/* Opens x0..x{d-1} in that order (the root group lists them by name, so
 * x10 would come before x2). */
static strata_status open_columns(const char *path, size_t d, strata_dataset **ds) {
  char names[64][8];
  const char *ptr[64];
  for (size_t j = 0; j < d; j++) {
    snprintf(names[j], sizeof names[j], "x%zu", j);
    ptr[j] = names[j];
  }
  return strata_dataset_open(path, NULL, ptr, d, ds);
}

static int complete(const float *row, size_t d) {
  for (size_t j = 0; j < d; j++)
    if (isnan(row[j])) return 0;
  return 1;
}

/* Cyclic Jacobi: a (d×d symmetric) is diagonalised in place; v gets the
 * eigenvectors as columns. */
static void jacobi(double *a, size_t d, double *v) {
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) v[i * d + j] = i == j;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0;
    for (size_t p = 0; p < d; p++)
      for (size_t q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off < 1e-30) break;
    for (size_t p = 0; p < d; p++)
      for (size_t q = p + 1; q < d; q++) {
        if (fabs(a[p * d + q]) < 1e-300) continue;
        double theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
        double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        double c = 1 / sqrt(t * t + 1), s = t * c;
        for (size_t k = 0; k < d; k++) {
          double akp = a[k * d + p], akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < d; k++) {
          double apk = a[p * d + k], aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < d; k++) {
          double vkp = v[k * d + p], vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
  }
}

/* The reference: scaled = (x - shift) / factor in float64 from the float
 * data, the sample covariance (n - 1), Jacobi; values descending and the
 * matching vectors as rows. */
typedef struct {
  size_t rows;
  double mean[64], values[64], vectors[64 * 64];
} reference;

static void reference_pca(const float *x, size_t n, size_t d, const double *shift, const double *factor,
                          reference *ref) {
  memset(ref, 0, sizeof *ref);
  double *s = malloc(n * d * sizeof *s);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!complete(x + i * d, d)) continue;
    for (size_t j = 0; j < d; j++) s[m * d + j] = ((double)x[i * d + j] - shift[j]) / factor[j];
    m++;
  }
  ref->rows = m;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) ref->mean[j] += s[i * d + j];
  for (size_t j = 0; j < d; j++) ref->mean[j] /= (double)m;
  double *a = calloc(d * d, sizeof *a), *v = malloc(d * d * sizeof *v);
  for (size_t i = 0; i < m; i++)
    for (size_t p = 0; p < d; p++)
      for (size_t q = 0; q < d; q++)
        a[p * d + q] += (s[i * d + p] - ref->mean[p]) * (s[i * d + q] - ref->mean[q]);
  for (size_t p = 0; p < d * d; p++) a[p] /= (double)(m - 1);
  jacobi(a, d, v);
  int used[64] = {0};
  for (size_t c = 0; c < d; c++) {
    size_t best = 0;
    double bv = -INFINITY;
    for (size_t j = 0; j < d; j++)
      if (!used[j] && a[j * d + j] > bv) bv = a[j * d + j], best = j;
    used[best] = 1;
    ref->values[c] = bv;
    for (size_t j = 0; j < d; j++) ref->vectors[c * d + j] = v[j * d + best];
  }
  free(a);
  free(v);
  free(s);
}

/* Values within 1e-5 relative (the library scales in float32), vectors up
 * to sign: |cos| within 1e-5 of 1 while the eigenvalues are well apart. */
static void compare(const strata_pca *p, const reference *ref, size_t d) {
  CHECK(p->rows == ref->rows);
  double total = 0;
  for (size_t c = 0; c < d; c++) total += ref->values[c];
  CHECK_NEAR(p->total_variance, total, 1e-5);
  for (size_t c = 0; c < (size_t)p->ncomp; c++) {
    CHECK_NEAR(p->explained_variance[c], ref->values[c], 1e-4);
    CHECK_NEAR(p->explained_ratio[c], ref->values[c] / total, 1e-4);
    if (c + 1 < d && ref->values[c] - ref->values[c + 1] < 0.05 * ref->values[c]) continue;
    if (c > 0 && ref->values[c - 1] - ref->values[c] < 0.05 * ref->values[c - 1]) continue;
    double dot = 0, norm = 0;
    for (size_t j = 0; j < d; j++) {
      dot += p->components[c * d + j] * ref->vectors[c * d + j];
      norm += p->components[c * d + j] * p->components[c * d + j];
    }
    CHECK_NEAR(norm, 1.0, 1e-12);
    CHECK_MSG(fabs(fabs(dot) - 1.0) < 1e-5, "component %zu: |cos| %.12f", c, fabs(dot));
  }
  for (size_t j = 0; j < d; j++) CHECK(fabs(p->mean[j] - ref->mean[j]) < 1e-5);
}

/* Z-scores: the population mean and std of the complete rows. */
static void zscore(const float *x, size_t n, size_t d, double *shift, double *factor) {
  for (size_t j = 0; j < d; j++) {
    double s = 0, ss = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (complete(x + i * d, d)) s += x[i * d + j], m++;
    shift[j] = s / (double)m;
    for (size_t i = 0; i < n; i++)
      if (complete(x + i * d, d)) ss += ((double)x[i * d + j] - shift[j]) * ((double)x[i * d + j] - shift[j]);
    factor[j] = sqrt(ss / (double)m);
  }
}

static void test_zscore(size_t n, size_t d, size_t nan_every, const char *file) {
  float *x = planted(n, d, 7 + d, nan_every);
  const char *path = fixture_path(file);
  CHECK(fixture_write_columns(path, NULL, n, d, x, 3000) == 0);
  strata_dataset *ds = NULL;
  CHECK_OK(open_columns(path, d, &ds));
  strata_pca *p = NULL;
  strata_pca_params prm;
  strata_pca_params_init(&prm);
  prm.sample = 0;
  CHECK_OK(strata_pca_fit(NULL, ds, &prm, &p));
  if (p) {
    double shift[64], factor[64];
    zscore(x, n, d, shift, factor);
    for (size_t j = 0; j < d; j++) {
      CHECK_NEAR(p->scale_shift[j], shift[j], 1e-9);
      CHECK_NEAR(p->scale_factor[j], factor[j], 1e-9);
    }
    reference ref;
    reference_pca(x, n, d, shift, factor, &ref);
    compare(p, &ref, d);
    CHECK(p->rows + p->rows_dropped == n);
    CHECK(nan_every == 0 || p->rows_dropped > 0);
  }
  strata_pca_free(p);
  strata_dataset_free(ds);
  free(x);
}

/* Bit-identical for threads 1/2 and chunk sizes 4096/12288. */
static void test_determinism(void) {
  size_t n = 30000, d = 14;
  float *x = planted(n, d, 99, 101);
  const char *path = fixture_path("pca_det.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 5000) == 0);
  strata_pca *first = NULL;
  static const int threads[] = {1, 2, 2};
  static const size_t chunks[] = {4096, 4096, 12288};
  for (int t = 0; t < 3; t++) {
    strata_dataset *ds = NULL;
    CHECK_OK(open_columns(path, d, &ds));
    strata_pca_params prm;
    strata_pca_params_init(&prm);
    prm.chunk_rows = chunks[t];
    prm.sample = 500;
    prm.seed = 5;
    strata_pca *p = NULL;
    CHECK_OK(strata_pca_fit(test_ctx(threads[t], NULL), ds, &prm, &p));
    if (p && !first) {
      first = p;
      p = NULL;
    } else if (p) {
      CHECK(memcmp(p->explained_variance, first->explained_variance, d * sizeof(double)) == 0);
      CHECK(memcmp(p->components, first->components, d * d * sizeof(double)) == 0);
      CHECK(memcmp(p->mean, first->mean, d * sizeof(double)) == 0);
      CHECK(p->sample_count == first->sample_count);
      CHECK(memcmp(p->sample_scores, first->sample_scores, p->sample_count * d * sizeof(double)) == 0);
    }
    strata_pca_free(p);
    strata_dataset_free(ds);
  }
  strata_pca_free(first);
  free(x);
}

/* With a model: its scaler, the sample's segments (nearest centroid) and
 * projections, and the centroids through strata_pca_project. */
static void test_model(void) {
  size_t n = 12000, d = 5, k = 3;
  float *x = planted(n, d, 3, 0);
  const char *path = fixture_path("pca_model.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 4096) == 0);
  strata_dataset *ds = NULL;
  CHECK_OK(open_columns(path, d, &ds));
  strata_fit_params fp;
  strata_fit_params_init(&fp);
  fp.k = (int)k;
  fp.seed = 1;
  strata_model *m = NULL;
  CHECK_OK(strata_fit(NULL, ds, &fp, &m));
  if (!m) return;
  const strata_model_info *in = strata_model_get_info(m);
  strata_pca_params prm;
  strata_pca_params_init(&prm);
  prm.model = m;
  prm.sample = 300;
  prm.seed = 11;
  prm.ncomp = 3;
  strata_pca *p = NULL;
  CHECK_OK(strata_pca_fit(NULL, ds, &prm, &p));
  if (p) {
    reference ref;
    reference_pca(x, n, d, in->scale_shift, in->scale_factor, &ref);
    compare(p, &ref, d);
    CHECK(p->ncomp == 3);
    CHECK(p->sample_count == 300);
    CHECK(p->sample_segment != NULL);
    for (size_t i = 0; i < p->sample_count; i++) {
      const float *row = x + p->sample_index[i] * d;
      double s[8], proj[3];
      for (size_t j = 0; j < d; j++) s[j] = (double)(float)(((double)row[j] - in->scale_shift[j]) / in->scale_factor[j]);
      int best = 0;
      double bd = INFINITY;
      for (size_t c = 0; c < k; c++) {
        double dd = 0;
        for (size_t j = 0; j < d; j++) dd += (s[j] - in->centroids[c * d + j]) * (s[j] - in->centroids[c * d + j]);
        if (dd < bd) bd = dd, best = (int)c;
      }
      CHECK(p->sample_segment[i] == best);
      CHECK_OK(strata_pca_project(p, s, 1, 3, proj));
      for (int c = 0; c < 3; c++) CHECK(fabs(proj[c] - p->sample_scores[i * 3 + (size_t)c]) < 1e-5);
    }
    double cent[9];
    CHECK_OK(strata_pca_project(p, in->centroids, k, 3, cent));
    CHECK(strata_pca_project(p, in->centroids, k, 4, cent) == STRATA_ERR_USAGE);
  }
  strata_pca_free(p);
  strata_model_free(m);
  strata_dataset_free(ds);
  free(x);
}

int main(void) {
  test_zscore(20000, 5, 97, "pca_small.h5");  /* plain loop, NaN rows */
  test_zscore(9000, 14, 0, "pca_wide.h5");    /* dsyrk */
  test_determinism();
  test_model();
  strata_pca_params prm;
  strata_pca_params_init(&prm);
  CHECK(prm.sample == 10000 && prm.ncomp == 0);
  CHECK(strata_pca_fit(NULL, NULL, &prm, NULL) == STRATA_ERR_USAGE);
  strata_pca_free(NULL);
  return check_report();
}
