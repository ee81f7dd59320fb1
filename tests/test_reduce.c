/* The order-free reducer (core/reduce.h, the sketches' tree in
 * core/quantile.h): random data cut into 4096-row blocks, the blocks dealt
 * at random to 1..8 workers, each worker adding its blocks in a random
 * order, the partials combined in a random order — every time the same
 * bits, for each reducer (exact sums, column moments, covariance, segment
 * statistics, quantile sketches).  Then accuracy against a long double
 * two-pass reference, where Chan's left fold loses digits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "pca.h"
#include "quantile.h"
#include "reduce.h"
#include "stats.h"

#define B 4096
#define TRIALS 12

static size_t rand_below(uint64_t *s, size_t n) { return (size_t)(fixture_rand(s) % n); }

static void shuffle(size_t *a, size_t n, uint64_t *s) {
  for (size_t i = n; i > 1; i--) {
    size_t j = rand_below(s, i), t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

/* A random split: owner[b] in 0..W-1 for each block; *W in 1..8. */
static void random_split(size_t nb, size_t *owner, int *W, uint64_t *s) {
  *W = 1 + (int)rand_below(s, 8);
  for (size_t b = 0; b < nb; b++) owner[b] = rand_below(s, (size_t)*W);
}

/* ---- exact sums ---- */

static void test_xacc(void) {
  uint64_t seed = 11;
  size_t n = 5000;
  double *v = malloc(n * sizeof *v);
  /* magnitudes over 2^-300 .. 2^300, both signs, and pairs that cancel */
  for (size_t i = 0; i < n; i++) {
    double m = ldexp(fixture_uniform(&seed) + 0.5, (int)rand_below(&seed, 600) - 300);
    v[i] = fixture_uniform(&seed) < 0.5 ? -m : m;
  }
  for (size_t i = 0; i + 1 < n; i += 10) v[i + 1] = -v[i];
  size_t *order = malloc(n * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = i;
  double first = 0.0;
  for (int trial = 0; trial < TRIALS; trial++) {
    shuffle(order, n, &seed);
    int W = 1 + (int)rand_below(&seed, 8);
    strata_xacc part[8];
    for (int w = 0; w < W; w++) strata_xacc_zero(&part[w]);
    for (size_t i = 0; i < n; i++) strata_xacc_add(&part[rand_below(&seed, (size_t)W)], v[order[i]]);
    for (int w = W - 1; w > 0; w--) strata_xacc_combine(&part[rand_below(&seed, (size_t)w)], &part[w]);
    double r = strata_xacc_round(&part[0]);
    if (trial == 0) first = r;
    CHECK_MSG(memcmp(&r, &first, sizeof r) == 0, "trial %d: %a != %a", trial, r, first);
  }
  /* the largest terms cancel: what is left is exact */
  strata_xacc a;
  strata_xacc_zero(&a);
  strata_xacc_add(&a, 0x1p200);
  strata_xacc_add(&a, 3.0);
  strata_xacc_add(&a, -0x1p200);
  strata_xacc_add(&a, 0x1p-300);
  CHECK(strata_xacc_round(&a) == 3.0);
  strata_xacc_add(&a, -3.0);
  CHECK(strata_xacc_round(&a) == 0x1p-300);
  /* rounding once, to nearest even: 1 + 2^-53 is a tie (down), + 2^-200 is not */
  strata_xacc_zero(&a);
  strata_xacc_add(&a, 1.0);
  strata_xacc_add(&a, 0x1p-53);
  CHECK(strata_xacc_round(&a) == 1.0);
  strata_xacc_add(&a, 0x1p-200);
  CHECK(strata_xacc_round(&a) == 1.0 + 0x1p-52);
  strata_xacc_add(&a, -4.0);
  CHECK(strata_xacc_round(&a) == -3.0 + 0x1p-52);
  strata_xacc_add(&a, NAN);
  CHECK(isnan(strata_xacc_round(&a)));
  free(v);
  free(order);
}

/* ---- column moments and segment statistics ---- */

/* n rows × d, offset + scale·N(0,1), a few NaN and Inf. */
static float *make_data(size_t n, size_t d, double offset, double scale, uint64_t seed) {
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n * d; i++) x[i] = (float)(offset + scale * fixture_normal(&seed));
  for (size_t i = 0; i < n * d; i += 997) x[i] = NAN;
  x[5 * d] = INFINITY;
  return x;
}

/* One run of the moments reducer over `cells` = (segments+1)×d cells: each
 * block's rows grouped by seg (NULL: one group, cells = d). */
