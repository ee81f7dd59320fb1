/* Agreement between two labelings of the same points: the contingency
 * table, the adjusted Rand index (Hubert & Arabie) and each cluster's best
 * Jaccard match (Hennig's cluster-wise stability).  Pure functions, float64
 * sums of exact integer counts. */
#ifndef STRATA_AGREEMENT_H
#define STRATA_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

/* counts OUT (ka×kb, zeroed here): counts[i*kb + j] = points with a[p] == i
 * and b[p] == j, over the points p < n where mask is NULL or mask[p] != 0
 * and both labels are >= 0 (a label < 0 means "no segment").  Labels must
 * be < ka and < kb.  Returns the points counted. */
uint64_t strata_contingency(const int32_t *a, int ka, const int32_t *b, int kb, size_t n,
                            const uint8_t *mask, uint64_t *counts);

/* Adjusted Rand index of a contingency table.  1 when the two labelings
 * agree up to renaming, about 0 for independent ones.  As scikit-learn:
 * 1.0 when both put every point in one cluster or both in singletons (the
 * index is then 0/0), and 1.0 for fewer than two points. */
double strata_ari_table(const uint64_t *counts, int ka, int kb);

/* Same, from the two label vectors (allocates the table; NaN when out of
 * memory). */
double strata_ari(const int32_t *a, int ka, const int32_t *b, int kb, size_t n, const uint8_t *mask);

/* jaccard OUT (ka): for each row cluster i, max over column clusters j of
 * |i ∩ j| / |i ∪ j| = n_ij / (n_i. + n_.j - n_ij); 0 when cluster i has no
 * point in the table (it cannot be recovered). */
void strata_jaccard_best(const uint64_t *counts, int ka, int kb, double *jaccard);

#endif
