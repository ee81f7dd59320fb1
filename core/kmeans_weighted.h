/* k-means on a small in-memory set of weighted points (k-means||'s
 * candidates): greedy k-means++ with draws proportional to weight times
 * squared distance (2 + floor(ln k) trials per step, the one lowering the
 * weighted potential most kept), then weighted Lloyd iterations until no
 * point changes centre.  Distances come from the table's kernels in blocks
 * that threads share; every sum is taken in point order, so the centres do
 * not depend on the thread count. */
#ifndef STRATA_KMEANS_WEIGHTED_H
#define STRATA_KMEANS_WEIGHTED_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#define STRATA_WEIGHTED_RESTARTS 10

typedef struct {
  const strata_ctx *ctx;        /* cancellation */
  const strata_kernels *kern;   /* a CPU table */
  int threads;
  const float *x;               /* m×d points */
  const double *w;              /* m weights >= 0 */
  size_t m, d, k;
  uint64_t seed, stream;
  int max_iter;                 /* weighted Lloyd iterations at most */
} strata_weighted_job;

/* centers OUT: k×d float64.  STRATA_ERR_DATA when fewer than k points
 * with weight are distinct. */
strata_status strata_kmeans_weighted(const strata_weighted_job *job, double *centers);

#endif
