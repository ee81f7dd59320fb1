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
 *  fx     INOUT k×d exact sums; total INOUT k counts */
static inline void strata_block_fold(size_t k, size_t d, double *sums, int64_t *counts,
                                     const double *scale, strata_fixed *fx, int64_t *total) {
  for (size_t c = 0; c < k; c++) {
    if (!counts[c]) continue;
    total[c] += counts[c];
    counts[c] = 0;
    double *bs = sums + c * d;
    if (scale) strata_fixed_add(fx + c * d, bs, scale, d);
    memset(bs, 0, d * sizeof *bs);
  }
}

#endif
