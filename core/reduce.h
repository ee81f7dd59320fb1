/* The order-free reducer: every pass that merges per-block results goes
 * through values with zero / add a block / combine / finish whose result
 * does not depend on how blocks are split between workers (threads now,
 * MPI ranks next) nor on the order in which partials are combined.
 *
 * The exact accumulator strata_xacc (common/xacc.h) holds the sums.
 *
 * strata_moments (column statistics) and the co-moment finish (covariance)
 * build on it: a block contributes its count, mean, sum of squared
 * deviations M2 and residual r = sum(x - mean) computed in float64 over its
 * 4096 rows (in row order, so deterministic), and the reducer keeps
 * sum x = sum(n_b mean_b + r_b) and sum x^2 = sum(M2_b + n_b mean_b^2 +
 * 2 mean_b r_b) exactly (products split with fma).  The total M2 is then
 * sum x^2 - (sum x)^2 / n, formed exactly about the rounded mean and
 * rounded once: more accurate than Chan's left fold, and order-free. */
#ifndef STRATA_REDUCE_H
#define STRATA_REDUCE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "comm.h"
#include "stats.h"
#include "strata.h"
#include "xacc.h"

/* The centred co-moment sum (x_a - mean_a)(x_b - mean_b) from the exact
 * sums sab = sum x_a x_b, sa = sum x_a, sb = sum x_b over n values; the
 * means are returned in *mean_a, *mean_b (either may be NULL).  With
 * sa == sb and sab the sum of squares: M2 of one column. */
double strata_comoment(const strata_xacc *sab, const strata_xacc *sa, const strata_xacc *sb, double n,
                       double *mean_a, double *mean_b);

/* ---- column statistics (counts, min, max, mean, M2) ---- */

typedef struct {
  uint64_t n, missing, inf;
  double min, max;
  uint64_t blocks;   /* blocks added since the last carry */
  strata_xacc sum;   /* sum x */
  strata_xacc sq;    /* sum x^2 */
} strata_moments;

void strata_moments_zero(strata_moments *m, size_t d);
/* Adds one block's column statistics (strata_colacc_block, d columns). */
void strata_moments_add(strata_moments *m, const strata_colacc *block, size_t d);
void strata_moments_combine(strata_moments *into, const strata_moments *b, size_t d);
/* The totals as column statistics (mean, m2 about it). */
void strata_moments_finish(const strata_moments *m, strata_colacc *out, size_t d);

/* Per-worker partials of d columns' statistics for a pass: a block goes
 * through strata_colacc_block into the worker's scratch and is added to the
 * worker's partial; the total combines the partials. */
typedef struct {
  size_t d;
  int workers;
  strata_moments *part; /* workers × d */
  strata_colacc *block; /* workers × d: the worker's current block */
  double *tmp;          /* workers × 2d */
} strata_moments_set;

strata_status strata_moments_set_init(strata_moments_set *s, size_t d, int workers);
void strata_moments_set_free(strata_moments_set *s);
void strata_moments_set_zero(strata_moments_set *s);
/* Adds rows×d values (strata_colacc_block's arguments) to `worker`'s
 * partial; returns the block's own statistics (valid until its next call). */
const strata_colacc *strata_moments_set_add(strata_moments_set *s, int worker, const float *x, size_t rows,
                                            int skip_incomplete, uint64_t *skipped);
/* The total of every partial, finished into out[0..d-1]. */
strata_status strata_moments_set_total(const strata_moments_set *s, strata_colacc *out);

/* Same, with the totals of every rank of comm (NULL = this process only):
 * an integer sum of the exact words, and min/max, so every rank finishes
 * the totals one process would have.  A collective: every rank calls it. */
strata_status strata_moments_set_total_comm(const strata_moments_set *s, const strata_comm *comm,
                                            strata_colacc *out);
/* The words of d columns' moments summed over the ranks of comm, in place. */
strata_status strata_moments_allreduce(const strata_comm *comm, strata_moments *m, size_t d);

/* The terms of sum x_a x_b over one block from its means, co-moment about
 * them and residuals: c_ab + n mean_a mean_b + mean_a r_b + mean_b r_a. */
static inline void strata_xacc_add_block_products(strata_xacc *s, double n, double mean_a, double mean_b,
                                                  double r_a, double r_b, double c_ab) {
  strata_xacc_add(s, c_ab);
  double p = n * mean_a, e = fma(n, mean_a, -p); /* n mean_a = p + e exactly */
  strata_xacc_add_product(s, p, mean_b);
  strata_xacc_add_product(s, e, mean_b);
  strata_xacc_add_product(s, mean_a, r_b);
  strata_xacc_add_product(s, mean_b, r_a);
}

/* The terms of sum x over one block: n mean + r. */
static inline void strata_xacc_add_block_sum(strata_xacc *s, double n, double mean, double r) {
  strata_xacc_add_product(s, n, mean);
  strata_xacc_add(s, r);
}

#endif
