/* k-means|| (Bahmani et al., "Scalable K-Means++", 2012): seeding from
 * passes over every row rather than from the init sample.
 *
 * From one first centre, each round keeps every row's squared distance to
 * its nearest candidate (one float and one int per row of this rank, in
 * memory), sums those distances exactly (phi) and takes each row as a new
 * candidate with probability min(1, l d^2 / phi), l = 2k: one pass updates
 * the distances against the previous round's candidates, one fetches the
 * values of the rows taken.  After the rounds one more pass gives each
 * candidate its cell: the rows nearest to it, their count (the weight) and
 * their mean; weighted k-means++ and weighted Lloyd reduce the cells' means
 * to k centres (core/kmeans_weighted.h).  The means, not the candidates,
 * because a candidate was drawn for being far from the others: a heavy
 * cluster's candidates lie spread around its edge, and weighted by the
 * whole cluster they make it look wider than it is, so that splitting it
 * seems to pay more than giving a small far cluster its centre (measured:
 * bench/kmeans_parallel.py).  With the means, the weighted inertia of any
 * assignment of whole cells is the data's own, up to a constant.
 *
 * A row's draw is a hash of (seed, restart, round, input row index), phi an
 * exact sum and the weights integer counts, so the centres are the same
 * bits for any thread count, chunk size and number of MPI ranks (each rank
 * keeps its own rows' distances; phi, the taken rows and the weights are
 * combined across ranks). */
#ifndef STRATA_KMEANS_PARALLEL_H
#define STRATA_KMEANS_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "pass.h"

#define STRATA_KPAR_ROUNDS 5

typedef struct {
  const strata_ctx *ctx;
  const strata_kernels *kern;  /* a CPU table: distances and the reduction */
  strata_pass *pass;           /* scaled rows */
  const float *first;          /* d: the first centre (a row of the init sample) */
  size_t d, k;
  uint64_t seed;
  int run;                     /* restart index: each draws its own rows */
  double bound;                /* the largest |scaled value| (strata_fit_sum_bounds) */
  uint64_t rows;               /* rows of the fit, every rank */
  double wmax;                 /* the largest row weight when the pass carries weights
                                  (strata_pass_weighted), else 0: each row then counts w times
                                  in phi, its draw (2k w d^2 / phi) and its cell */
} strata_kpar_job;

typedef struct {
  int rounds, passes;
  size_t candidates;           /* rows taken, the first centre included */
} strata_kpar_info;

/* centers OUT: k×d float64, scaled units; info OUT (may be NULL). */
strata_status strata_init_kmeans_parallel(const strata_kpar_job *job, double *centers, strata_kpar_info *info);

#endif
