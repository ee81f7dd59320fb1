/* strata_sweep through the library: each k equals strata_fit with the same
 * parameters; the metrics equal direct float64 computations over the rows
 * (labels by nearest centroid, silhouette over every row); planted k is
 * recommended; thread counts agree bit for bit; bad parameters fail. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "strata.h"

enum { N = 1500, D = 3, PLANTED = 4 };

static double dist2(const float *x, const double *c) {
  double s = 0.0;
  for (size_t j = 0; j < D; j++) s += ((double)x[j] - c[j]) * ((double)x[j] - c[j]);
  return s;
}

/* Silhouette, Calinski-Harabasz and Davies-Bouldin of the labels the
 * centroids give, straight from the definitions. */
static void direct_metrics(const float *x, const double *cent, size_t k, double *sil, double *ch, double *db) {
  int32_t *lab = malloc(N * sizeof *lab);
  double *mean = calloc(k * D, sizeof *mean), *s = calloc(k, sizeof *s), *sum = calloc(k, sizeof *sum);
  int64_t *cnt = calloc(k, sizeof *cnt);
  for (size_t i = 0; i < N; i++) {
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
      if (dist2(x + i * D, cent + c * D) < dist2(x + i * D, cent + best * D)) best = c;
    lab[i] = (int32_t)best;
    cnt[best]++;
    for (size_t j = 0; j < D; j++) mean[best * D + j] += x[i * D + j];
  }
  for (size_t c = 0; c < k; c++)
    for (size_t j = 0; j < D; j++) mean[c * D + j] /= (double)cnt[c];
  double within = 0.0, total = 0.0, mu[D] = {0};
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) mu[j] += x[i * D + j] / (double)N;
  for (size_t i = 0; i < N; i++) {
    double q = dist2(x + i * D, mean + (size_t)lab[i] * D);
    within += q;
    s[lab[i]] += sqrt(q);
    total += dist2(x + i * D, mu);
  }
  *ch = (total - within) * (double)(N - k) / (within * (double)(k - 1));
  *db = 0.0;
  for (size_t a = 0; a < k; a++) {
    double worst = 0.0;
    for (size_t b = 0; b < k; b++) {
      if (a == b) continue;
      double m = 0.0;
      for (size_t j = 0; j < D; j++) m += (mean[a * D + j] - mean[b * D + j]) * (mean[a * D + j] - mean[b * D + j]);
      double r = (s[a] / (double)cnt[a] + s[b] / (double)cnt[b]) / sqrt(m);
      if (r > worst) worst = r;
    }
    *db += worst / (double)k;
  }
  double st = 0.0;
  for (size_t i = 0; i < N; i++) {
    memset(sum, 0, k * sizeof *sum);
    for (size_t r = 0; r < N; r++) {
      double q = 0.0;
      for (size_t j = 0; j < D; j++) q += ((double)x[i * D + j] - x[r * D + j]) * ((double)x[i * D + j] - x[r * D + j]);
      sum[lab[r]] += sqrt(q);
    }
    if (cnt[lab[i]] < 2) continue;
    double a = sum[lab[i]] / (double)(cnt[lab[i]] - 1), b = INFINITY;
    for (size_t c = 0; c < k; c++)
      if ((int32_t)c != lab[i] && sum[c] / (double)cnt[c] < b) b = sum[c] / (double)cnt[c];
    st += (b - a) / fmax(a, b);
  }
  *sil = st / N;
  free(lab); free(mean); free(s); free(sum); free(cnt);
}

static strata_status sweep_with(strata_dataset *ds, void (*edit)(strata_sweep_params *), strata_sweep_result **r) {
  strata_sweep_params p;
  strata_sweep_params_init(&p);
  edit(&p);
  return strata_sweep(NULL, ds, &p, r);
}

