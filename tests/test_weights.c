/* Row weights (strata_dataset_set_weights) end to end: weighted Lloyd from
 * given centres against a float64 reference of the same iterations on
 * random shapes (d not a multiple of the vector widths, k = 1, k = n,
 * duplicated rows, weights of 0), the same bits for 1 and 2 threads,
 * streamed or in core and any chunk size, the weighted z-score scaler, and
 * the errors of set_weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"

/* The fit's Lloyd in float64: labels by nearest centre (the rows are
 * well separated, so no near-ties), centres to weighted means, until no
 * label changes.  inertia OUT: the weighted sum at the last assignment. */
static void reference(const float *x, const float *w, size_t n, size_t d, size_t k, double *c, double *inertia,
                      int *iters) {
  int *lab = malloc(n * sizeof *lab);
  double *s = calloc(k * d, sizeof *s), *ws = calloc(k, sizeof *ws);
  for (size_t i = 0; i < n; i++) lab[i] = -1;
  for (*iters = 1; *iters <= 300; ++*iters) {
    int moved = 0;
    *inertia = 0.0;
    memset(s, 0, k * d * sizeof *s);
    memset(ws, 0, k * sizeof *ws);
    for (size_t i = 0; i < n; i++) {
      size_t best = 0;
      double bd = INFINITY;
      for (size_t cc = 0; cc < k; cc++) {
        double q = 0.0;
        for (size_t j = 0; j < d; j++) q += ((double)x[i * d + j] - c[cc * d + j]) * ((double)x[i * d + j] - c[cc * d + j]);
        if (q < bd) bd = q, best = cc;
      }
      moved |= lab[i] != (int)best;
      lab[i] = (int)best;
      *inertia += w[i] * bd;
      ws[best] += w[i];
      for (size_t j = 0; j < d; j++) s[best * d + j] += w[i] * (double)x[i * d + j];
    }
    if (!moved) break;
    for (size_t cc = 0; cc < k; cc++)
      for (size_t j = 0; ws[cc] > 0.0 && j < d; j++) c[cc * d + j] = s[cc * d + j] / ws[cc];
  }
  free(lab); free(s); free(ws);
}

static strata_dataset *weighted_memory(const float *x, const float *w, size_t n, size_t d) {
  strata_dataset *ds = NULL, *wd = NULL;
  const char *wname[] = {"value"};
  CHECK_OK(strata_dataset_from_memory(x, n, d, NULL, &ds));
  CHECK_OK(strata_dataset_from_memory(w, n, 1, wname, &wd));
  CHECK_OK(strata_dataset_set_weights(ds, wd));
  return ds;
}

static strata_model *fit(strata_dataset *ds, strata_fit_params *p, int threads) {
  strata_model *m = NULL;
  strata_status st = strata_fit(test_ctx(threads, NULL), ds, p, &m);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  return m;
}

/* n rows around `centres` well-separated points (spacing 20, spread 1),
 * `dups` of them repeated, weights in [0, 10) with every 9th 0. */
static void make_data(size_t n, size_t d, size_t centres, size_t dups, uint64_t seed, float *x, float *w) {
  uint64_t r = seed;
  for (size_t i = 0; i < n; i++) {
    size_t g = i % centres;
    for (size_t j = 0; j < d; j++)
      x[i * d + j] = (float)(20.0 * (double)((g >> (j % 4)) & 3) + 7.0 * (double)g * (j == 0) +
                             ((double)(fixture_rand(&r) % 2001) / 1000.0 - 1.0));
    w[i] = (i % 9 == 0) ? 0.0f : (float)(fixture_rand(&r) % 10000) / 1000.0f;
  }
  for (size_t i = 0; i < dups && i + dups < n; i++) {
    memcpy(x + (n - 1 - i) * d, x + i * d, d * sizeof *x);
    w[n - 1 - i] = w[i] + 1.0f;
  }
}

