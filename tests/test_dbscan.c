/* The k-d tree (core/kdtree.c) against brute-force neighbour search, and
 * DBSCAN (core/dbscan.c) against a brute-force DBSCAN over all pairs, on
 * random shapes: duplicates, eps 0, all noise, one cluster, min_samples 1,
 * 1 vs 4 threads.  The k-distance helper (core/kdist.c, --eps auto): every
 * k-th-nearest distance against sorting all pairs, the knee against the
 * chord rule computed here, and a hand-made curve whose knee is known. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dbscan.h"
#include "kdist.h"
#include "kdtree.h"
#include "rng.h"
#include "strata.h"

static double d2(const double *a, const double *b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

typedef struct {
  uint8_t *seen;
  size_t calls;
} visits;

static void mark(void *u, size_t i) {
  visits *v = u;
  v->seen[i]++;
  v->calls++;
}

/* Brute-force DBSCAN with the documented rules: clusters numbered by their
 * first core point, a border point to the lowest-numbered cluster of a core
 * point within eps. */
static size_t brute_dbscan(const double *x, const double *w, size_t m, size_t d, double eps, size_t ms, int32_t *lab,
                           uint8_t *core) {
  double r2 = eps * eps;
  for (size_t i = 0; i < m; i++) {
    double c = 0;
    for (size_t j = 0; j < m; j++) c += d2(x + i * d, x + j * d, d) <= r2 ? (w ? w[j] : 1.0) : 0.0;
    core[i] = c >= (double)ms;
    lab[i] = -1;
  }
  int32_t nc = 0;
  for (size_t i = 0; i < m; i++) {
    if (!core[i] || lab[i] != -1) continue;
    /* flood the core component (repeat until no change: O(m³), small m) */
    lab[i] = nc;
    for (int changed = 1; changed;) {
      changed = 0;
      for (size_t p = 0; p < m; p++)
        if (core[p] && lab[p] == nc)
          for (size_t q = 0; q < m; q++)
            if (core[q] && lab[q] == -1 && d2(x + p * d, x + q * d, d) <= r2) { lab[q] = nc; changed = 1; }
    }
    nc++;
  }
  for (size_t i = 0; i < m; i++) {
    if (core[i]) continue;
    int32_t best = -1;
    for (size_t p = 0; p < m; p++)
      if (core[p] && d2(x + p * d, x + i * d, d) <= r2 && (best < 0 || lab[p] < best)) best = lab[p];
    lab[i] = best;
  }
  return (size_t)nc;
}

