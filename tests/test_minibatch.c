/* Mini-batch k-means (--algorithm minibatch) against a plain-C float64
 * reference of the same algorithm (the batches drawn by core/minibatch.c,
 * nearest centres, the per-centre learning rate, scikit-learn's
 * reassignment of low-count centres to rows of the batch, the
 * moving-average plateau rule, the final full assignment) from given
 * centroids; the same
 * model bits for any thread count, chunk size and in-core/streaming, on
 * shapes that are not whole blocks, with k = 1 and dropped rows; the model
 * records the batch size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "minibatch.h"
#include "rng.h"

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

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

static size_t nearest(const float *x, const double *c, size_t k, size_t d, double *dist) {
  size_t best = 0;
  double bd = INFINITY;
  for (size_t e = 0; e < k; e++) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
      double v = (double)x[j] - (double)(float)c[e * d + j];
      s += v * v;
    }
    if (s < bd) { bd = s; best = e; }
  }
  *dist = bd;
  return best;
}

/* The reference: centres (k×d) from init; returns the steps taken. */
static int reference(const float *x, size_t n, size_t d, size_t k, size_t batch, uint64_t seed, int max_iter,
                     double *centres, int *reassigned) {
  strata_minibatch mb;
  CHECK_OK(strata_minibatch_init(&mb, k, d, n, batch, seed));
  strata_minibatch_restart(&mb, 0);
  double *sum = malloc(k * d * sizeof *sum);
  int64_t *cnt = malloc(k * sizeof *cnt), *recv = calloc(k, sizeof *recv);
  double ewa = INFINITY, best = INFINITY, alpha = fmin(1.0, 2.0 * (double)mb.per_batch * STRATA_BLOCK_ROWS / ((double)n + 1.0));
  int steps = 0, stale = 0;
  uint64_t since = 0, *batch_rows = malloc(mb.per_batch * STRATA_BLOCK_ROWS * sizeof *batch_rows);
  while (steps < max_iter) {
    const uint64_t *blocks = strata_minibatch_draw(&mb); /* the draw is the engine's; the rest is ours */
    int64_t fewest = recv[0];
    for (size_t c = 1; c < k; c++) fewest = recv[c] < fewest ? recv[c] : fewest;
    since += mb.per_batch * STRATA_BLOCK_ROWS;
    int check = fewest == 0 || since >= 10 * (uint64_t)fewest;
    if (check) since = 0;
    memset(sum, 0, k * d * sizeof *sum);
    memset(cnt, 0, k * sizeof *cnt);
    double inertia = 0.0;
    size_t rows = 0;
    for (size_t b = 0; b < mb.per_batch; b++)
      for (size_t i = blocks[b] * STRATA_BLOCK_ROWS; i < n && i < (blocks[b] + 1) * STRATA_BLOCK_ROWS; i++) {
        double dd;
        size_t c = nearest(x + i * d, centres, k, d, &dd);
        cnt[c]++;
        batch_rows[rows] = i;
        rows++;
        inertia += dd;
        for (size_t j = 0; j < d; j++) sum[c * d + j] += x[i * d + j];
      }
    for (size_t c = 0; c < k; c++) {
      if (cnt[c] == 0) continue;
      double w = (double)recv[c], t = w + (double)cnt[c];
      for (size_t j = 0; j < d; j++) centres[c * d + j] = (centres[c * d + j] * w + sum[c * d + j]) / t;
      recv[c] += cnt[c];
    }
    if (check) { /* scikit-learn's reassignment_ratio = 0.01 */
      int64_t most = 0;
      for (size_t c = 0; c < k; c++) most = recv[c] > most ? recv[c] : most;
      size_t count = 0;
      int64_t rest = -1;
      for (size_t c = 0; c < k; c++) {
        if ((double)recv[c] < 0.01 * (double)most) count++;
        else if (rest < 0 || recv[c] < rest) rest = recv[c];
      }
      if (count) {
        strata_rng rng;
        strata_rng_seed(&rng, seed, 0x7000 + (uint64_t)steps);
        uint64_t pos[64];
        size_t got = 0;
        for (uint64_t j = rows - count; j < rows; j++) {
          uint64_t t = strata_rng_below(&rng, j + 1);
          int seen = 0;
          for (size_t q = 0; q < got && !seen; q++) seen = pos[q] == t;
          pos[got++] = seen ? j : t;
        }
        qsort(pos, got, sizeof *pos, by_value);
        size_t q = 0;
        for (size_t c = 0; c < k; c++) {
          if (!((double)recv[c] < 0.01 * (double)most)) continue;
          for (size_t j = 0; j < d; j++) centres[c * d + j] = x[batch_rows[pos[q]] * d + j];
          recv[c] = rest < 0 ? 0 : rest;
          q++;
        }
        *reassigned += (int)count;
      }
    }
    double mean = inertia / (double)rows;
    ewa = steps == 0 ? mean : ewa * (1.0 - alpha) + mean * alpha;
    steps++;
    mb.steps = steps;
    if (ewa < best) { best = ewa; stale = 0; } else if (++stale >= STRATA_MINIBATCH_PLATEAU) break;
  }
  strata_minibatch_free(&mb);
  free(sum); free(cnt); free(recv); free(batch_rows);
  return steps;
}

