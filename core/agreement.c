/* Contingency tables, adjusted Rand index, best Jaccard match (agreement.h). */
#include "agreement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t strata_contingency(const int32_t *a, int ka, const int32_t *b, int kb, size_t n,
                            const uint8_t *mask, uint64_t *counts) {
  memset(counts, 0, (size_t)ka * (size_t)kb * sizeof *counts);
  uint64_t total = 0;
  for (size_t p = 0; p < n; p++) {
    if ((mask && !mask[p]) || a[p] < 0 || b[p] < 0) continue;
    counts[(size_t)a[p] * (size_t)kb + (size_t)b[p]]++;
    total++;
  }
  return total;
}

/* n choose 2, exact in float64 up to n = 2^26 and within an ulp beyond. */
static double pairs(uint64_t n) { return n < 2 ? 0.0 : (double)n * (double)(n - 1) / 2.0; }

double strata_ari_table(const uint64_t *counts, int ka, int kb) {
  uint64_t total = 0;
  double index = 0.0, sum_a = 0.0, sum_b = 0.0;
  size_t nonempty_a = 0, nonempty_b = 0, singletons_a = 0, singletons_b = 0;
  for (int i = 0; i < ka; i++) {
    uint64_t row = 0;
    for (int j = 0; j < kb; j++) {
      uint64_t c = counts[(size_t)i * (size_t)kb + (size_t)j];
      row += c;
      index += pairs(c);
    }
    total += row;
    sum_a += pairs(row);
    nonempty_a += row > 0;
    singletons_a += row == 1;
  }
  for (int j = 0; j < kb; j++) {
    uint64_t col = 0;
    for (int i = 0; i < ka; i++) col += counts[(size_t)i * (size_t)kb + (size_t)j];
    sum_b += pairs(col);
    nonempty_b += col > 0;
    singletons_b += col == 1;
  }
  if (total < 2) return 1.0;
  /* Both trivial the same way: the index is 0/0, and the labelings agree. */
  if ((nonempty_a == 1 && nonempty_b == 1) || (singletons_a == total && singletons_b == total)) return 1.0;
  double expected = sum_a * sum_b / pairs(total);
  double max_index = 0.5 * (sum_a + sum_b);
  double denom = max_index - expected;
  return denom == 0.0 ? 1.0 : (index - expected) / denom;
}

double strata_ari(const int32_t *a, int ka, const int32_t *b, int kb, size_t n, const uint8_t *mask) {
  uint64_t *counts = malloc((size_t)ka * (size_t)kb * sizeof *counts);
  if (!counts) return NAN;
  strata_contingency(a, ka, b, kb, n, mask, counts);
  double ari = strata_ari_table(counts, ka, kb);
  free(counts);
  return ari;
}

void strata_jaccard_best(const uint64_t *counts, int ka, int kb, double *jaccard) {
  for (int i = 0; i < ka; i++) {
    uint64_t row = 0;
    for (int j = 0; j < kb; j++) row += counts[(size_t)i * (size_t)kb + (size_t)j];
    double best = 0.0;
    for (int j = 0; j < kb && row > 0; j++) {
      uint64_t c = counts[(size_t)i * (size_t)kb + (size_t)j];
      if (c == 0) continue;
      uint64_t col = 0;
      for (int i2 = 0; i2 < ka; i2++) col += counts[(size_t)i2 * (size_t)kb + (size_t)j];
      double jac = (double)c / (double)(row + col - c);
      if (jac > best) best = jac;
    }
    jaccard[i] = best;
  }
}