static void run_case(const strata_ctx *c1, const strata_ctx *c4, unsigned mm, size_t d, int dups, double eps,
                     size_t ms, uint64_t seed) {
  size_t m = mm; /* small: keeps m + 1 within an object size */
  strata_rng r;
  strata_rng_seed(&r, seed, 0);
  double *x = malloc((m * d + 1) * sizeof *x);
  for (size_t i = 0; i < m; i++) {
    if (dups && i > 0 && strata_rng_next(&r) % 3 == 0) {
      memcpy(x + i * d, x + (strata_rng_next(&r) % i) * d, d * sizeof *x);
    } else {
      /* a few tight groups plus uniform background */
      double centre = (double)(strata_rng_next(&r) % 4) * 3.0;
      int background = strata_rng_next(&r) % 4 == 0;
      for (size_t j = 0; j < d; j++)
        x[i * d + j] = background ? strata_rng_uniform(&r) * 12.0 : centre + strata_rng_uniform(&r) * 0.8;
    }
  }
  strata_kdtree *t = NULL;
  CHECK_OK(strata_kdtree_build(x, m, d, &t));
  visits v = {calloc(m + 1, 1), 0};
  double r2 = eps * eps;
  int bad_count = 0, bad_each = 0, bad_nearest = 0;
  for (size_t i = 0; i < m + 3; i++) {
    /* the points themselves, and a few off-point queries */
    double q[16];
    for (size_t j = 0; j < d; j++) q[j] = i < m ? x[i * d + j] : strata_rng_uniform(&r) * 12.0;
    size_t want = 0, near = SIZE_MAX;
    double nd = INFINITY;
    for (size_t p = 0; p < m; p++) {
      double s = d2(x + p * d, q, d);
      want += s <= r2;
      if (s <= r2 && s < nd) { nd = s; near = p; }
    }
    bad_count += strata_kdtree_count(t, q, r2) != want;
    memset(v.seen, 0, m + 1);
    v.calls = 0;
    strata_kdtree_each(t, q, r2, mark, &v);
    int ok = v.calls == want;
    for (size_t p = 0; p < m; p++) ok &= v.seen[p] == (d2(x + p * d, q, d) <= r2);
    bad_each += !ok;
    double got_d2 = 0;
    size_t got = strata_kdtree_nearest(t, q, r2, &got_d2);
    bad_nearest += got != near || (near != SIZE_MAX && got_d2 != nd);
  }
  CHECK_MSG(bad_count == 0, "m=%zu d=%zu eps=%g: %d counts differ", m, d, eps, bad_count);
  CHECK_MSG(bad_each == 0, "m=%zu d=%zu eps=%g: %d neighbour sets differ", m, d, eps, bad_each);
  CHECK_MSG(bad_nearest == 0, "m=%zu d=%zu eps=%g: %d nearest differ", m, d, eps, bad_nearest);
  strata_kdtree_free(t);

  int32_t *l1 = calloc(m + 1, sizeof *l1), *l4 = calloc(m + 1, sizeof *l4), *lb = calloc(m + 1, sizeof *lb);
  uint8_t *c1s = calloc(m + 1, 1), *c4s = calloc(m + 1, 1), *cbs = calloc(m + 1, 1);
  size_t n1 = 0, n4 = 0, nb = brute_dbscan(x, NULL, m, d, eps, ms, lb, cbs);
  CHECK_OK(strata_dbscan(c1, x, NULL, m, d, eps, ms, l1, c1s, &n1));
  CHECK_OK(strata_dbscan(c4, x, NULL, m, d, eps, ms, l4, c4s, &n4));
  CHECK_MSG(n1 == nb && memcmp(l1, lb, m * sizeof *l1) == 0 && memcmp(c1s, cbs, m) == 0,
            "m=%zu d=%zu eps=%g ms=%zu: DBSCAN differs from brute force (%zu vs %zu clusters)", m, d, eps, ms, n1, nb);
  CHECK_MSG(n4 == n1 && memcmp(l1, l4, m * sizeof *l1) == 0, "m=%zu: 1 and 4 threads differ", m);
  /* Row weights (multiples of 1/2, some 0, so sums are exact in any order):
   * a point is core when the weights within eps reach min_samples. */
  double *w = malloc((m + 1) * sizeof *w);
  for (size_t i = 0; i < m; i++) w[i] = (double)(strata_rng_next(&r) % 6) * 0.5;
  nb = brute_dbscan(x, w, m, d, eps, ms, lb, cbs);
  CHECK_OK(strata_dbscan(c1, x, w, m, d, eps, ms, l1, c1s, &n1));
  CHECK_OK(strata_dbscan(c4, x, w, m, d, eps, ms, l4, c4s, &n4));
  CHECK_MSG(n1 == nb && memcmp(l1, lb, m * sizeof *l1) == 0 && memcmp(c1s, cbs, m) == 0,
            "m=%zu d=%zu eps=%g ms=%zu weighted: DBSCAN differs from brute force (%zu vs %zu clusters)", m, d, eps,
            ms, n1, nb);
  CHECK_MSG(n4 == n1 && memcmp(l1, l4, m * sizeof *l1) == 0, "m=%zu weighted: 1 and 4 threads differ", m);
  free(w);
  free(x); free(v.seen); free(l1); free(l4); free(lb); free(c1s); free(c4s); free(cbs);
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* kth against sorting each point's distances to all points; the whole
 * sample's curve (sample >= m: every row) and knee against the chord rule;
 * 1 and 4 threads give the same bits. */
static void kdist_case(const strata_ctx *c1, const strata_ctx *c4, size_t m, size_t d, size_t k, int dups,
                       uint64_t seed) {
  strata_rng r;
  strata_rng_seed(&r, seed, 7);
  double *x = malloc(m * d * sizeof *x), *all = malloc(m * sizeof *all), *kd = malloc(m * sizeof *kd);
  double *heap = malloc(k * sizeof *heap);
  for (size_t i = 0; i < m * d; i++) x[i] = strata_rng_uniform(&r) * 4.0 - 2.0;
  if (dups)
    for (size_t i = 1; i < m; i += 3) memcpy(x + i * d, x + (i - 1) * d, d * sizeof *x);
  strata_kdtree *t = NULL;
  CHECK_OK(strata_kdtree_build(x, m, d, &t));
  int kth_ok = 1;
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < m; j++) all[j] = d2(x + i * d, x + j * d, d);
    qsort(all, m, sizeof *all, by_double);
    double want = k <= m ? all[k - 1] : INFINITY;
    kth_ok &= strata_kdtree_kth(t, x + i * d, k, heap) == want;
    kd[i] = want; /* squared until sorted */
  }
  CHECK_MSG(kth_ok, "kth: m=%zu d=%zu k=%zu dups=%d", m, d, k, dups);
  strata_kdtree_free(t);
  qsort(kd, m, sizeof *kd, by_double);
  for (size_t i = 0; i < m; i++) kd[i] = sqrt(kd[i]);
  size_t knee = 0;
  double best = -INFINITY;
  for (size_t i = 0; m >= 3 && kd[m - 1] > kd[0] && i < m; i++) {
    double g = (double)i / (double)(m - 1) - (kd[i] - kd[0]) / (kd[m - 1] - kd[0]);
    if (g > best) { best = g; knee = i; }
  }
  strata_kdist a, b;
  strata_status st = strata_kdist_knee(c1, x, m, d, k, m + 5, seed, &a);
  if (k > m || !(kd[knee] > 0)) {
    CHECK_MSG(st == STRATA_ERR_DATA, "kdist: m=%zu k=%zu refuses (status %d)", m, k, (int)st);
  } else {
    CHECK_OK(st);
    CHECK_OK(strata_kdist_knee(c4, x, m, d, k, m + 5, seed, &b));
    /* eps is the knee's distance, raised by an ulp or two where its square
     * would round below the squared k-distance (the knee row stays core). */
    CHECK_MSG(a.sample == m && a.knee == knee && a.eps >= kd[knee] && a.eps <= kd[knee] * (1 + 1e-15),
              "kdist: m=%zu d=%zu k=%zu knee %zu/%zu eps %.17g/%.17g", m, d, k, a.knee, knee, a.eps, kd[knee]);
    CHECK(a.npoints == (m < STRATA_KDIST_POINTS ? m : STRATA_KDIST_POINTS) && a.curve[0] == kd[0] &&
          a.curve[a.npoints - 1] == kd[m - 1]);
    CHECK(b.eps == a.eps && memcmp(a.curve, b.curve, a.npoints * sizeof *a.curve) == 0);
    strata_kdist_free(&b);
    strata_kdist_free(&a);
    /* A sample: as many rows, every value one of the full curve's. */
    CHECK_OK(strata_kdist_knee(c4, x, m, d, k, m / 2 + 2, seed, &a));
    CHECK(a.sample == m / 2 + 2 && bsearch(&a.curve[0], kd, m, sizeof *kd, by_double) != NULL &&
          bsearch(&a.curve[a.npoints - 1], kd, m, sizeof *kd, by_double) != NULL);
  }
  strata_kdist_free(&a);
  free(x); free(all); free(kd); free(heap);
}

