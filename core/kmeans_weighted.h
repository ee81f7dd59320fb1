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
  int init_sample;              /* the points are the init sample of a weighted fit (for
                                   messages); 0: k-means||'s candidates */
} strata_weighted_job;

/* centers OUT: k×d float64.  STRATA_ERR_DATA when fewer than k points
 * with weight are distinct. */
strata_status strata_kmeans_weighted(const strata_weighted_job *job, double *centers);

/* One weighted greedy k-means++ seeding of the points (no Lloyd): the
 * seeding of a fit with row weights on its init sample (scikit-learn's
 * k-means++ with sample_weight).  centers OUT: k×d float64. */
strata_status strata_kmeans_weighted_seed(const strata_weighted_job *job, double *centers);

/* k distinct points drawn one after another, each with probability
 * proportional to its weight among those not yet drawn (scikit-learn's
 * random init with sample_weight).  centers OUT: k×d float64.
 * STRATA_ERR_DATA when fewer than k points have weight. */
strata_status strata_kmeans_weighted_random(const strata_weighted_job *job, double *centers);

/* The seeding of a fit with row weights on its init sample x (m×d) with
 * weights wf (float32, as the sample keeps them): weighted k-means++, or
 * weighted random draws when `random`; restart `run` of `seed` (k-means
 * and Gaussian mixtures seed alike).  centers OUT: k×d float64. */
strata_status strata_kmeans_weighted_init(const strata_ctx *ctx, const strata_kernels *kern, int threads,
                                          const float *x, const float *wf, size_t m, size_t d, size_t k,
                                          uint64_t seed, int run, int random, double *centers);

#endif