static void moments_run(const float *x, size_t n, size_t d, const int *seg, size_t segs,
                        const size_t *owner, int W, uint64_t *s, strata_colacc *out) {
  size_t nb = (n + B - 1) / B, cells = (segs + 1) * d;
  strata_moments *part = malloc((size_t)W * cells * sizeof *part);
  strata_colacc *blk = malloc(cells * sizeof *blk);
  float *rows = malloc(B * d * sizeof *rows);
  double tmp[64];
  strata_moments_zero(part, (size_t)W * cells);
  size_t *order = malloc(nb * sizeof *order);
  for (size_t b = 0; b < nb; b++) order[b] = b;
  shuffle(order, nb, s);
  for (size_t q = 0; q < nb; q++) {
    size_t b = order[q], r0 = b * B, m = n - r0 < B ? n - r0 : B;
    strata_colacc_reset(blk, cells);
    for (size_t g = 0; g <= segs; g++) {
      /* segment g's rows of the block, in row order; g = segs: all rows */
      size_t k = 0;
      for (size_t i = 0; i < m; i++)
        if (g == segs || seg[r0 + i] == (int)g) memcpy(rows + k++ * d, x + (r0 + i) * d, d * sizeof *rows);
      strata_colacc_block(blk + g * d, rows, k, d, 0, NULL, tmp);
    }
    strata_moments_add(part + owner[b] * cells, blk, cells);
  }
  /* combine in a random order: repeatedly fold a random partial into another */
  size_t live[8];
  for (int w = 0; w < W; w++) live[w] = (size_t)w;
  for (size_t nl = (size_t)W; nl > 1; nl--) {
    size_t a = rand_below(s, nl), c = rand_below(s, nl - 1);
    if (c >= a) c++;
    strata_moments_combine(part + live[a] * cells, part + live[c] * cells, cells);
    live[c] = live[nl - 1];
  }
  strata_moments_finish(part + live[0] * cells, out, cells);
  free(order);
  free(part);
  free(blk);
  free(rows);
}

static int same_colacc(const strata_colacc *a, const strata_colacc *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i].n != b[i].n || a[i].missing != b[i].missing || a[i].inf != b[i].inf ||
        memcmp(&a[i].mean, &b[i].mean, sizeof a[i].mean) || memcmp(&a[i].m2, &b[i].m2, sizeof a[i].m2) ||
        memcmp(&a[i].min, &b[i].min, sizeof a[i].min) || memcmp(&a[i].max, &b[i].max, sizeof a[i].max))
      return 0;
  return 1;
}

static void test_moments_order_free(size_t segs) {
  size_t n = 23 * B + 1234, d = 6, nb = (n + B - 1) / B, cells = (segs + 1) * d;
  float *x = make_data(n, d, 3e3, 2.0, 5 + segs);
  int *seg = malloc(n * sizeof *seg);
  uint64_t s = 17 + segs;
  for (size_t i = 0; i < n; i++) seg[i] = segs ? (int)rand_below(&s, segs) : 0;
  size_t *owner = malloc(nb * sizeof *owner);
  strata_colacc *first = malloc(cells * sizeof *first), *out = malloc(cells * sizeof *out);
  for (int trial = 0; trial < TRIALS; trial++) {
    int W;
    random_split(nb, owner, &W, &s);
    moments_run(x, n, d, segs ? seg : NULL, segs, owner, W, &s, trial ? out : first);
    if (trial) CHECK_MSG(same_colacc(first, out, cells), "segments %zu, trial %d (%d workers): bits differ", segs, trial, W);
  }
  CHECK(first[segs * d].inf == 1 && first[segs * d].missing > 0); /* the population */
  free(x); free(seg); free(owner); free(first); free(out);
}

/* Mean and M2 of column j, two passes in long double. */
static void reference(const float *x, size_t n, size_t d, size_t j, long double *mean, long double *m2) {
  long double s = 0;
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i * d + j])) { s += x[i * d + j]; c++; }
  *mean = s / c;
  long double q = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i * d + j])) q += (x[i * d + j] - *mean) * (x[i * d + j] - *mean);
  *m2 = q;
}

/* Chan's left fold over the blocks, as the passes merged before. */
static void chan(const float *x, size_t n, size_t d, strata_colacc *tot) {
  strata_colacc blk[8];
  double tmp[16];
  strata_colacc_reset(tot, d);
  for (size_t r0 = 0; r0 < n; r0 += B) {
    strata_colacc_reset(blk, d);
    strata_colacc_block(blk, x + r0 * d, n - r0 < B ? n - r0 : B, d, 0, NULL, tmp);
    for (size_t j = 0; j < d; j++) {
      strata_colacc *a = &tot[j], *c = &blk[j];
      if (!c->n) continue;
      if (!a->n) { *a = *c; continue; }
      double na = (double)a->n, nb = (double)c->n, nn = na + nb, delta = c->mean - a->mean;
      a->mean += delta * (nb / nn);
      a->m2 += c->m2 + delta * delta * (na * nb / nn);
      a->n += c->n;
    }
  }
}

