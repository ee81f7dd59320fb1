/* strata_sweep comparing methods (algorithms "kmeans,gmm,ward"): each gmm
 * and ward k equals strata_fit with the same parameters (BIC, AIC,
 * inertia, sizes, centroids bit for bit: the same partition); the k-means
 * rows equal a k-means-only sweep's; 1 and 3 threads (and another chunk
 * size) agree bit for bit; a (method, k) is recommended with a one-line
 * reason; stability runs equal strata_stability's; bad lists fail.
 * strata_stability with gmm and ward.  Two-step Ward in a weighted sweep
 * against the weighted metrics of strata_fit_memory's labels. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "strata.h"

enum { N = 900, D = 3, PLANTED = 4, KMIN = 2, KMAX = 5, NK = KMAX - KMIN + 1 };

static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void base(strata_sweep_params *p) {
  strata_sweep_params_init(p);
  p->k_min = KMIN;
  p->k_max = KMAX;
  p->fit.scale = STRATA_SCALE_NONE;
  p->fit.seed = 9;
  p->silhouette_sample = 400; /* a sample, not every row */
  p->algorithms = "kmeans,gmm,ward";
}

static const strata_sweep_k *item(const strata_sweep_result *r, const char *alg, int k) {
  for (size_t i = 0; r && i < r->n_results; i++)
    if (strcmp(r->results[i].algorithm, alg) == 0 && r->results[i].k == k) return &r->results[i];
  return NULL;
}

static strata_status with_list(strata_dataset *ds, const char *list, int runs) {
  strata_sweep_params p;
  base(&p);
  p.algorithms = list;
  p.stability_runs = runs;
  strata_sweep_result *r = NULL;
  strata_status st = strata_sweep(NULL, ds, &p, &r);
  strata_sweep_free(r);
  return st;
}

/* Ward two-step in a weighted sweep (`strata sweep` has no --ward-mode;
 * the C API does): each k's inertia is strata_fit's, and its
 * Calinski-Harabasz and Davies-Bouldin are those of the fit's partition
 * (strata_fit_memory's labels) with the row weights, computed here. */
static void test_weighted_twostep(void) {
  enum { WN = 3000 };
  float *x = malloc(WN * D * sizeof *x), *w = malloc(WN * sizeof *w);
  int32_t *lab = malloc(WN * sizeof *lab);
  fixture_blobs(x, NULL, WN, D, PLANTED, 30.0, 78);
  for (size_t i = 0; i < WN; i++) w[i] = 0.25f * (float)(1 + (i * 7) % 5);
  strata_dataset *ds = NULL, *wd = NULL;
  const char *wname[] = {"w"};
  CHECK_OK(strata_dataset_from_memory(x, WN, D, NULL, &ds));
  CHECK_OK(strata_dataset_from_memory(w, WN, 1, wname, &wd));
  CHECK_OK(strata_dataset_set_weights(ds, wd));
  strata_sweep_params p;
  base(&p);
  p.algorithms = "ward";
  p.fit.ward_mode = STRATA_WARD_TWOSTEP;
  p.fit.ward_micro = 120;
  strata_sweep_result *r = NULL;
  CHECK_OK(strata_sweep(NULL, ds, &p, &r));
  for (int k = KMIN; r && k <= KMAX; k++) {
    const strata_sweep_k *it = item(r, "ward", k);
    strata_fit_params f = p.fit;
    f.k = k;
    f.algorithm = "ward";
    strata_model *m = NULL;
    for (size_t i = 0; i < WN; i++) lab[i] = -1;
    const strata_status st = strata_fit_memory(NULL, ds, &f, lab, NULL, &m);
    CHECK_MSG(st == STRATA_OK, "two-step weighted k=%d: %s", k, strata_last_error());
    /* strata_fit_memory wrote no label in the two-step mode before */
    size_t labelled = 0;
    for (size_t i = 0; i < WN; i++) labelled += lab[i] >= 0 && lab[i] < k;
    CHECK_MSG(labelled == WN, "two-step strata_fit_memory k=%d: %zu of %d rows labelled", k, labelled, (int)WN);
    if (!it || st != STRATA_OK || labelled != WN) {
      CHECK(it != NULL);
      strata_model_free(m);
      continue;
    }
    CHECK(same(strata_model_get_info(m)->inertia, it->inertia));
    double mass[KMAX] = {0}, mean[KMAX][D] = {{0}}, dist[KMAX] = {0}, within = 0.0, n = 0.0;
    for (size_t i = 0; i < WN; i++) {
      mass[lab[i]] += w[i];
      for (size_t j = 0; j < D; j++) mean[lab[i]][j] += (double)w[i] * x[i * D + j];
    }
    for (int c = 0; c < k; c++)
      for (size_t j = 0; j < D; j++) mean[c][j] /= mass[c];
    for (size_t i = 0; i < WN; i++) {
      double q = 0.0;
      for (size_t j = 0; j < D; j++) q += ((double)x[i * D + j] - mean[lab[i]][j]) * ((double)x[i * D + j] - mean[lab[i]][j]);
      within += w[i] * q;
      dist[lab[i]] += w[i] * sqrt(q);
    }
    double g[D] = {0}, between = 0.0, db = 0.0;
    for (int c = 0; c < k; c++) {
      n += mass[c];
      for (size_t j = 0; j < D; j++) g[j] += mass[c] * mean[c][j];
    }
    for (int c = 0; c < k; c++)
      for (size_t j = 0; j < D; j++) between += mass[c] * (mean[c][j] - g[j] / n) * (mean[c][j] - g[j] / n);
    for (int a = 0; a < k; a++) {
      double worst = 0.0;
      for (int b = 0; b < k; b++) {
        if (b == a) continue;
        double sep = 0.0;
        for (size_t j = 0; j < D; j++) sep += (mean[a][j] - mean[b][j]) * (mean[a][j] - mean[b][j]);
        const double v = (dist[a] / mass[a] + dist[b] / mass[b]) / sqrt(sep);
        worst = v > worst ? v : worst;
      }
      db += worst / k;
    }
    const double ch = between * (n - k) / (within * (k - 1));
    CHECK_MSG(fabs(it->calinski_harabasz - ch) <= 1e-9 * ch && fabs(it->davies_bouldin - db) <= 1e-9 * db,
              "two-step weighted k=%d: CH %.17g vs %.17g, DB %.17g vs %.17g", k, it->calinski_harabasz, ch,
              it->davies_bouldin, db);
    strata_model_free(m);
  }
  strata_sweep_free(r);
  strata_dataset_free(ds);
  free(x); free(w); free(lab);
}

