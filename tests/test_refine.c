/* The swap refinement after Lloyd (strata_refine, core/kmeans_refine.c):
 * on a SIPU-like grid, plain Lloyd from a bad init misses a cluster and the
 * refinement finds it (centroid index 0); the refined inertia is never
 * above plain Lloyd's from the same init and equals the float64 inertia
 * recomputed from the model; bit-identical for any thread count and chunk
 * size, also when the init sample holds only part of the rows; k = 1,
 * k = n, duplicate rows.  The sample-side search (core/refine_sample.c)
 * against a brute-force float64 oracle: the change of inertia of every
 * removal with a candidate, with one update of the touched clusters, and
 * the incremental rescan against a full one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "refine_sample.h"

static strata_model *fit(const char *path, strata_fit_params *p, int threads) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) return NULL;
  strata_status st = strata_fit(test_ctx(threads, NULL), ds, p, &m);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  strata_dataset_free(ds);
  return m;
}

/* Centroids of b that no centroid of a has as its nearest. */
static int orphans(const double *a, size_t ka, const double *b, size_t kb, size_t d) {
  int *hit = calloc(kb, sizeof *hit), n = 0;
  for (size_t i = 0; i < ka; i++) {
    size_t best = 0;
    double bd = INFINITY;
    for (size_t j = 0; j < kb; j++) {
      double q = 0;
      for (size_t c = 0; c < d; c++) q += (a[i * d + c] - b[j * d + c]) * (a[i * d + c] - b[j * d + c]);
      if (q < bd) { bd = q; best = j; }
    }
    hit[best] = 1;
  }
  for (size_t j = 0; j < kb; j++) n += !hit[j];
  free(hit);
  return n;
}

/* Franti's centroid index: 0 when every true cluster has its own centroid. */
static int centroid_index(const double *found, const double *truth, size_t k, size_t d) {
  int x = orphans(found, k, truth, k, d), y = orphans(truth, k, found, k, d);
  return x > y ? x : y;
}

/* The oracle: float64 inertia of x against the model's centroids
 * (scale none: model units are the data's). */
static double inertia_of(const float *x, size_t n, size_t d, const double *c, size_t k) {
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    double best = INFINITY;
    for (size_t j = 0; j < k; j++) {
      double q = 0;
      for (size_t t = 0; t < d; t++) q += ((double)x[i * d + t] - c[j * d + t]) * ((double)x[i * d + t] - c[j * d + t]);
      if (q < best) best = q;
    }
    s += best;
  }
  return s;
}

#define G 5          /* a G×G grid of clusters, as SIPU's A and Birch1 sets */
#define PER 60       /* rows per cluster */

static void grid(float *x, double *truth) {
  uint64_t s = 2026;
  for (int c = 0; c < G * G; c++) {
    truth[2 * c] = 10.0 * (c % G);
    truth[2 * c + 1] = 10.0 * (c / G);
    for (int i = 0; i < PER; i++) {
      x[2 * (c * PER + i)] = (float)(truth[2 * c] + fixture_normal(&s));
      x[2 * (c * PER + i) + 1] = (float)(truth[2 * c + 1] + fixture_normal(&s));
    }
  }
}

/* Two centroids in cluster 0, none in cluster G*G-1: Lloyd cannot carry a
 * centroid across the grid; a swap does. */
