/* core/agreement.[ch] against direct computations: the adjusted Rand index
 * from pair counts over every pair of points (the formula scikit-learn's
 * adjusted_rand_score uses), best Jaccard from explicit sets, known values
 * and the degenerate cases. */
#include <stdint.h>
#include <string.h>

#include "agreement.h"
#include "check.h"
#include "rng.h"

/* ARI by pair counting: tp pairs together in both, fp together only in b,
 * fn only in a, tn in neither; skipped points (mask 0 or a label < 0) are
 * left out as the library does. */
static double ari_pairs(const int32_t *a, const int32_t *b, size_t n, const uint8_t *mask) {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (size_t i = 0; i < n; i++) {
    if ((mask && !mask[i]) || a[i] < 0 || b[i] < 0) continue;
    for (size_t j = i + 1; j < n; j++) {
      if ((mask && !mask[j]) || a[j] < 0 || b[j] < 0) continue;
      int sa = a[i] == a[j], sb = b[i] == b[j];
      tp += sa && sb;
      fn += sa && !sb;
      fp += !sa && sb;
      tn += !sa && !sb;
    }
  }
  if (fn == 0 && fp == 0) return 1.0;
  return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/* Best Jaccard of a's cluster c against b's clusters, from the sets. */
static double jaccard_sets(const int32_t *a, const int32_t *b, int kb, size_t n, const uint8_t *mask, int c) {
  double best = 0.0;
  for (int j = 0; j < kb; j++) {
    double inter = 0, uni = 0;
    for (size_t i = 0; i < n; i++) {
      if ((mask && !mask[i]) || a[i] < 0 || b[i] < 0) continue;
      int in_a = a[i] == c, in_b = b[i] == j;
      inter += in_a && in_b;
      uni += in_a || in_b;
    }
    if (uni > 0 && inter / uni > best) best = inter / uni;
  }
  return best;
}

static void known_values(void) {
  /* scikit-learn's documented examples. */
  int32_t t[] = {0, 0, 1, 1}, p1[] = {0, 0, 1, 2}, p2[] = {1, 1, 0, 0}, one[] = {0, 0, 0, 0},
          single[] = {0, 1, 2, 3};
  CHECK_NEAR(strata_ari(t, 2, p1, 3, 4, NULL), 4.0 / 7.0, 1e-15);
  CHECK(strata_ari(t, 2, p2, 2, 4, NULL) == 1.0);
  CHECK(strata_ari(one, 1, single, 4, 4, NULL) == 0.0);
  CHECK(strata_ari(one, 1, one, 1, 4, NULL) == 1.0);
  CHECK(strata_ari(single, 4, single, 4, 4, NULL) == 1.0);
  CHECK(strata_ari(t, 2, p1, 3, 1, NULL) == 1.0); /* one point */
  /* adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) is symmetric */
  CHECK_NEAR(strata_ari(p1, 3, t, 2, 4, NULL), 4.0 / 7.0, 1e-15);
  /* A worse-than-chance pairing is negative: [0,0,1,1] vs [0,1,0,1] = -0.5. */
  int32_t x[] = {0, 1, 0, 1};
  CHECK_NEAR(strata_ari(t, 2, x, 2, 4, NULL), -0.5, 1e-15);

  uint64_t counts[2 * 3];
  CHECK(strata_contingency(t, 2, p1, 3, 4, NULL, counts) == 4);
  uint64_t want[] = {2, 0, 0, 0, 1, 1};
  CHECK(memcmp(counts, want, sizeof want) == 0);
  double jac[2];
  strata_jaccard_best(counts, 2, 3, jac);
  CHECK(jac[0] == 1.0);
  CHECK(jac[1] == 0.5);
}

static void random_labelings(void) {
  strata_rng rng;
  strata_rng_seed(&rng, 7, 1);
  enum { N = 400 };
  int32_t a[N], b[N];
  uint8_t mask[N];
  for (int trial = 0; trial < 40; trial++) {
    int ka = 1 + (int)strata_rng_below(&rng, 6), kb = 1 + (int)strata_rng_below(&rng, 8);
    int noise = (int)strata_rng_below(&rng, 4); /* 0: b copies a up to renaming, then noisier */
    for (int i = 0; i < N; i++) {
      a[i] = (int32_t)strata_rng_below(&rng, (uint64_t)ka);
      b[i] = (int32_t)((noise == 0 ? (uint64_t)a[i] : strata_rng_below(&rng, (uint64_t)kb)) % (uint64_t)kb);
      if (noise == 1 && strata_rng_below(&rng, 4) != 0) b[i] = (int32_t)(a[i] % kb);
      if (strata_rng_below(&rng, 20) == 0) b[i] = -1; /* no segment */
      mask[i] = strata_rng_below(&rng, 3) != 0;
    }
    const uint8_t *m = trial % 2 ? mask : NULL;
    double got = strata_ari(a, ka, b, kb, N, m), want = ari_pairs(a, b, N, m);
    CHECK_MSG(fabs(got - want) <= 1e-12, "trial %d: ARI %.17g, pair counting %.17g", trial, got, want);
    uint64_t counts[6 * 8];
    strata_contingency(a, ka, b, kb, N, m, counts);
    double jac[6];
    strata_jaccard_best(counts, ka, kb, jac);
    for (int c = 0; c < ka; c++) {
      double direct = jaccard_sets(a, b, kb, N, m, c);
      CHECK_MSG(fabs(jac[c] - direct) <= 1e-15, "trial %d cluster %d: %.17g vs %.17g", trial, c, jac[c], direct);
    }
  }
}

/* A cluster with no point left in the table cannot be recovered: 0. */
static void empty_cluster(void) {
  int32_t a[] = {0, 0, 1, 2}, b[] = {0, 0, 1, 1};
  uint8_t mask[] = {1, 1, 1, 0};
  uint64_t counts[3 * 2];
  strata_contingency(a, 3, b, 2, 4, mask, counts);
  double jac[3];
  strata_jaccard_best(counts, 3, 2, jac);
  CHECK(jac[0] == 1.0 && jac[1] == 1.0 && jac[2] == 0.0);
}

int main(void) {
  known_values();
  random_labelings();
  empty_cluster();
  return check_report();
}