int main(void) {
  float *x = malloc(N * D * sizeof *x);
  fixture_blobs(x, NULL, N, D, PLANTED, 30.0, 77);
  const char *path = fixture_path("sweep_methods.h5");
  CHECK(fixture_write_columns(path, NULL, N, D, x, 300) == 0);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));

  strata_sweep_params p;
  base(&p);
  strata_sweep_result *r = NULL, *r3 = NULL, *km = NULL;
  CHECK_OK(strata_sweep(test_ctx(1, NULL), ds, &p, &r));
  p.fit.chunk_rows = 128;
  CHECK_OK(strata_sweep(test_ctx(3, NULL), ds, &p, &r3));
  p.fit.chunk_rows = 0;
  p.algorithms = NULL;
  CHECK_OK(strata_sweep(test_ctx(1, NULL), ds, &p, &km));
  if (r && r3 && km) {
    CHECK(r->n_results == 3 * NK && r->n_algorithms == 3 && km->n_algorithms == 1);
    CHECK(r->silhouette_rows == 400 && r->rows == N);
    for (size_t i = 0; i < r->n_results; i++) {
      const strata_sweep_k *a = &r->results[i], *b = &r3->results[i];
      CHECK(strcmp(a->algorithm, i < NK ? "kmeans" : i < 2 * NK ? "gmm" : "ward") == 0);
      CHECK(a->k == KMIN + (int)(i % NK));
      CHECK_MSG(strcmp(a->algorithm, b->algorithm) == 0 && a->k == b->k && same(a->inertia, b->inertia) &&
                    same(a->silhouette, b->silhouette) && same(a->bic, b->bic) &&
                    same(a->calinski_harabasz, b->calinski_harabasz) && same(a->davies_bouldin, b->davies_bouldin) &&
                    memcmp(a->centroids, b->centroids, (size_t)a->k * D * sizeof(double)) == 0,
                "%s k = %d differs between 1 and 3 threads", a->algorithm, a->k);
      CHECK(isfinite(a->silhouette) && a->silhouette > -1.0 && a->silhouette <= 1.0);
      CHECK(isnan(a->stability));
    }
    for (int k = KMIN; k <= KMAX; k++) {
      const strata_sweep_k *a = item(r, "kmeans", k), *o = item(km, "kmeans", k);
      CHECK(a && o && same(a->inertia, o->inertia) && same(a->silhouette, o->silhouette) &&
            same(a->davies_bouldin, o->davies_bouldin) && isnan(a->bic));
      static const char *const methods[] = {"gmm", "ward"};
      for (int mth = 0; mth < 2; mth++) {
        const strata_sweep_k *s = item(r, methods[mth], k);
        strata_fit_params fp = p.fit;
        fp.k = k;
        fp.algorithm = methods[mth];
        strata_model *m = NULL;
        CHECK_OK(strata_fit(test_ctx(2, NULL), ds, &fp, &m));
        if (!m || !s) continue;
        const strata_model_info *in = strata_model_get_info(m);
        CHECK_MSG(same(in->inertia, s->inertia) && in->iterations == s->iterations,
                  "%s k = %d: fit %.17g/%d, sweep %.17g/%d", methods[mth], k, in->inertia, in->iterations,
                  s->inertia, s->iterations);
        CHECK(memcmp(in->sizes, s->sizes, (size_t)k * sizeof(int64_t)) == 0);
        CHECK(memcmp(in->centroids_original, s->centroids, (size_t)k * D * sizeof(double)) == 0);
        if (mth == 0) {
          CHECK_MSG(same(in->bic, s->bic) && same(in->aic, s->aic), "gmm k = %d: BIC fit %.17g sweep %.17g", k,
                    in->bic, s->bic);
          CHECK(isnan(s->calinski_harabasz) && isnan(s->davies_bouldin));
        } else {
          CHECK(isnan(s->bic) && isfinite(s->calinski_harabasz) && isfinite(s->davies_bouldin));
        }
        strata_model_free(m);
      }
    }
    CHECK_MSG(r->recommended_algorithm && r->recommended_k == PLANTED, "recommended %s k = %d: %s",
              r->recommended_algorithm ? r->recommended_algorithm : "(none)", r->recommended_k, r->reason);
    CHECK(r->reason && strchr(r->reason, '\n') == NULL && r->recommended_algorithm &&
          strncmp(r->reason, r->recommended_algorithm, strlen(r->recommended_algorithm)) == 0);
    CHECK(strstr(r->reason, "BIC") != NULL || strstr(r->reason, "knee") != NULL ||
          strstr(r->reason, "silhouette") != NULL);
    CHECK(km->recommended_algorithm && strcmp(km->recommended_algorithm, "kmeans") == 0);
  }
  strata_sweep_free(r);
  strata_sweep_free(r3);
  strata_sweep_free(km);

  /* stability runs: strata_stability's mean ARI on the silhouette sample's size */
  base(&p);
  p.algorithms = "gmm,ward";
  p.k_min = p.k_max = 3;
  p.stability_runs = 3;
  CHECK_OK(strata_sweep(NULL, ds, &p, &r));
  for (size_t i = 0; r && i < r->n_results; i++) {
    const strata_sweep_k *a = &r->results[i];
    strata_stability_params sp;
    strata_stability_params_init(&sp);
    sp.fit = p.fit;
    sp.fit.k = 3;
    sp.fit.algorithm = a->algorithm;
    sp.runs = 3;
    sp.sample_rows = p.silhouette_sample;
    strata_stability_result *s = NULL;
    CHECK_OK(strata_stability(NULL, ds, &sp, &s));
    CHECK_MSG(s && same(s->ari_mean, a->stability), "%s: stability %.17g vs %.17g", a->algorithm,
              s ? s->ari_mean : NAN, a->stability);
    CHECK(s && strcmp(s->algorithm, a->algorithm) == 0);
    strata_stability_free(s);
  }
  CHECK(r && strstr(r->reason, "stability") != NULL);
  strata_sweep_free(r);

  /* stability: a mixture's runs are compared by its most probable components */
  strata_stability_params sp;
  strata_stability_params_init(&sp);
  sp.fit.k = PLANTED;
  sp.fit.algorithm = "gmm";
  sp.fit.scale = STRATA_SCALE_NONE;
  sp.runs = 4;
  strata_stability_result *s1 = NULL, *s3 = NULL;
  CHECK_OK(strata_stability(test_ctx(1, NULL), ds, &sp, &s1));
  CHECK_OK(strata_stability(test_ctx(3, NULL), ds, &sp, &s3));
  if (s1 && s3) {
    CHECK_MSG(s1->ari_mean > 0.9, "planted blobs: ARI %.4f", s1->ari_mean);
    CHECK(same(s1->ari_mean, s3->ari_mean) && same(s1->segments[0].jaccard_mean, s3->segments[0].jaccard_mean));
  }
  strata_stability_free(s1);
  strata_stability_free(s3);
  sp.fit.algorithm = "dbscan";
  CHECK(strata_stability(NULL, ds, &sp, &s1) == STRATA_ERR_USAGE);

  /* bad lists */
  CHECK(with_list(ds, "kmeans,dbscan", 0) == STRATA_ERR_USAGE);
  CHECK(strstr(strata_last_error(), "dbscan") != NULL);
  CHECK(with_list(ds, "gmm,gmm", 0) == STRATA_ERR_USAGE);
  CHECK(with_list(ds, "kmeans,,ward", 0) == STRATA_ERR_USAGE);
  CHECK(with_list(ds, "kmeans,spectral", 0) == STRATA_ERR_USAGE);
  CHECK(strstr(strata_last_error(), "spectral") != NULL);
  CHECK(with_list(ds, "gmm", 1) == STRATA_ERR_USAGE);

  strata_dataset_free(ds);
  free(x);
  test_weighted_twostep();
  return check_report();
}