static void test_bad_init_found(void) {
  size_t n = G * G * PER, k = G * G;
  float *x = malloc(n * 2 * sizeof *x);
  double truth[2 * G * G], init[2 * G * G];
  grid(x, truth);
  const char *path = fixture_path("refine_grid.h5");
  CHECK(fixture_write_columns(path, NULL, n, 2, x, 256) == 0);
  memcpy(init, truth, sizeof init);
  init[2 * (k - 1)] = 0.5;
  init[2 * (k - 1) + 1] = 0.5;
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.scale = STRATA_SCALE_NONE;
  p.init = STRATA_INIT_GIVEN;
  p.init_centroids = init;
  strata_model *plain = fit(path, &p, 2); /* auto from given centroids: none */
  p.refine = STRATA_REFINE_SWAP;
  strata_model *ref = fit(path, &p, 2);
  if (plain && ref) {
    const strata_model_info *a = strata_model_get_info(plain), *b = strata_model_get_info(ref);
    CHECK(strcmp(a->refine, "none") == 0 && a->refine_trials == 0);
    CHECK(strcmp(b->refine, "swap") == 0 && b->refine_swaps >= 1 && b->refine_trials >= b->refine_swaps);
    int ci_plain = centroid_index(a->centroids_original, truth, k, 2);
    int ci_ref = centroid_index(b->centroids_original, truth, k, 2);
    CHECK_MSG(ci_plain >= 1, "plain Lloyd from the bad init found every cluster (CI %d): the case tests nothing", ci_plain);
    CHECK_MSG(ci_ref == 0, "refined CI %d", ci_ref);
    CHECK(b->inertia < a->inertia);
    CHECK_NEAR(b->inertia, inertia_of(x, n, 2, b->centroids, k), 1e-9);
  }
  strata_model_free(plain);
  strata_model_free(ref);

  /* Defaults (k-means++, auto = swap): every cluster, the same bits for any
   * thread count, chunk size, in memory or streaming. */
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.scale = STRATA_SCALE_NONE;
  p.seed = 5;
  strata_model *r0 = fit(path, &p, 1);
  int threads[] = {2, 3, 2};
  size_t chunks[] = {0, 97, 1000};
  int streaming[] = {0, 1, 0};
  for (int v = 0; r0 && v < 3; v++) {
    p.chunk_rows = chunks[v];
    p.streaming = streaming[v];
    strata_model *m = fit(path, &p, threads[v]);
    if (!m) continue;
    const strata_model_info *a = strata_model_get_info(r0), *b = strata_model_get_info(m);
    CHECK_MSG(memcmp(a->centroids, b->centroids, k * 2 * sizeof(double)) == 0, "variant %d: centroids differ", v);
    CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0, "variant %d", v);
    CHECK(a->refine_trials == b->refine_trials && a->refine_swaps == b->refine_swaps);
    strata_model_free(m);
  }
  if (r0) {
    const strata_model_info *a = strata_model_get_info(r0);
    CHECK(strcmp(a->refine, "swap") == 0 && a->refine_trials > 0);
    CHECK_MSG(centroid_index(a->centroids_original, truth, k, 2) == 0, "defaults miss a cluster");
  }
  strata_model_free(r0);
  free(x);
}

/* Random shapes (sizes off the vector widths, k = 1, k = n, duplicates):
 * refined <= plain from the same k-means++ init, and the inertia the model
 * reports is the float64 inertia of its centroids. */
static void test_never_worse(void) {
  struct { size_t n, d, k, distinct; } cases[] = {
      {1, 1, 1, 0}, {7, 3, 7, 0}, {33, 5, 4, 0}, {257, 17, 9, 0}, {1000, 2, 13, 0},
      {600, 3, 5, 6}, {50, 2, 3, 3}, {300, 1, 1, 0},
  };
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    size_t n = cases[t].n, d = cases[t].d, k = cases[t].k;
    float *x = malloc(n * d * sizeof *x);
    uint64_t s = 77 + t;
    if (cases[t].distinct) {
      float *pts = malloc(cases[t].distinct * d * sizeof *pts);
      for (size_t i = 0; i < cases[t].distinct * d; i++) pts[i] = (float)(20.0 * fixture_uniform(&s));
      for (size_t i = 0; i < n; i++)
        memcpy(x + i * d, pts + (fixture_rand(&s) % cases[t].distinct) * d, d * sizeof *x);
      free(pts);
    } else {
      fixture_blobs(x, NULL, n, d, k + 2, 12.0, s);
    }
    /* Named so that their order is the same sorted or not. */
    static const char *const names[] = {"c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08",
                                        "c09", "c10", "c11", "c12", "c13", "c14", "c15", "c16"};
    const char *path = fixture_path("refine_shape.h5");
    CHECK(fixture_write_columns(path, names, n, d, x, 64) == 0);
    for (uint64_t seed = 0; seed < 3; seed++) {
      strata_fit_params p;
      strata_fit_params_init(&p);
      p.k = (int)k;
      p.scale = STRATA_SCALE_NONE;
      p.seed = seed;
      p.refine = STRATA_REFINE_NONE;
      strata_model *a = fit(path, &p, 2);
      p.refine = STRATA_REFINE_SWAP;
      strata_model *b = fit(path, &p, 2);
      if (a && b) {
        const strata_model_info *ia = strata_model_get_info(a), *ib = strata_model_get_info(b);
        CHECK_MSG(ib->inertia <= ia->inertia, "case %zu seed %llu: refined %.17g > plain %.17g", t,
                  (unsigned long long)seed, ib->inertia, ia->inertia);
        double oracle = inertia_of(x, n, d, ib->centroids, k);
        CHECK_MSG(fabs(ib->inertia - oracle) <= 1e-9 * (oracle + 1e-12) + 1e-12, "case %zu: %.17g vs %.17g", t,
                  ib->inertia, oracle);
        if (k == 1) CHECK(ib->refine_trials == 0);
        if (k == n) CHECK(ib->inertia == 0.0);
      }
      strata_model_free(a);
      strata_model_free(b);
    }
    free(x);
  }
}


/* The init sample holds a third of the rows: the search runs on it, the
 * confirmation on all rows; the same bits for any thread count, chunk size,
 * in memory or streaming, and never above plain Lloyd. */