static void test_reference(void) {
  /* far: the last centre starts away from every row, receives nothing
   * and must be moved to a row of a batch */
  struct { size_t n, d, k, batch; uint64_t seed; int max_iter, far; } cases[] = {
      {50001, 3, 5, 9000, 1, 300, 0}, {20000, 7, 1, 4096, 2, 40, 0}, {33333, 2, 12, 20000, 3, 300, 0},
      {9000, 17, 4, 1, 4, 25, 0}, {40000, 4, 6, 8192, 5, 300, 1}};
  for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
    size_t n = cases[t].n, d = cases[t].d, k = cases[t].k;
    float *x = malloc(n * d * sizeof *x);
    fixture_blobs(x, NULL, n, d, k + 2, 30.0, 40 + t);
    const char *path = fixture_path("mb_ref.h5");
    /* names that sort in column order (the default features are listed by name) */
    char names_buf[32][24];
    const char *names[32];
    for (size_t j = 0; j < d; j++) {
      snprintf(names_buf[j], sizeof names_buf[j], "c%02zu", j);
      names[j] = names_buf[j];
    }
    CHECK(fixture_write_columns(path, names, n, d, x, 5000) == 0);
    double *init = malloc(k * d * sizeof *init), *ref = malloc(k * d * sizeof *ref);
    for (size_t c = 0; c < k; c++)
      for (size_t j = 0; j < d; j++) init[c * d + j] = ref[c * d + j] = x[(c * 997 % n) * d + j];
    if (cases[t].far)
      for (size_t j = 0; j < d; j++) init[(k - 1) * d + j] = ref[(k - 1) * d + j] = 1e4;
    int reassigned = 0;
    int steps = reference(x, n, d, k, cases[t].batch, cases[t].seed, cases[t].max_iter, ref, &reassigned);
    if (cases[t].far) CHECK_MSG(reassigned > 0, "case %zu: the far centre was never moved", t);
    strata_fit_params p;
    strata_fit_params_init(&p);
    p.k = (int)k;
    p.algorithm = "minibatch";
    p.scale = STRATA_SCALE_NONE;
    p.init = STRATA_INIT_GIVEN;
    p.init_centroids = init;
    p.batch_rows = cases[t].batch;
    p.seed = cases[t].seed;
    p.max_iter = cases[t].max_iter;
    strata_model *m = fit(path, &p, 2);
    if (m) {
      const strata_model_info *mi = strata_model_get_info(m);
      CHECK_MSG(mi->d == (int)d, "case %zu: d %d", t, mi->d);
      CHECK_MSG(mi->iterations == steps, "case %zu: %d batches, the reference %d", t, mi->iterations, steps);
      double worst = 0.0;
      for (size_t i = 0; i < k * d; i++) worst = fmax(worst, fabs(mi->centroids[i] - ref[i]) / (1.0 + fabs(ref[i])));
      CHECK_MSG(worst <= 1e-9, "case %zu: centroids differ from the reference by %.3g", t, worst);
      size_t per = (cases[t].batch + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS, all = (n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
      CHECK(mi->batch_rows == (per < all ? per : all) * STRATA_BLOCK_ROWS);
      CHECK(strcmp(mi->estimator, "kmeans") == 0);
      /* the final pass: inertia over every row against the final centres */
      double inertia = 0.0, dd;
      for (size_t i = 0; i < n; i++) {
        (void)nearest(x + i * d, mi->centroids, k, d, &dd);
        inertia += dd;
      }
      CHECK_NEAR(mi->inertia, inertia, 1e-9);
      strata_model_free(m);
    }
    remove(path);
    free(x); free(init); free(ref);
  }
}

/* threads × chunk sizes × streaming: the same bits, k-means++ init,
 * dropped rows. */
static void test_identity(void) {
  size_t n = 30011, d = 6, k = 7;
  float *x = malloc(n * d * sizeof *x);
  fixture_blobs(x, NULL, n, d, k, 20.0, 9);
  uint64_t r = 5;
  for (size_t i = 0; i < n; i++)
    if (fixture_uniform(&r) < 0.02) x[i * d + (size_t)(fixture_rand(&r) % d)] = NAN;
  const char *path = fixture_path("mb_id.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 3000) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.algorithm = "minibatch";
  p.missing = STRATA_MISSING_DROP;
  p.batch_rows = 8192;
  p.seed = 11;
  p.n_init = 2;
  p.chunk_rows = 4096;
  strata_model *a = fit(path, &p, 1);
  int threads[] = {2, 2, 1};
  size_t chunks[] = {12288, 0, 8192};
  int streaming[] = {0, 1, 1};
  for (int v = 0; a && v < 3; v++) {
    p.chunk_rows = chunks[v];
    p.streaming = streaming[v];
    strata_model *b = fit(path, &p, threads[v]);
    if (!b) continue;
    const strata_model_info *ia = strata_model_get_info(a), *ib = strata_model_get_info(b);
    CHECK_MSG(memcmp(ia->centroids, ib->centroids, k * d * sizeof(double)) == 0, "variant %d: centroids differ", v);
    CHECK(memcmp(&ia->inertia, &ib->inertia, sizeof(double)) == 0 && ia->iterations == ib->iterations);
    strata_model_free(b);
  }
  strata_model_free(a);
  remove(path);
  free(x);
}

/* The engine's draw (a bitmap past 64 blocks, no draw for every block)
 * against plain Floyd sampling from the same stream. */
static void test_draw(void) {
  size_t per[] = {1, 3, 64, 65, 100, 999, 1000};
  for (size_t v = 0; v < sizeof per / sizeof *per; v++) {
    strata_minibatch mb;
    CHECK_OK(strata_minibatch_init(&mb, 2, 1, 1000 * (uint64_t)STRATA_BLOCK_ROWS, per[v] * STRATA_BLOCK_ROWS, 8));
    strata_minibatch_restart(&mb, 3);
    mb.steps = 5;
    const uint64_t *got = strata_minibatch_draw(&mb);
    uint64_t want[1000];
    size_t m = per[v], n = 1000, k = 0;
    if (m == n) {
      for (size_t i = 0; i < n; i++) want[i] = i;
    } else {
      strata_rng rng;
      strata_rng_seed(&rng, 8, 0x6000 + ((uint64_t)3 << 32) + 5);
      for (uint64_t j = n - m; j < n; j++) {
        uint64_t t = strata_rng_below(&rng, j + 1);
        int seen = 0;
        for (size_t i = 0; i < k && !seen; i++) seen = want[i] == t;
        want[k++] = seen ? j : t;
      }
      qsort(want, m, sizeof *want, by_value);
    }
    CHECK_MSG(memcmp(got, want, m * sizeof *want) == 0, "%zu of 1000 blocks: the draw differs", m);
    strata_minibatch_free(&mb);
  }
}

int main(void) {
  test_draw();
  test_reference();
  test_identity();
  return check_report();
}