static void test_against_reference(void) {
  const struct { size_t n, d, k, dups; } shapes[] = {
      {1000, 1, 1, 0}, {4097, 3, 4, 50}, {9001, 17, 7, 300}, {12289, 8, 5, 0}, {257, 33, 3, 40}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    size_t n = shapes[s].n, d = shapes[s].d, k = shapes[s].k;
    float *x = malloc(n * d * sizeof *x), *w = malloc(n * sizeof *w);
    make_data(n, d, k, shapes[s].dups, 11 + s, x, w);
    double *init = malloc(k * d * sizeof *init), *ref = malloc(k * d * sizeof *ref);
    for (size_t c = 0; c < k; c++)
      for (size_t j = 0; j < d; j++) init[c * d + j] = ref[c * d + j] = x[(c + k) % n * d + j];
    double ref_inertia = 0.0;
    int ref_iters = 0;
    reference(x, w, n, d, k, ref, &ref_inertia, &ref_iters);
    strata_fit_params p;
    strata_fit_params_init(&p);
    p.k = (int)k;
    p.scale = STRATA_SCALE_NONE;
    p.init = STRATA_INIT_GIVEN;
    p.init_centroids = init;
    p.tol = 0.0;
    strata_dataset *ds = weighted_memory(x, w, n, d);
    strata_model *m1 = fit(ds, &p, 1);
    p.chunk_rows = 4096;
    p.streaming = 1;
    strata_model *m2 = fit(ds, &p, 2);
    p.chunk_rows = 8192;
    p.streaming = 0;
    strata_model *m3 = fit(ds, &p, 2);
    if (m1 && m2 && m3) {
      const strata_model_info *a = strata_model_get_info(m1);
      double err = 0.0;
      for (size_t i = 0; i < k * d; i++) err = fmax(err, fabs(a->centroids[i] - ref[i]) / fmax(1.0, fabs(ref[i])));
      CHECK_MSG(err < 1e-9, "shape %zu: centroids %.3g from the float64 reference", s, err);
      CHECK_MSG(fabs(a->inertia - ref_inertia) <= 1e-9 * ref_inertia, "shape %zu: inertia %.17g vs %.17g", s,
                a->inertia, ref_inertia);
      CHECK_MSG(a->iterations == ref_iters, "shape %zu: %d iterations vs %d", s, a->iterations, ref_iters);
      CHECK_MSG(strcmp(a->weight_column, "value") == 0, "shape %zu: weight column recorded", s);
      for (int v = 0; v < 2; v++) {
        const strata_model_info *b = strata_model_get_info(v ? m3 : m2);
        CHECK_MSG(memcmp(a->centroids, b->centroids, k * d * sizeof(double)) == 0 && a->inertia == b->inertia,
                  "shape %zu: the same bits for threads, chunk size and streaming (%d)", s, v);
      }
    }
    strata_model_free(m1); strata_model_free(m2); strata_model_free(m3);
    strata_dataset_free(ds);
    free(x); free(w); free(init); free(ref);
  }
}

/* k = n: every row its own centre, inertia 0; the z-score scaler is the
 * weighted mean and standard deviation. */
static void test_k_equals_n_and_scaler(void) {
  enum { N = 37, D = 3 };
  float x[N * D], w[N];
  uint64_t r = 5;
  for (size_t i = 0; i < N * D; i++) x[i] = (float)(fixture_rand(&r) % 100000) / 100.0f;
  for (size_t i = 0; i < N; i++) w[i] = 0.5f + (float)(i % 5);
  strata_dataset *ds = weighted_memory(x, w, N, D);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = N;
  strata_model *m = fit(ds, &p, 2);
  if (m) {
    const strata_model_info *mi = strata_model_get_info(m);
    CHECK(mi->inertia == 0.0);
    for (size_t j = 0; j < D; j++) {
      double sw = 0, swx = 0, sq = 0;
      for (size_t i = 0; i < N; i++) sw += w[i], swx += w[i] * (double)x[i * D + j];
      double mean = swx / sw;
      for (size_t i = 0; i < N; i++) sq += w[i] * ((double)x[i * D + j] - mean) * ((double)x[i * D + j] - mean);
      CHECK_MSG(fabs(mi->scale_shift[j] - mean) <= 1e-12 * fabs(mean), "column %zu: shift %.17g vs %.17g", j,
                mi->scale_shift[j], mean);
      CHECK_MSG(fabs(mi->scale_factor[j] - sqrt(sq / sw)) <= 1e-12 * sqrt(sq / sw), "column %zu: factor", j);
    }
  }
  strata_model_free(m);
  strata_dataset_free(ds);
}

static void test_set_weights_errors(void) {
  float x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, w[4] = {1, 1, 1, 1};
  strata_dataset *ds = NULL, *wd = NULL;
  CHECK_OK(strata_dataset_from_memory(x, 8, 1, NULL, &ds));
  CHECK_OK(strata_dataset_from_memory(w, 4, 1, NULL, &wd));
  CHECK(strata_dataset_set_weights(ds, wd) == STRATA_ERR_DATA); /* 4 rows, not 8; wd freed */
  CHECK_OK(strata_dataset_from_memory(x, 4, 2, NULL, &wd));
  CHECK(strata_dataset_set_weights(ds, wd) == STRATA_ERR_USAGE); /* two columns */
  const char *same[] = {"c0"};
  CHECK_OK(strata_dataset_from_memory(x, 8, 1, same, &wd));
  CHECK(strata_dataset_set_weights(ds, wd) == STRATA_ERR_USAGE); /* also a feature */
  CHECK(strata_dataset_weights_name(ds) == NULL);
  strata_dataset_free(ds);
}

int main(void) {
  test_against_reference();
  test_k_equals_n_and_scaler();
  test_set_weights_errors();
  return check_report();
}
