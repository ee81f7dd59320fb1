/* Refits that continue a parent model: segment ids kept across a bootstrap
 * refit (with and without a warm start), the lineage and the training
 * reference through a model file, drift that flags a planted change and
 * stays quiet without one, and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "strata.h"

enum { N = 20000, D = 5, K = 6 };
static const char *const names[D] = {"age", "income", "visits", "recency", "basket"};

static strata_model *fit(const float *x, size_t n, int k, uint64_t seed, const strata_model *parent,
                         int warm) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, D, names, &ds));
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = k;
  p.seed = seed;
  p.parent = parent;
  p.parent_path = parent ? "parent.h5" : NULL;
  p.warm_start = warm;
  if (ds) CHECK_OK(strata_fit(test_ctx(2, NULL), ds, &p, &m));
  strata_dataset_free(ds);
  return m;
}

/* Labels of x under model m (through strata_assign and its labels file). */
static void labels_of(const strata_model *m, const float *x, size_t n, int32_t *lab) {
  const char *path = fixture_path("lineage_labels.h5");
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, D, names, &ds));
  int64_t sizes[16];
  double inertia;
  if (ds) CHECK_OK(strata_assign(test_ctx(2, NULL), m, ds, path, 0, &inertia, sizes));
  CHECK(fixture_read(path, "segment", H5T_NATIVE_INT32, lab) == 0);
  strata_dataset_free(ds);
  remove(path);
}

static double same_share(const int32_t *a, const int32_t *b, size_t n) {
  size_t same = 0;
  for (size_t i = 0; i < n; i++) same += a[i] == b[i];
  return (double)same / (double)n;
}

/* A bootstrap resample of x. */
static float *bootstrap(const float *x, uint64_t seed) {
  float *y = malloc((size_t)N * D * sizeof *y);
  for (size_t i = 0; i < N; i++) {
    size_t r = (size_t)(fixture_rand(&seed) % N);
    memcpy(y + i * D, x + r * D, D * sizeof *y);
  }
  return y;
}

static void ids_kept(const float *x) {
  strata_model *parent = fit(x, N, K, 1, NULL, 0);
  float *y = bootstrap(x, 77);
  /* Another seed numbers k-means++'s segments differently... */
  strata_model *plain = fit(y, N, K, 12345, NULL, 0);
  strata_model *matched = fit(y, N, K, 12345, parent, 0);
  strata_model *warm = fit(y, N, K, 12345, parent, 1);
  int32_t *lp = malloc(N * sizeof *lp), *lq = malloc(N * sizeof *lq);
  if (parent && plain && matched && warm) {
    labels_of(parent, x, N, lp);
    labels_of(plain, x, N, lq);
    double s_plain = same_share(lp, lq, N);
    /* ...so without the parent the ids disagree (this is what makes the
     * checks below able to fail)... */
    CHECK_MSG(s_plain < 0.5, "plain refit agrees on %.3f of ids: pick another seed", s_plain);
    CHECK(fixture_ari(lp, lq, N, K, K) > 0.99);
    /* ...and with it they are the parent's. */
    labels_of(matched, x, N, lq);
    CHECK_MSG(same_share(lp, lq, N) > 0.95, "matched refit keeps %.4f of ids", same_share(lp, lq, N));
    labels_of(warm, x, N, lq);
    CHECK_MSG(same_share(lp, lq, N) > 0.95, "warm refit keeps %.4f of ids", same_share(lp, lq, N));
    const strata_model_info *w = strata_model_get_info(warm), *mi = strata_model_get_info(matched);
    CHECK(w->iterations <= 5); /* it starts at the answer */
    CHECK(strcmp(w->init, "warm-start") == 0);
    for (int c = 0; c < K; c++) {
      CHECK(w->parent_segment[c] == c);
      CHECK(mi->parent_segment[c] == c);
      CHECK(w->parent_distance[c] < 0.1);
    }
    CHECK(strcmp(w->parent_path, "parent.h5") == 0);
    CHECK(strcmp(w->parent_created, strata_model_get_info(parent)->created) == 0);
    /* A refit of itself is a fixed point. */
    strata_model *again = fit(x, N, K, 1, parent, 1);
    if (again) {
      const strata_model_info *a = strata_model_get_info(again), *p = strata_model_get_info(parent);
      CHECK(a->iterations <= 2);
      for (size_t i = 0; i < (size_t)K * D; i++) CHECK_NEAR(a->centroids[i], p->centroids[i], 1e-9);
    }
    strata_model_free(again);
  }
  /* More segments than the parent: the parent's come first, the rest are new;
   * fewer: every segment continues a distinct parent segment or is new. */
  strata_model *more = fit(y, N, K + 2, 3, parent, 1);
  if (more) {
    const strata_model_info *m = strata_model_get_info(more);
    for (int c = 0; c < K; c++) CHECK(m->parent_segment[c] == c);
    CHECK(m->parent_segment[K] == -1 && m->parent_segment[K + 1] == -1);
  }
  strata_model *fewer = fit(y, N, K - 2, 3, parent, 1);
  if (fewer) {
    const strata_model_info *m = strata_model_get_info(fewer);
    int seen[K] = {0};
    for (int c = 0; c < K - 2; c++) {
      int p = m->parent_segment[c];
      CHECK(p >= -1 && p < K);
      if (p >= 0) CHECK(seen[p]++ == 0);
    }
  }
  strata_model_free(more);
  strata_model_free(fewer);
  free(lp);
  free(lq);
  free(y);
  strata_model_free(plain);
  strata_model_free(matched);
  strata_model_free(warm);
  strata_model_free(parent);
}

