/* Ward's nearest-neighbour chain (core/ward.c) against a brute-force
 * O(m³) agglomeration that merges, at every step, the pair of live clusters
 * with the smallest ΔSSE (Ward's criterion, from centroids and sizes).
 * Random small shapes, duplicates, m = 1 and 2, weighted starts; heights
 * must agree to 1e-12 relative, partitions at every k whose cut is not a
 * tie must agree up to renaming, and the thread count must not change a
 * bit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "strata.h"
#include "ward.h"

/* Brute force: heights of the m-1 merges in merge order (ascending for
 * Ward) and, per number of clusters k, the partition (labels[k-1][i]). */
static void brute(const double *x, const double *w, size_t m, size_t d, double *height, int32_t *labels) {
  double *c = malloc(m * d * sizeof *c), *n = malloc(m * sizeof *n);
  int32_t *owner = malloc(m * sizeof *owner);
  memcpy(c, x, m * d * sizeof *c);
  for (size_t i = 0; i < m; i++) { n[i] = w ? w[i] : 1.0; owner[i] = (int32_t)i; }
  for (size_t i = 0; i < m; i++) labels[(m - 1) * m + i] = (int32_t)i;
  for (size_t step = 0; step + 1 < m; step++) {
    double bv = INFINITY;
    size_t ba = 0, bb = 0;
    for (size_t a = 0; a < m; a++)
      for (size_t b = a + 1; b < m; b++) {
        if (n[a] == 0 || n[b] == 0) continue;
        double s = 0;
        for (size_t t = 0; t < d; t++) s += (c[a * d + t] - c[b * d + t]) * (c[a * d + t] - c[b * d + t]);
        double v = n[a] * n[b] / (n[a] + n[b]) * s;
        if (v < bv) { bv = v; ba = a; bb = b; }
      }
    for (size_t t = 0; t < d; t++) c[bb * d + t] = (n[ba] * c[ba * d + t] + n[bb] * c[bb * d + t]) / (n[ba] + n[bb]);
    n[bb] += n[ba];
    n[ba] = 0;
    for (size_t i = 0; i < m; i++)
      if (owner[i] == (int32_t)ba) owner[i] = (int32_t)bb;
    height[step] = sqrt(2 * bv);
    size_t k = m - 1 - step;
    memcpy(labels + (k - 1) * m, owner, m * sizeof *owner);
  }
  free(c); free(n); free(owner);
}

/* Same partition up to renaming. */
static int same_partition(const int32_t *a, const int32_t *b, size_t m) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = i + 1; j < m; j++)
      if ((a[i] == a[j]) != (b[i] == b[j])) return 0;
  return 1;
}

static void run_case(const strata_ctx *ctx1, const strata_ctx *ctx4, size_t m, size_t d, int dups, int weighted,
                     uint64_t seed) {
  strata_rng r;
  strata_rng_seed(&r, seed, 0);
  double *x = malloc((m * d + 1) * sizeof *x), *w = weighted ? malloc(m * sizeof *w) : NULL;
  for (size_t i = 0; i < m; i++) {
    /* With dups, a third of the rows repeat an earlier row. */
    if (dups && i > 0 && strata_rng_next(&r) % 3 == 0) {
      size_t src = (size_t)(strata_rng_next(&r) % i);
      memcpy(x + i * d, x + src * d, d * sizeof *x);
    } else {
      for (size_t t = 0; t < d; t++) x[i * d + t] = strata_rng_uniform(&r) * 10.0 - 5.0;
    }
    if (w) w[i] = (double)(1 + strata_rng_next(&r) % 5);
  }
  strata_ward_merge *z1 = malloc((m + 1) * sizeof *z1), *z4 = malloc((m + 1) * sizeof *z4);
  double *h = malloc((m + 1) * sizeof *h);
  int32_t *bl = malloc(m * m * sizeof *bl), *lab = malloc(m * sizeof *lab);
  CHECK_OK(strata_ward_linkage(ctx1, x, w, m, d, z1));
  CHECK_OK(strata_ward_linkage(ctx4, x, w, m, d, z4));
  CHECK_MSG(m < 2 || memcmp(z1, z4, (m - 1) * sizeof *z1) == 0, "m=%zu d=%zu: 1 and 4 threads differ", m, d);
  brute(x, w, m, d, h, bl);
  double top = m > 1 ? z1[m - 2].height : 0;
  for (size_t j = 0; j + 1 < m; j++) {
    CHECK_MSG(fabs(z1[j].height - h[j]) <= 1e-12 * top, "m=%zu d=%zu merge %zu: height %.17g vs brute %.17g", m,
              d, j, z1[j].height, h[j]);
    CHECK_MSG(z1[j].left < z1[j].right && z1[j].right < (double)(m + j), "merge %zu ids", j);
  }
  double total = 0;
  for (size_t i = 0; i < m; i++) total += w ? w[i] : 1.0;
  if (m > 1) CHECK(z1[m - 2].size == total);
  /* Every k whose cut is not a tie, and a threshold between two heights. */
  for (size_t k = 1; k <= m; k++) {
    size_t nc = 0;
    CHECK_OK(strata_ward_cut(z1, m, k, -1.0, lab, &nc));
    CHECK(nc == k);
    int tie = k < m && k > 1 && h[m - k] - h[m - k - 1] <= 1e-9 * top;
    if (!tie) CHECK_MSG(same_partition(lab, bl + (k - 1) * m, m), "m=%zu d=%zu k=%zu: partition", m, d, k);
    CHECK(lab[0] == 0);
    if (k > 1 && k < m && !tie) {
      size_t nt = 0;
      CHECK_OK(strata_ward_cut(z1, m, 0, 0.5 * (h[m - k] + h[m - k - 1]), lab, &nt));
      CHECK_MSG(nt == k && same_partition(lab, bl + (k - 1) * m, m), "m=%zu k=%zu: threshold cut", m, k);
    }
  }
  free(x); free(w); free(z1); free(z4); free(h); free(bl); free(lab);
}