static void test_moments_accuracy(void) {
  /* a large offset against a small spread: where left folds lose digits */
  size_t n = 300 * B + 77, d = 2;
  float *x = make_data(n, d, 1e5, 0.01, 3);
  size_t nb = (n + B - 1) / B, *owner = calloc(nb, sizeof *owner);
  uint64_t s = 1;
  strata_colacc ours[2], old[2];
  moments_run(x, n, d, NULL, 0, owner, 1, &s, ours);
  chan(x, n, d, old);
  for (size_t j = 0; j < d; j++) {
    long double mean, m2;
    reference(x, n, d, j, &mean, &m2);
    double e_ours = fabs((double)((ours[j].m2 - m2) / m2)), e_chan = fabs((double)((old[j].m2 - m2) / m2));
    double e_mean = fabs((double)((ours[j].mean - mean) / mean));
    printf("column %zu: M2 relative error %.2e (exact reducer) vs %.2e (Chan), mean %.2e\n", j, e_ours,
           e_chan, e_mean);
    CHECK_MSG(e_ours <= 1e-11, "M2 relative error %.3e", e_ours);
    CHECK_MSG(e_ours <= e_chan, "exact %.3e, Chan %.3e", e_ours, e_chan);
    CHECK_MSG(e_mean <= 1e-15, "mean relative error %.3e", e_mean);
  }
  free(x);
  free(owner);
}

/* ---- covariance ---- */

static void cov_run(const float *x, size_t n, size_t d, const size_t *owner, int W, uint64_t *s,
                    strata_cov *out) {
  size_t nb = (n + B - 1) / B;
  strata_cov blk;
  CHECK_OK(strata_cov_init(&blk, d));
  strata_cov_sum part[8];
  for (int w = 0; w < W; w++) CHECK_OK(strata_cov_sum_init(&part[w], d));
  double *work = malloc(B * d * sizeof *work);
  size_t *order = malloc(nb * sizeof *order);
  for (size_t b = 0; b < nb; b++) order[b] = b;
  shuffle(order, nb, s);
  for (size_t q = 0; q < nb; q++) {
    size_t b = order[q], r0 = b * B;
    CHECK_OK(strata_cov_block(&blk, x + r0 * d, n - r0 < B ? n - r0 : B, work));
    strata_cov_sum_add(&part[owner[b]], &blk);
  }
  for (int w = W - 1; w > 0; w--) strata_cov_sum_combine(&part[rand_below(s, (size_t)w)], &part[w]);
  strata_cov_sum_finish(&part[0], out);
  for (int w = 0; w < W; w++) strata_cov_sum_free(&part[w]);
  strata_cov_free(&blk);
  free(work);
  free(order);
}

static void test_cov(size_t d) {
  size_t n = 17 * B + 999, nb = (n + B - 1) / B;
  uint64_t s = 23 + d;
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    double z = fixture_normal(&s);
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(1e4 * (double)(j + 1) + z + 0.5 * fixture_normal(&s));
  }
  size_t *owner = malloc(nb * sizeof *owner);
  strata_cov first, out;
  CHECK_OK(strata_cov_init(&first, d));
  CHECK_OK(strata_cov_init(&out, d));
  for (int trial = 0; trial < TRIALS; trial++) {
    int W;
    random_split(nb, owner, &W, &s);
    cov_run(x, n, d, owner, W, &s, trial ? &out : &first);
    if (trial)
      CHECK_MSG(out.n == first.n && !memcmp(out.mean, first.mean, d * sizeof *out.mean) &&
                    !memcmp(out.m2, first.m2, d * d * sizeof *out.m2),
                "d = %zu, trial %d (%d workers): bits differ", d, trial, W);
  }
  /* against long double two passes */
  for (size_t a = 0; a < d; a++)
    for (size_t b = a; b < d; b++) {
      long double ma = 0, mb = 0, c = 0;
      for (size_t i = 0; i < n; i++) { ma += x[i * d + a]; mb += x[i * d + b]; }
      ma /= n; mb /= n;
      for (size_t i = 0; i < n; i++) c += (x[i * d + a] - ma) * (x[i * d + b] - mb);
      double e = fabs((double)((first.m2[a * d + b] - c) / c));
      CHECK_MSG(e <= 1e-12, "d = %zu, entry (%zu, %zu): relative error %.3e", d, a, b, e);
    }
  strata_cov_free(&first);
  strata_cov_free(&out);
  free(x);
  free(owner);
}