static void e_k0(strata_sweep_params *p) { p->k_min = 0; }
static void e_rev(strata_sweep_params *p) { p->k_min = 5; p->k_max = 4; }
static void e_list(strata_sweep_params *p) { static const int ks[] = {3, 3}; p->ks = ks; p->nk = 2; }
static void e_ninit(strata_sweep_params *p) { p->fit.n_init = 0; }
static void e_given(strata_sweep_params *p) { p->fit.init = STRATA_INIT_GIVEN; }
static void e_labels(strata_sweep_params *p) { p->fit.labels_path = "x.h5"; }
static void e_big(strata_sweep_params *p) { p->k_min = 2; p->k_max = N + 1; }
static void e_tol(strata_sweep_params *p) { p->fit.tol = -1.0; }

int main(void) {
  float *x = malloc(N * D * sizeof *x);
  fixture_blobs(x, NULL, N, D, PLANTED, 30.0, 77);
  const char *path = fixture_path("sweep_blobs.h5");
  CHECK(fixture_write_columns(path, NULL, N, D, x, 400) == 0);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));

  strata_sweep_params p;
  strata_sweep_params_init(&p);
  p.k_min = 1;
  p.k_max = 7;
  p.fit.scale = STRATA_SCALE_NONE; /* scaled units are the raw values */
  p.fit.seed = 9;
  p.silhouette_sample = 100000;    /* every row: the exact silhouette */
  strata_sweep_result *r = NULL, *r2 = NULL;
  CHECK_OK(strata_sweep(test_ctx(1, NULL), ds, &p, &r));
  p.fit.chunk_rows = 4096;
  CHECK_OK(strata_sweep(test_ctx(3, NULL), ds, &p, &r2));
  if (r && r2) {
    CHECK(r->n_results == 7 && r->rows == N && r->silhouette_rows == N);
    CHECK_MSG(r->knee_k == PLANTED, "knee %d", r->knee_k);
    CHECK_MSG(r->recommended_k == PLANTED, "recommended %d: %s", r->recommended_k, r->reason);
    CHECK(strstr(r->reason, "knee") != NULL);
    for (size_t i = 0; i < r->n_results; i++) {
      const strata_sweep_k *a = &r->results[i], *b = &r2->results[i];
      CHECK(a->k == (int)i + 1);
      CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0 &&
                    (isnan(a->silhouette) ? isnan(b->silhouette) : a->silhouette == b->silhouette) &&
                    (isnan(a->davies_bouldin) ? isnan(b->davies_bouldin) : a->davies_bouldin == b->davies_bouldin) &&
                    (isnan(a->calinski_harabasz) ? isnan(b->calinski_harabasz)
                                                 : a->calinski_harabasz == b->calinski_harabasz),
                "k = %d differs between 1 and 3 threads", a->k);
      /* the model strata_fit makes */
      strata_fit_params fp = p.fit;
      fp.refine = STRATA_REFINE_NONE; /* sweep runs Lloyd only */
      fp.k = a->k;
      fp.chunk_rows = 0;
      strata_model *m = NULL;
      CHECK_OK(strata_fit(test_ctx(1, NULL), ds, &fp, &m));
      if (m) {
        const strata_model_info *in = strata_model_get_info(m);
        CHECK_MSG(in->inertia == a->inertia && in->iterations == a->iterations && in->converged == a->converged,
                  "k = %d: fit %.17g/%d, sweep %.17g/%d", a->k, in->inertia, in->iterations, a->inertia,
                  a->iterations);
        CHECK(memcmp(in->centroids_original, a->centroids, (size_t)a->k * D * sizeof(double)) == 0);
        CHECK(memcmp(in->sizes, a->sizes, (size_t)a->k * sizeof(int64_t)) == 0);
      }
      strata_model_free(m);
      if (a->k == 1) {
        CHECK(isnan(a->silhouette) && isnan(a->calinski_harabasz) && isnan(a->davies_bouldin));
        continue;
      }
      double sil, ch, db;
      direct_metrics(x, a->centroids, (size_t)a->k, &sil, &ch, &db);
      CHECK_NEAR(a->silhouette, sil, 1e-9);
      CHECK_NEAR(a->calinski_harabasz, ch, 1e-9);
      CHECK_NEAR(a->davies_bouldin, db, 1e-9);
    }
  }
  strata_sweep_free(r);
  strata_sweep_free(r2);

  /* restarts: each k keeps its lowest-inertia run, the model strata_fit
   * keeps with the same n_init, and never worse than one run */
  strata_sweep_params_init(&p);
  p.k_min = 2;
  p.k_max = 8;
  p.fit.n_init = 3;
  p.fit.seed = 4;
  p.silhouette_sample = 0;
  strata_sweep_result *r1 = NULL;
  CHECK_OK(strata_sweep(NULL, ds, &p, &r));
  p.fit.n_init = 1;
  CHECK_OK(strata_sweep(NULL, ds, &p, &r1));
  int better = 0;
  for (size_t i = 0; r && r1 && i < r->n_results; i++) {
    const strata_sweep_k *a = &r->results[i];
    CHECK(a->inertia <= r1->results[i].inertia);
    better += a->inertia < r1->results[i].inertia;
    strata_fit_params fp = p.fit;
    fp.refine = STRATA_REFINE_NONE; /* sweep runs Lloyd only */
    fp.k = a->k;
    fp.n_init = 3;
    strata_model *m = NULL;
    CHECK_OK(strata_fit(NULL, ds, &fp, &m));
    if (m) {
      const strata_model_info *in = strata_model_get_info(m);
      CHECK_MSG(in->inertia == a->inertia && in->iterations == a->iterations,
                "n_init 3, k = %d: fit %.17g/%d (run %d), sweep %.17g/%d", a->k, in->inertia, in->iterations,
                in->best_init, a->inertia, a->iterations);
      CHECK(memcmp(in->centroids_original, a->centroids, (size_t)a->k * D * sizeof(double)) == 0);
    }
    strata_model_free(m);
  }
  CHECK_MSG(better > 0, "restarts never found a lower inertia: the test would not see a wrong pick");
  strata_sweep_free(r);
  strata_sweep_free(r1);

  /* a sampled silhouette is seeded: same seed, same value; close to the exact one */
  strata_sweep_params_init(&p);
  p.k_min = p.k_max = PLANTED;
  p.silhouette_sample = 500;
  p.fit.scale = STRATA_SCALE_NONE;
  p.fit.seed = 9;
  CHECK_OK(strata_sweep(NULL, ds, &p, &r));
  CHECK_OK(strata_sweep(NULL, ds, &p, &r2));
  if (r && r2) {
    CHECK(r->silhouette_rows == 500);
    CHECK(r->results[0].silhouette == r2->results[0].silhouette);
    CHECK(r->recommended_k == PLANTED && r->knee_k == 0);
  }
  strata_sweep_free(r);
  strata_sweep_free(r2);

  struct { void (*edit)(strata_sweep_params *); strata_status want; } bad[] = {
      {e_k0, STRATA_ERR_USAGE}, {e_rev, STRATA_ERR_USAGE},  {e_list, STRATA_ERR_USAGE},
      {e_ninit, STRATA_ERR_USAGE}, {e_given, STRATA_ERR_USAGE}, {e_labels, STRATA_ERR_USAGE},
      {e_big, STRATA_ERR_DATA}, {e_tol, STRATA_ERR_USAGE}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = (strata_sweep_result *)&bad; /* must be reset to NULL */
    strata_status st = sweep_with(ds, bad[i].edit, &r);
    CHECK_MSG(st == bad[i].want && r == NULL, "case %zu: %s (%s)", i, strata_status_name(st), strata_last_error());
  }
  CHECK(strata_sweep(NULL, NULL, &p, &r) == STRATA_ERR_USAGE);
  strata_dataset_free(ds);
  free(x);
  return check_report();
}
