/* k-means|| (--init k-means||): the same model bits for any thread count,
 * chunk size and in-core/streaming, on shapes that are not multiples of a
 * block or the vector width, with dropped rows, for k = 1, k = n and
 * duplicated rows; planted clusters found, light far ones too; the weighted
 * reduction ends at a
 * weighted Lloyd fixed point checked in float64 here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "kmeans_weighted.h"

static strata_status fit(const char *path, strata_fit_params *p, int threads, const char *backend,
                         strata_model **m) {
  strata_dataset *ds = NULL;
  *m = NULL;
  strata_status st = strata_dataset_open(path, NULL, NULL, 0, &ds);
  if (st == STRATA_OK) st = strata_fit(test_ctx(threads, backend), ds, p, m);
  strata_dataset_free(ds);
  return st;
}

static strata_model *fit_ok(const char *path, strata_fit_params *p, int threads, const char *backend) {
  strata_model *m = NULL;
  strata_status st = fit(path, p, threads, backend, &m);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  return m;
}

static void params(strata_fit_params *p, int k, uint64_t seed) {
  strata_fit_params_init(p);
  p->k = k;
  p->seed = seed;
  p->init = STRATA_INIT_KMEANS_PARALLEL;
}

/* Random shapes: threads × chunk sizes × streaming give the same model. */
static void test_identity(void) {
  struct { size_t n, d; int k; int drop; const char *backend; } shapes[] = {
      {30011, 5, 6, 0, NULL}, {4097, 3, 1, 0, "ref"}, {9000, 17, 40, 1, NULL}, {1000, 2, 150, 0, NULL},
      {12289, 33, 9, 1, "ref"}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
    size_t n = shapes[s].n, d = shapes[s].d, k = (size_t)shapes[s].k;
    float *x = malloc(n * d * sizeof *x);
    fixture_blobs(x, NULL, n, d, k < 20 ? k : 20, 12.0, 100 + s);
    uint64_t r = 7 + s;
    if (shapes[s].drop)
      for (size_t i = 0; i < n; i++)
        if (fixture_uniform(&r) < 0.03) x[i * d + (size_t)(fixture_rand(&r) % d)] = NAN;
    const char *path = fixture_path("kpar_shape.h5");
    CHECK(fixture_write_columns(path, NULL, n, d, x, 3000) == 0);
    strata_fit_params p;
    params(&p, (int)k, 3 + s);
    p.missing = shapes[s].drop ? STRATA_MISSING_DROP : STRATA_MISSING_ERROR;
    p.max_iter = 20;
    p.chunk_rows = 4096;
    strata_model *a = fit_ok(path, &p, 1, shapes[s].backend);
    int threads[] = {2, 2, 1};
    size_t chunks[] = {12288, 0, 8192};
    int streaming[] = {0, 1, 1};
    for (int v = 0; a && v < 3; v++) {
      p.chunk_rows = chunks[v];
      p.streaming = streaming[v];
      strata_model *b = fit_ok(path, &p, threads[v], shapes[s].backend);
      if (!b) continue;
      const strata_model_info *ia = strata_model_get_info(a), *ib = strata_model_get_info(b);
      CHECK_MSG(memcmp(ia->centroids, ib->centroids, k * d * sizeof(double)) == 0,
                "n=%zu d=%zu k=%zu variant %d: centroids differ", n, d, k, v);
      CHECK_MSG(memcmp(&ia->inertia, &ib->inertia, sizeof(double)) == 0, "n=%zu variant %d: %.17g vs %.17g", n,
                v, ia->inertia, ib->inertia);
      CHECK(strcmp(ib->init, "k-means||") == 0);
      strata_model_free(b);
    }
    strata_model_free(a);
    free(x);
    remove(path);
  }
}

/* Well-separated planted clusters: every seed finds them (refinement off,
 * so the seeding alone is judged). */