/* Lineage and reference survive a model file. */
static void round_trip(const float *x) {
  strata_model *parent = fit(x, N, K, 1, NULL, 0);
  strata_model *child = parent ? fit(x, N / 2, K, 9, parent, 0) : NULL;
  const char *path = fixture_path("lineage_model.h5");
  strata_model *back = NULL;
  if (child) {
    CHECK_OK(strata_model_save(child, path));
    CHECK_OK(strata_model_load(path, &back));
  }
  if (back) {
    const strata_model_info *a = strata_model_get_info(child), *b = strata_model_get_info(back);
    CHECK(strcmp(a->parent_path, b->parent_path) == 0);
    CHECK(strcmp(a->parent_created, b->parent_created) == 0);
    CHECK(memcmp(a->parent_segment, b->parent_segment, K * sizeof(int)) == 0);
    CHECK(memcmp(a->parent_distance, b->parent_distance, K * sizeof(double)) == 0);
    CHECK(memcmp(a->train_mean, b->train_mean, D * sizeof(double)) == 0);
    CHECK(memcmp(a->train_std, b->train_std, D * sizeof(double)) == 0);
    CHECK(memcmp(a->train_mean_distance, b->train_mean_distance, K * sizeof(double)) == 0);
    /* The reference is the training data's: means against a direct sum. */
    for (size_t j = 0; j < D; j++) {
      double s = 0;
      for (size_t i = 0; i < N / 2; i++) s += x[i * D + j];
      CHECK_NEAR(b->train_mean[j], s / (N / 2), 1e-12);
    }
  }
  strata_model_free(back);
  strata_model_free(child);
  strata_model_free(parent);
  remove(path);
}

/* Drift of new data against the model's training data (chunk_rows 0 =
 * automatic, threads 0 = all). */
static strata_drift *drift_run(const strata_model *m, const float *x, size_t n, size_t chunk, int threads) {
  const char *path = fixture_path("lineage_drift_labels.h5");
  strata_dataset *ds = NULL;
  strata_drift *dr = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, D, names, &ds));
  int64_t sizes[16];
  double inertia;
  if (ds) CHECK_OK(strata_assign_drift(test_ctx(threads, NULL), m, ds, path, chunk, NULL, "model.h5", &inertia, sizes, &dr));
  strata_dataset_free(ds);
  remove(path);
  return dr;
}

static strata_drift *drift_of(const strata_model *m, const float *x, size_t n) { return drift_run(m, x, n, 0, 2); }