int main(void) {
  strata_ctx *c1 = strata_ctx_new(), *c4 = strata_ctx_new();
  CHECK(c1 && c4);
  CHECK_OK(strata_ctx_set_threads(c1, 1));
  CHECK_OK(strata_ctx_set_threads(c4, 4));
  static const size_t shapes[][2] = {{1, 1}, {1, 3}, {2, 1}, {2, 5}, {3, 2}, {7, 1}, {17, 3}, {33, 2},
                                     {64, 7}, {101, 4}, {150, 9}};
  uint64_t seed = 1;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int dups = 0; dups < 2; dups++)
      for (int weighted = 0; weighted < 2; weighted++) run_case(c1, c4, shapes[s][0], shapes[s][1], dups, weighted, seed++);
  /* Big enough for the split scan (m·d >= 2^18): threads must not matter
   * (no brute force at this size). */
  {
    size_t m = 2400, d = 110;
    double *x = malloc(m * d * sizeof *x);
    strata_rng r;
    strata_rng_seed(&r, 77, 0);
    for (size_t i = 0; i < m * d; i++) x[i] = strata_rng_uniform(&r);
    for (size_t i = 0; i < 200; i++) memcpy(x + (m - 1 - i) * d, x + i * d, d * sizeof *x); /* duplicates */
    strata_ward_merge *z1 = malloc(m * sizeof *z1), *z4 = malloc(m * sizeof *z4);
    CHECK_OK(strata_ward_linkage(c1, x, NULL, m, d, z1));
    CHECK_OK(strata_ward_linkage(c4, x, NULL, m, d, z4));
    CHECK_MSG(memcmp(z1, z4, (m - 1) * sizeof *z1) == 0, "m=%zu d=%zu: 1 and 4 threads differ", m, d);
    free(x); free(z1); free(z4);
  }
  run_case(c1, c4, 300, 110, 1, 0, 99);
  /* All rows equal: every height 0, one cluster at k = 1, singletons at k = m. */
  {
    double x[12] = {0};
    strata_ward_merge z[5];
    int32_t lab[6];
    size_t nc = 0;
    CHECK_OK(strata_ward_linkage(c4, x, NULL, 6, 2, z));
    for (int j = 0; j < 5; j++) CHECK(z[j].height == 0.0);
    CHECK(z[4].size == 6.0);
    CHECK_OK(strata_ward_cut(z, 6, 1, -1.0, lab, &nc));
    CHECK(nc == 1);
    CHECK_OK(strata_ward_cut(z, 6, 6, -1.0, lab, &nc));
    CHECK(nc == 6 && lab[5] == 5);
  }
  /* Hand-computed: points 0, 1, 10 on a line.  {0,1} at sqrt(2·0.5) = 1;
   * then {0,1} with 10: ΔSSE = 2·1/3·9.5² → height sqrt(4/3·90.25). */
  {
    double x[3] = {0, 1, 10};
    strata_ward_merge z[2];
    CHECK_OK(strata_ward_linkage(c1, x, NULL, 3, 1, z));
    CHECK(z[0].left == 0 && z[0].right == 1 && z[0].size == 2);
    CHECK_NEAR(z[0].height, 1.0, 1e-15);
    CHECK(z[1].left == 2 && z[1].right == 3 && z[1].size == 3);
    CHECK_NEAR(z[1].height, sqrt(4.0 / 3.0 * 90.25), 1e-15);
  }
  strata_ctx_free(c1);
  strata_ctx_free(c4);
  return check_report();
}