static void test_partial_sample(void) {
  size_t n = G * G * PER, k = G * G;
  float *x = malloc(n * 2 * sizeof *x);
  double truth[2 * G * G];
  grid(x, truth);
  const char *path = fixture_path("refine_grid_part.h5");
  CHECK(fixture_write_columns(path, NULL, n, 2, x, 256) == 0);
  for (uint64_t seed = 0; seed < 4; seed++) {
    strata_fit_params p;
    strata_fit_params_init(&p);
    p.k = (int)k;
    p.scale = STRATA_SCALE_NONE;
    p.seed = seed;
    p.init_sample = n / 3;
    p.refine = STRATA_REFINE_NONE;
    strata_model *plain = fit(path, &p, 2);
    p.refine = STRATA_REFINE_AUTO;
    strata_model *r0 = fit(path, &p, 1);
    int threads[] = {2, 3, 2, 4};
    size_t chunks[] = {0, 97, 1000, 333};
    int streaming[] = {0, 1, 0, 1};
    for (int v = 0; r0 && v < 4; v++) {
      p.chunk_rows = chunks[v];
      p.streaming = streaming[v];
      strata_model *m = fit(path, &p, threads[v]);
      if (!m) continue;
      const strata_model_info *a = strata_model_get_info(r0), *b = strata_model_get_info(m);
      CHECK_MSG(memcmp(a->centroids, b->centroids, k * 2 * sizeof(double)) == 0, "seed %llu variant %d: centroids differ",
                (unsigned long long)seed, v);
      CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0, "seed %llu variant %d", (unsigned long long)seed, v);
      CHECK(a->refine_trials == b->refine_trials && a->refine_swaps == b->refine_swaps);
      CHECK(a->iterations == b->iterations);
      strata_model_free(m);
    }
    if (r0 && plain) {
      const strata_model_info *a = strata_model_get_info(plain), *b = strata_model_get_info(r0);
      CHECK(strcmp(b->refine, "swap") == 0 && b->refine_trials > 0);
      CHECK_MSG(b->inertia <= a->inertia, "seed %llu: refined %.17g > plain %.17g", (unsigned long long)seed, b->inertia,
                a->inertia);
      CHECK_NEAR(b->inertia, inertia_of(x, n, 2, b->centroids, k), 1e-9);
    }
    strata_model_free(plain);
    strata_model_free(r0);
  }
  free(x);
}

static double sq(const float *x, const double *c, size_t d) {
  double q = 0;
  for (size_t j = 0; j < d; j++) q += ((double)x[j] - c[j]) * ((double)x[j] - c[j]);
  return q;
}

/* The search's sample arithmetic against brute force on random rows and
 * centroids (shapes off the vector widths; candidates on rows, between
 * clusters and far away; 1 and 3 threads; rows unweighted and weighted,
 * some of weight 0). */
