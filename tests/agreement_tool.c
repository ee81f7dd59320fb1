/* Prints core/agreement.h's measures for label vectors read from stdin, for
 * tests/sklearn_agreement.py:  n ka kb, then n labels of a, n of b, n mask
 * values (0/1).  Output: "ari X" then "jaccard J0 J1 ...". */
#include <stdio.h>
#include <stdlib.h>

#include "agreement.h"

int main(void) {
  size_t n;
  int ka, kb;
  if (scanf("%zu %d %d", &n, &ka, &kb) != 3 || ka < 1 || kb < 1) return 2;
  int32_t *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
  uint8_t *mask = malloc(n ? n : 1);
  uint64_t *counts = malloc((size_t)ka * (size_t)kb * sizeof *counts);
  double *jac = malloc((size_t)ka * sizeof *jac);
  if (!a || !b || !mask || !counts || !jac) return 1;
  for (size_t i = 0; i < n; i++)
    if (scanf("%d", &a[i]) != 1 || a[i] >= ka) return 2;
  for (size_t i = 0; i < n; i++)
    if (scanf("%d", &b[i]) != 1 || b[i] >= kb) return 2;
  for (size_t i = 0; i < n; i++) {
    int m;
    if (scanf("%d", &m) != 1) return 2;
    mask[i] = (uint8_t)(m != 0);
  }
  printf("ari %.17g\n", strata_ari(a, ka, b, kb, n, mask));
  strata_contingency(a, ka, b, kb, n, mask, counts);
  strata_jaccard_best(counts, ka, kb, jac);
  printf("jaccard");
  for (int i = 0; i < ka; i++) printf(" %.17g", jac[i]);
  printf("\n");
  free(a);
  free(b);
  free(mask);
  free(counts);
  free(jac);
  return 0;
}