static void drift(const float *x) {
  strata_model *m = fit(x, N, K, 1, NULL, 0);
  if (!m) return;
  const strata_model_info *mi = strata_model_get_info(m);
  int32_t *lab = malloc(N * sizeof *lab);
  labels_of(m, x, N, lab);
  /* Same distribution, other rows: quiet. */
  float *same = bootstrap(x, 5);
  strata_drift *d = drift_of(m, same, N);
  if (d) {
    CHECK_MSG(d->n_warnings == 0, "%d warnings on unchanged data, first: %s", d->n_warnings,
              d->n_warnings ? d->warnings[0] : "");
    CHECK(d->n_segments == K && d->n_features == D);
    CHECK(strcmp(d->reference, "model.h5") == 0);
    for (int c = 0; c < K; c++) CHECK(fabs(d->segments[c].share_change) < 0.02);
  }
  strata_drift_free(d);

  /* The same report bit for bit for any thread count and chunk size. */
  strata_drift *a = drift_run(m, same, N, 0, 1), *b = drift_run(m, same, N, 1000, 2);
  if (a && b) {
    CHECK(memcmp(a->segments, b->segments, (size_t)a->n_segments * sizeof *a->segments) == 0);
    for (int j = 0; j < D; j++) CHECK(a->features[j].mean_now == b->features[j].mean_now);
  }
  strata_drift_free(a);
  strata_drift_free(b);

  /* Feature 2 moved by half a standard deviation: only it is flagged. */
  float *shifted = malloc((size_t)N * D * sizeof *shifted);
  memcpy(shifted, x, (size_t)N * D * sizeof *shifted);
  for (size_t i = 0; i < N; i++) shifted[i * D + 2] += (float)(0.5 * mi->train_std[2]);
  d = drift_of(m, shifted, N);
  if (d) {
    for (int j = 0; j < D; j++) CHECK(d->features[j].flag == (j == 2));
    CHECK_NEAR(d->features[2].shift, 0.5, 1e-4);
    CHECK(d->n_warnings >= 1);
  }
  strata_drift_free(d);

  /* Segment 0 lost 80% of its rows: its share is flagged, the mean
   * distances are not. */
  size_t n = 0;
  uint64_t s = 3;
  for (size_t i = 0; i < N; i++) {
    if (lab[i] == 0 && fixture_uniform(&s) < 0.8) continue;
    memcpy(shifted + n * D, x + i * D, D * sizeof *shifted);
    n++;
  }
  d = drift_of(m, shifted, n);
  if (d) {
    CHECK(d->segments[0].flag && d->segments[0].share_change < -0.05);
    for (int c = 0; c < K; c++) CHECK(fabs(d->segments[c].distance_change) < 0.1);
  }
  strata_drift_free(d);

  /* Spread doubled around segment 1's centre: its mean distance is flagged. */
  memcpy(shifted, x, (size_t)N * D * sizeof *shifted);
  for (size_t i = 0; i < N; i++) {
    if (lab[i] != 1) continue;
    for (size_t j = 0; j < D; j++) {
      double c = mi->centroids_original[1 * D + j];
      shifted[i * D + j] = (float)(c + 2.0 * (shifted[i * D + j] - c));
    }
  }
  d = drift_of(m, shifted, N);
  if (d) {
    CHECK(d->segments[1].flag && d->segments[1].distance_change > 0.5);
    CHECK(!d->segments[2].flag);
  }
  strata_drift_free(d);

  /* Thresholds are honoured and validated. */
  strata_drift_thresholds th;
  strata_drift_thresholds_init(&th);
  th.share = -1;
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, names, &ds));
  int64_t sizes[K];
  double inertia;
  if (ds)
    CHECK(strata_assign_drift(test_ctx(1, NULL), m, ds, fixture_path("lineage_bad.h5"), 0, &th, NULL, &inertia, sizes, &d) ==
          STRATA_ERR_USAGE);
  strata_dataset_free(ds);
  remove(fixture_path("lineage_bad.h5"));
  free(same);
  free(shifted);
  free(lab);
  strata_model_free(m);
}

/* A parent over other features is refused before any work. */
static void refusals(const float *x) {
  strata_model *parent = fit(x, N, K, 1, NULL, 0);
  static const char *const other[D] = {"age", "income", "visits", "recency", "spend"};
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, other, &ds));
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  p.parent = parent;
  p.warm_start = 1;
  strata_model *m = NULL;
  if (ds && parent) {
    strata_status st = strata_fit(NULL, ds, &p, &m);
    CHECK(st == STRATA_ERR_USAGE && m == NULL);
    CHECK(strata_status_exit_code(st) == 2);
    CHECK_MSG(strstr(strata_last_error(), "spend") != NULL, "message: %s", strata_last_error());
  }
  strata_dataset_free(ds);
  strata_model_free(parent);
}

int main(void) {
  float *x = malloc((size_t)N * D * sizeof *x);
  fixture_blobs(x, NULL, N, D, K, 12.0, 42);
  ids_kept(x);
  round_trip(x);
  drift(x);
  refusals(x);
  free(x);
  return check_report();
}
