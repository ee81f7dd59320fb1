/* Weighted column statistics (row weights, strata_dataset_set_weights):
 * per column the total weight, the weighted mean and the weighted
 * variance sum w (x - mean)^2 / sum w of the finite values, order-free like
 * strata_moments (reduce.h): a block's weight W, weighted mean, weighted M2
 * and residual are formed in row order in float64, and the reducer keeps
 * sum w, sum w x and sum w x^2 in exact accumulators, so the totals do not
 * depend on threads, chunk size or MPI ranks.  Also the largest weight. */
#ifndef STRATA_WMOMENTS_H
#define STRATA_WMOMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "strata.h"
#include "xacc.h"

typedef struct {
  strata_xacc w, sum, sq; /* sum w, sum w x, sum w x^2 */
} strata_wmoment;

typedef struct {
  size_t d;
  int workers;
  strata_wmoment *part;   /* workers × d */
  uint64_t *blocks;       /* workers: blocks since the last carry */
  double *wmax;           /* workers: the largest weight seen */
  uint8_t *skip;          /* workers × STRATA_BLOCK_ROWS: rows left out */
} strata_wmoments_set;

strata_status strata_wmoments_set_init(strata_wmoments_set *s, size_t d, int workers);
void strata_wmoments_set_free(strata_wmoments_set *s);
/* Adds rows×d values x with their weights w to `worker`'s partial; with
 * skip_incomplete, rows holding a NaN are left out. */
void strata_wmoments_set_add(strata_wmoments_set *s, int worker, const float *x, const float *w, size_t rows,
                             int skip_incomplete);
/* The totals over every worker and every rank of comm (a collective):
 * per column the total weight, weighted mean and weighted variance (NaN
 * where the weight is 0); *wmax the largest weight of any row added. */
strata_status strata_wmoments_set_total_comm(const strata_wmoments_set *s, const strata_comm *comm, double *weight,
                                             double *mean, double *var, double *wmax);

#endif