static void test_sample_oracle(void) {
  struct { size_t m, d, k; } shapes[] = {{5, 1, 2}, {97, 3, 7}, {1500, 2, 25}, {2100, 17, 5}, {3000, 4, 40}};
  for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
    size_t m = shapes[t].m, d = shapes[t].d, k = shapes[t].k;
    float *x = malloc(m * d * sizeof *x);
    double *c = malloc(k * d * sizeof *c), *c2 = malloc(k * d * sizeof *c2), *next = malloc(k * d * sizeof *next);
    double *sum = malloc(k * d * sizeof *sum), *cand = malloc(d * sizeof *cand), *mu = malloc(k * d * sizeof *mu);
    double *cnt = malloc(k * sizeof *cnt), *cnt2 = calloc(k, sizeof *cnt2);
    float *wv = malloc(m * sizeof *wv);
    unsigned char *changed = malloc(k);
    int32_t *lab_new = malloc(m * sizeof *lab_new);
    uint64_t rs = 1000 + t;
    fixture_blobs(x, NULL, m, d, k, 8.0, rs);
    for (size_t i = 0; i < k * d; i++) c[i] = (double)x[(fixture_rand(&rs) % m) * d + i % d] + 0.1 * fixture_uniform(&rs);
    for (size_t i = 0; i < m; i++) wv[i] = i % 7 == 3 ? 0.0f : (float)(fixture_rand(&rs) % 1000) / 100.0f;
    wv[0] = 1.0f;
    for (int run = 0; run < 4; run++) {
      int threads = run % 2 ? 3 : 1;
      const float *w = run >= 2 ? wv : NULL;
#define W(i) (w ? (double)w[i] : 1.0)
      strata_refine_sample s;
      CHECK_OK(strata_refine_sample_init(&s, x, w, m, d, k, threads, c));
      double total = 0;
      for (size_t i = 0; i < m; i++) total += W(i) * s.d1[i];
      CHECK_NEAR(s.inertia, total, 1e-9 * (total + 1));
      for (int q = 0; q < 6; q++) {
        size_t row = strata_refine_sample_draw(&s, fixture_uniform(&rs));
        CHECK(row < m && s.d1[row] > 0 && W(row) > 0);
        for (size_t j = 0; j < d; j++)
          cand[j] = q < 3 ? (double)x[row * d + j] : q < 5 ? 0.5 * (c[j] + c[d + j]) : 1e3 + (double)j;
        double delta;
        size_t best = strata_refine_sample_eval(&s, cand, &delta);
        CHECK(delta == s.gain[best]);
        for (size_t a = 0; a < k; a++) {
          /* brute force: a removed, cand added */
          memcpy(c2, c, k * d * sizeof *c2);
          memcpy(c2 + a * d, cand, d * sizeof *c2);
          double after = 0;
          for (size_t i = 0; i < m; i++) {
            size_t l = 0;
            double b = INFINITY;
            for (size_t u = 0; u < k; u++) {
              double v = sq(x + i * d, c2 + u * d, d);
              if (v < b) { b = v; l = u; }
            }
            after += W(i) * b;
            lab_new[i] = (int32_t)l;
          }
          CHECK_MSG(fabs(s.gain[a] - (after - total)) <= 1e-9 * (total + 1), "shape %zu a %zu: %.17g vs %.17g", t, a,
                    s.gain[a], after - total);
          if (a != best && q != 0) continue;
          /* with the touched clusters moved to their means */
          memset(cnt2, 0, k * sizeof *cnt2);
          memset(mu, 0, k * d * sizeof *mu);
          for (size_t i = 0; i < m; i++) {
            cnt2[lab_new[i]] += W(i);
            for (size_t j = 0; j < d; j++) mu[lab_new[i] * d + j] += W(i) * (double)x[i * d + j];
          }
          double u = strata_refine_sample_update_delta(&s, a, cand, next, changed, sum, cnt);
          double moved = 0;
          for (size_t i = 0; i < m; i++) moved += W(i) * sq(x + i * d, next + (size_t)lab_new[i] * d, d);
          CHECK_MSG(fabs(u - (moved - total)) <= 1e-9 * (total + 1), "shape %zu a %zu update: %.17g vs %.17g", t, a, u,
                    moved - total);
          for (size_t v = 0; v < k; v++) {
            if (!changed[v] || cnt2[v] == 0) {
              /* an untouched or emptied centroid stays (cand in a's place) */
              const double *was = v == a ? cand : c + v * d;
              CHECK(memcmp(next + v * d, was, d * sizeof *next) == 0);
              CHECK_MSG(changed[v] || fabs(cnt2[v] - s.mass[v]) <= 1e-9 * (s.mass[v] + 1), "cluster %zu changed hands unflagged", v);
              continue;
            }
            for (size_t j = 0; j < d; j++) CHECK_NEAR(next[v * d + j], mu[v * d + j] / cnt2[v], 1e-9);
          }
        }
      }
      /* The incremental rescan after a swap equals a full one. */
      double delta;
      size_t row = strata_refine_sample_draw(&s, 0.5);
      for (size_t j = 0; j < d; j++) cand[j] = (double)x[row * d + j];
      size_t a = strata_refine_sample_eval(&s, cand, &delta);
      strata_refine_sample_update_delta(&s, a, cand, next, changed, sum, cnt);
      strata_refine_sample_set(&s, next, changed);
      strata_refine_sample full;
      CHECK_OK(strata_refine_sample_init(&full, x, w, m, d, k, 1, next));
      CHECK(memcmp(s.lab, full.lab, m * sizeof *s.lab) == 0 && memcmp(s.lab2, full.lab2, m * sizeof *s.lab2) == 0);
      CHECK(memcmp(s.d1, full.d1, m * sizeof *s.d1) == 0 && memcmp(s.d2, full.d2, m * sizeof *s.d2) == 0);
      CHECK(memcmp(&s.inertia, &full.inertia, sizeof s.inertia) == 0);
      strata_refine_sample_free(&full);
      strata_refine_sample_free(&s);
#undef W
    }
    free(x); free(c); free(c2); free(next); free(sum); free(cand); free(mu); free(cnt); free(cnt2); free(changed); free(wv);
    free(lab_new);
  }
}

static void test_bad_value(void) {
  float x[] = {0, 1, 2, 3};
  const char *path = fixture_path("refine_bad.h5");
  CHECK(fixture_write_columns(path, NULL, 4, 1, x, 4) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 2;
  p.refine = (strata_refine)7;
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  CHECK(strata_fit(NULL, ds, &p, &m) == STRATA_ERR_USAGE && m == NULL);
  strata_dataset_free(ds);
}

int main(void) {
  test_bad_init_found();
  test_never_worse();
  test_partial_sample();
  test_sample_oracle();
  test_bad_value();
  return check_report();
}