/* ---- quantile sketches along the fixed tree ---- */

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static int same_sketch(const strata_qsketch *a, const strata_qsketch *b) {
  if (a->n != b->n) return 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    if (a->count[h] != b->count[h] || (a->count[h] && memcmp(a->level[h], b->level[h], a->count[h] * sizeof(float))))
      return 0;
  return 1;
}

/* Each worker's tree takes its blocks in a random order; the trees are
 * combined in a random order; out receives ncols = 2 sketches. */
static void sketch_run(const float *x, size_t n, const size_t *owner, int W, uint64_t *s, strata_qsketch *out) {
  size_t nb = (n + B - 1) / B;
  strata_qtree tree[8];
  for (int w = 0; w < W; w++) CHECK_OK(strata_qtree_init(&tree[w], 2));
  size_t *order = malloc(nb * sizeof *order);
  float *sorted = malloc(B * sizeof *sorted);
  for (size_t b = 0; b < nb; b++) order[b] = b;
  shuffle(order, nb, s);
  for (size_t q = 0; q < nb; q++) {
    size_t b = order[q], r0 = b * B, m = n - r0 < B ? n - r0 : B;
    strata_qsketch *leaf = strata_qsketch_array_new(2);
    memcpy(sorted, x + r0, m * sizeof *sorted);
    qsort(sorted, m, sizeof *sorted, cmp_float);
    CHECK_OK(strata_qsketch_add_sorted(&leaf[0], sorted, m));
    /* column 1: a block-dependent share of the rows (a rare segment) */
    CHECK_OK(strata_qsketch_add_sorted(&leaf[1], sorted, m / (1 + b % 5)));
    CHECK_OK(strata_qtree_add(&tree[owner[b]], b, leaf));
  }
  for (int w = W - 1; w > 0; w--) CHECK_OK(strata_qtree_combine(&tree[rand_below(s, (size_t)w)], &tree[w]));
  for (int j = 0; j < 2; j++) strata_qsketch_init(&out[j]);
  CHECK_OK(strata_qtree_finish(&tree[0], out));
  for (int w = 0; w < W; w++) strata_qtree_free(&tree[w]);
  free(order);
  free(sorted);
}

static void test_sketch(void) {
  size_t n = 203 * B + 555, nb = (n + B - 1) / B;
  uint64_t s = 31;
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++) x[i] = (float)exp(fixture_normal(&s));
  size_t *owner = malloc(nb * sizeof *owner);
  strata_qsketch first[2], out[2];
  for (int trial = 0; trial < TRIALS; trial++) {
    int W;
    random_split(nb, owner, &W, &s);
    sketch_run(x, n, owner, W, &s, trial ? out : first);
    if (trial) {
      CHECK_MSG(same_sketch(&first[0], &out[0]) && same_sketch(&first[1], &out[1]),
                "trial %d (%d workers): sketches differ", trial, W);
      for (int j = 0; j < 2; j++) strata_qsketch_free(&out[j]);
    }
  }
  /* the rank error stays within the bound profile prints: top level / K */
  float *all = malloc(n * sizeof *all);
  memcpy(all, x, n * sizeof *all);
  qsort(all, n, sizeof *all, cmp_float);
  int top = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    if (first[0].count[h]) top = h;
  double bound = (double)top / STRATA_QSKETCH_K;
  CHECK(first[0].n == n);
  double qs[] = {0.01, 0.25, 0.5, 0.75, 0.99};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    double est = strata_qsketch_quantile(&first[0], qs[i]);
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (all[mid] < est) lo = mid + 1; else hi = mid;
    }
    double r = (double)lo / (double)n;
    CHECK_MSG(fabs(r - qs[i]) <= bound + 1.0 / (double)n && fabs(r - qs[i]) <= 1e-3,
              "q = %.2f: rank %.5f, bound %.5f", qs[i], r, bound);
  }
  for (int j = 0; j < 2; j++) strata_qsketch_free(&first[j]);
  free(all);
  free(x);
  free(owner);
}

int main(void) {
  test_xacc();
  test_moments_order_free(0);
  test_moments_order_free(3);
  test_moments_accuracy();
  test_cov(3);
  test_cov(14); /* the dsyrk path */
  test_sketch();
  return check_report();
}
