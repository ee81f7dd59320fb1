/* Ward hierarchical clustering: the nearest-neighbour chain on cluster
 * centroids and sizes (O(m²·d) time, O(m·d) memory, no m×m matrix), and
 * the cuts of its dendrogram.
 *
 * The dendrogram is scipy's linkage matrix: merge i joins clusters
 * left < right (0..m-1 are the points, m+j the cluster of merge j) at
 * height sqrt(2·ΔSSE) = sqrt(2·na·nb/(na+nb))·|ca - cb| — what
 * scipy.cluster.hierarchy.linkage(method='ward') reports — into a cluster
 * of `size` points; merges are sorted by height, ties in chain order
 * (a stable sort, as scipy). */
#ifndef STRATA_WARD_H
#define STRATA_WARD_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "strata.h"

typedef struct {
  double left, right, height, size; /* scipy's row: ids as doubles */
} strata_ward_merge;

/* Ward on m starting clusters: centres x (m×d float64, row-major) with
 * weights w (m counts >= 1; NULL = all 1; the two-step mode starts from
 * micro-clusters).  The chain's nearest-neighbour scans run on ctx's
 * threads; the result does not depend on their number.  Ties between
 * candidates go to the chain's predecessor, then to the lowest slot, as in
 * scipy's nn_chain.  merges OUT (m-1). */
strata_status strata_ward_linkage(const strata_ctx *ctx, const double *x, const double *w, size_t m, size_t d,
                                  strata_ward_merge *merges);

/* The flat partition of m points after the merges whose height is at most
 * `threshold` (threshold < 0: the first m-k merges, i.e. k clusters).
 * Clusters are numbered by their lowest point.  labels OUT (m), nclusters
 * OUT. */
strata_status strata_ward_cut(const strata_ward_merge *merges, size_t m, size_t k, double threshold,
                              int32_t *labels, size_t *nclusters);

#endif