static void test_planted(void) {
  size_t n = 20000, d = 4, k = 15;
  float *x = malloc(n * d * sizeof *x);
  int32_t *truth = malloc(n * sizeof *truth), *lab = malloc(n * sizeof *lab);
  fixture_blobs(x, truth, n, d, k, 200.0, 5);
  const char *path = fixture_path("kpar_blobs.h5");
  const char *labels = fixture_path("kpar_blobs_labels.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 4096) == 0);
  for (uint64_t seed = 1; seed <= 5; seed++) {
    strata_fit_params p;
    params(&p, (int)k, seed);
    p.refine = STRATA_REFINE_NONE;
    p.labels_path = labels;
    strata_model *m = fit_ok(path, &p, 2, NULL);
    if (!m) continue;
    CHECK(fixture_read(labels, "segment", H5T_NATIVE_INT32, lab) == 0);
    double ari = fixture_ari(truth, lab, n, (int)k, (int)k);
    CHECK_MSG(ari > 0.999, "seed %llu: ARI %.4f", (unsigned long long)seed, ari);
    strata_model_free(m);
  }
  remove(path);
  remove(labels);
  free(x); free(truth); free(lab);
}

/* Ten heavy clusters and ten of 20 rows (0.01% of the rows each), every
 * centre at least 60 units from the others: splitting a heavy cluster
 * lowers the inertia less than giving a light one its centre, and the
 * reduction must see that (without its swaps it misses one: checked when
 * this test was written).  Every true centre gets a centroid within 1. */
static void test_light_far_clusters(void) {
  size_t d = 4, big = 10, tiny = 10, tiny_rows = 20, n = 200000;
  uint64_t r = 31;
  double centres[20][4];
  for (size_t c = 0; c < big + tiny; c++) { /* at least 60 apart */
    double near = 0.0;
    while (near < 3600.0) {
      for (size_t j = 0; j < d; j++) centres[c][j] = (fixture_uniform(&r) - 0.5) * 200.0;
      near = INFINITY;
      for (size_t e = 0; e < c; e++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += (centres[c][j] - centres[e][j]) * (centres[c][j] - centres[e][j]);
        near = fmin(near, s);
      }
    }
  }
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    size_t c = i < tiny * tiny_rows ? big + i / tiny_rows : i % big;
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(centres[c][j] + fixture_normal(&r));
  }
  const char *path = fixture_path("kpar_light.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 8192) == 0);
  for (uint64_t seed = 0; seed < 3; seed++) {
    strata_fit_params p;
    params(&p, (int)(big + tiny), seed);
    p.scale = STRATA_SCALE_NONE;
    p.refine = STRATA_REFINE_NONE;
    strata_model *m = fit_ok(path, &p, 2, NULL);
    if (!m) continue;
    const double *f = strata_model_get_info(m)->centroids;
    for (size_t c = 0; c < big + tiny; c++) {
      double best = INFINITY;
      for (size_t e = 0; e < big + tiny; e++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += (f[e * d + j] - centres[c][j]) * (f[e * d + j] - centres[c][j]);
        best = fmin(best, s);
      }
      CHECK_MSG(best < 1.0, "seed %llu: true centre %zu has no centroid (nearest at %.2f)",
                (unsigned long long)seed, c, sqrt(best));
    }
    strata_model_free(m);
  }
  remove(path);
  free(x);
}

/* 7 distinct rows repeated: k = 7 puts a centre on each (inertia 0);
 * k = 8 is refused naming the shortage.  k = n on distinct rows: each row
 * its own segment. */
static void test_duplicates_and_k_equals_n(void) {
  size_t n = 5003, d = 3;
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)((i * 5 % 7) * (j + 1)) + (float)j;
  const char *path = fixture_path("kpar_dup.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  strata_fit_params p;
  params(&p, 7, 1);
  strata_model *m = fit_ok(path, &p, 2, NULL);
  if (m) {
    CHECK_MSG(strata_model_get_info(m)->inertia == 0.0, "inertia %g", strata_model_get_info(m)->inertia);
    strata_model_free(m);
  }
  params(&p, 8, 1);
  CHECK(fit(path, &p, 2, NULL, &m) == STRATA_ERR_DATA);
  CHECK_MSG(strstr(strata_last_error(), "fewer than k = 8") != NULL, "%s", strata_last_error());
  strata_model_free(m);
  remove(path);

  size_t nn = 61;
  uint64_t r = 9;
  for (size_t i = 0; i < nn * d; i++) x[i] = (float)fixture_normal(&r);
  CHECK(fixture_write_columns(path, NULL, nn, d, x, 16) == 0);
  params(&p, (int)nn, 2);
  m = fit_ok(path, &p, 2, NULL);
  if (m) {
    const strata_model_info *mi = strata_model_get_info(m);
    CHECK_MSG(mi->inertia == 0.0, "k = n: inertia %g", mi->inertia);
    for (size_t c = 0; c < nn; c++) CHECK(mi->sizes[c] == 1);
    strata_model_free(m);
  }
  remove(path);
  free(x);
}

/* The reduction: each centre is the weighted mean of the points nearest
 * to it (float64 here), zero-weight points pull nothing; 1 and 2 threads
 * agree bit for bit. */
static void test_weighted_fixed_point(void) {
  size_t m = 777, d = 3, k = 9;
  float *x = malloc(m * d * sizeof *x);
  double *w = malloc(m * sizeof *w), *c1 = malloc(k * d * sizeof *c1), *c2 = malloc(k * d * sizeof *c2);
  fixture_blobs(x, NULL, m, d, 12, 10.0, 21);
  uint64_t r = 4;
  for (size_t i = 0; i < m; i++) w[i] = (double)(fixture_rand(&r) % 6);
  const strata_kernels *kern = strata_kernels_for_shape("auto", d, k);
  strata_weighted_job job = {NULL, kern, 1, x, w, m, d, k, 77, 1, 300, 0};
  CHECK_OK(strata_kmeans_weighted(&job, c1));
  job.threads = 2;
  CHECK_OK(strata_kmeans_weighted(&job, c2));
  CHECK(memcmp(c1, c2, k * d * sizeof *c1) == 0);
  double *sum = calloc(k * d, sizeof *sum), *wt = calloc(k, sizeof *wt);
  for (size_t i = 0; i < m; i++) {
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
      double s = 0.0;
      for (size_t j = 0; j < d; j++) s += (x[i * d + j] - c1[c * d + j]) * (x[i * d + j] - c1[c * d + j]);
      if (s < bd) { bd = s; best = c; }
    }
    wt[best] += w[i];
    for (size_t j = 0; j < d; j++) sum[best * d + j] += w[i] * x[i * d + j];
  }
  for (size_t c = 0; c < k; c++) {
    CHECK_MSG(wt[c] > 0.0, "centre %zu has no weight", c);
    for (size_t j = 0; c < k && wt[c] > 0.0 && j < d; j++)
      CHECK_MSG(fabs(sum[c * d + j] / wt[c] - c1[c * d + j]) <= 1e-9 * (1.0 + fabs(c1[c * d + j])),
                "centre %zu col %zu: %.17g vs mean %.17g", c, j, c1[c * d + j], sum[c * d + j] / wt[c]);
  }
  /* scaling every weight changes no draw */
  for (size_t i = 0; i < m; i++) w[i] *= 4.0;
  CHECK_OK(strata_kmeans_weighted(&job, c2));
  CHECK(memcmp(c1, c2, k * d * sizeof *c1) == 0);
  free(x); free(w); free(c1); free(c2); free(sum); free(wt);
}

int main(void) {
  test_identity();
  test_planted();
  test_light_far_clusters();
  test_duplicates_and_k_equals_n();
  test_weighted_fixed_point();
  return check_report();
}