/* A curve known by construction: 90 rows of a tight line (k-distance 0.01
 * for k = 2) and 10 scattered far apart (k-distance >= 10): the knee is the
 * last tight row, so eps = 0.01. */
static void kdist_hand(const strata_ctx *c) {
  double x[100];
  for (int i = 0; i < 90; i++) x[i] = 0.01 * i;
  for (int i = 0; i < 10; i++) x[90 + i] = 100.0 + 10.0 * i * (i + 1);
  strata_kdist kd;
  CHECK_OK(strata_kdist_knee(c, x, 100, 1, 2, 100, 1, &kd));
  CHECK_MSG(fabs(kd.eps - 0.01) < 1e-12 && kd.knee == 89, "hand-made knee: eps %g at %zu", kd.eps, kd.knee);
  strata_kdist_free(&kd);
}

int main(void) {
  strata_ctx *c1 = strata_ctx_new(), *c4 = strata_ctx_new();
  CHECK(c1 && c4);
  CHECK_OK(strata_ctx_set_threads(c1, 1));
  CHECK_OK(strata_ctx_set_threads(c4, 4));
  static const size_t shapes[][2] = {{0, 2}, {1, 1}, {2, 3}, {17, 1}, {33, 2}, {100, 3}, {257, 2}, {300, 6}, {400, 9}};
  static const double eps[] = {0.0, 0.3, 1.0, 100.0};
  static const size_t ms[] = {1, 3, 10};
  uint64_t seed = 1;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int dups = 0; dups < 2; dups++)
      for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++)
        run_case(c1, c4, (unsigned)shapes[s][0], shapes[s][1], dups, eps[e], ms[(s + e + (size_t)dups) % 3], seed++);
  /* Hand cases: min_samples 1 makes every point core (clusters = components);
   * a huge min_samples makes everything noise; eps 100 one cluster. */
  {
    double x[5] = {0, 0.5, 1.0, 5, 5.2};
    int32_t lab[5];
    uint8_t core[5];
    size_t nc = 0;
    CHECK_OK(strata_dbscan(c4, x, NULL, 5, 1, 0.6, 1, lab, core, &nc));
    CHECK(nc == 2 && lab[0] == 0 && lab[1] == 0 && lab[2] == 0 && lab[3] == 1 && lab[4] == 1);
    CHECK_OK(strata_dbscan(c4, x, NULL, 5, 1, 0.6, 6, lab, core, &nc));
    CHECK(nc == 0 && lab[0] == -1 && lab[4] == -1 && !core[2]);
    CHECK_OK(strata_dbscan(c4, x, NULL, 5, 1, 100, 5, lab, core, &nc));
    CHECK(nc == 1 && lab[3] == 0);
    /* border: 1.0 is within 0.6 of core 0.5 only (min_samples 3: 0.5 sees 0, 0.5, 1.0) */
    CHECK_OK(strata_dbscan(c1, x, NULL, 5, 1, 0.6, 3, lab, core, &nc));
    CHECK(nc == 1 && core[1] && !core[0] && !core[2] && lab[0] == 0 && lab[2] == 0 && lab[3] == -1);
  }
  static const size_t kshapes[][3] = {{2, 1, 1}, {5, 2, 6}, {40, 1, 3}, {150, 2, 5}, {300, 3, 10}, {257, 5, 4}};
  for (size_t s = 0; s < sizeof kshapes / sizeof kshapes[0]; s++)
    for (int dups = 0; dups < 2; dups++) kdist_case(c1, c4, kshapes[s][0], kshapes[s][1], kshapes[s][2], dups, seed++);
  kdist_hand(c4);
  strata_ctx_free(c1);
  strata_ctx_free(c4);
  return check_report();
}
