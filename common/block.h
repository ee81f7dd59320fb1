/* The reduction block: every pass cuts the rows into fixed runs of
 * STRATA_BLOCK_ROWS input rows, independent of the I/O chunk size and of the
 * thread count, and a block's partial result is a function of its rows
 * alone.  The core's passes (core/pass.h) and a device backend's host side
 * (kernels/opencl_run_host.c) both fold block partials into exact totals
 * with strata_block_fold, so their totals carry the same bits. */
#ifndef STRATA_BLOCK_H
#define STRATA_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exact.h"

#define STRATA_BLOCK_ROWS 4096

/* Adds one block's per-cluster partial into a thread's exact totals and
 * clears the partial for the next block; only clusters the block touched
 * (counts[c] != 0) cost anything.
 *  sums   INOUT k×d float64 sums of the block, zero on return
 *  counts INOUT k rows per cluster of the block, zero on return
 *  scale  IN    d scales 2^S_j (exact.h), or NULL when sums are not wanted
 *               (then fx is not touched)
 *  row_limit IN strata_fixed_row_limit of the grid's rows
 *  fx     INOUT k×d exact sums; total INOUT k counts
 * Returns 0 when a sum passed its rows' limit (it is left out): the caller
 * fails the pass. */
static inline int strata_block_fold(size_t k, size_t d, double *sums, int64_t *counts, const double *scale,
                                    double row_limit, strata_fixed *fx, int64_t *total) {
  int ok = 1;
  for (size_t c = 0; c < k; c++) {
    if (!counts[c]) continue;
    total[c] += counts[c];
    double *bs = sums + c * d;
    if (scale && !strata_fixed_add(fx + c * d, bs, scale, d, (double)counts[c], row_limit)) ok = 0;
    counts[c] = 0;
    memset(bs, 0, d * sizeof *bs);
  }
  return ok;
}

#endif
