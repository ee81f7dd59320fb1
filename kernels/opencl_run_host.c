/* The host side of an OpenCL run.
 *
 * ocl_host_account: once a piece's labels and exact distances are back, the
 * host counts rows per cluster, sums each block's inertia in row order and
 * adds the block totals exactly (common/xacc.h, as core/lloyd_pass.c does), and lists each block's
 * rows grouped by cluster in increasing row order (a stable counting sort,
 * O(rows + k) per block): the order in which reduce_sums_fixed adds them on
 * the device.
 *
 * ocl_host_chunk: the CPU path of a run (a device without float64, a very
 * large k, or a device that failed under auto) with the core's own
 * accumulation (strata_block_fold, common/block.h): per-block float64 sums
 * rounded once to fixed point and added exactly, so its totals are
 * bit-identical to the CPU path's and may be added to device totals in any
 * order. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "opencl_internal.h"

void ocl_host_account(ocl_totals *t, const ocl_piece_block *blocks, size_t nb,
                      const int32_t *labels, const double *dist64, float *dist2, cl_int *order,
                      cl_int *offsets) {
  const size_t k = t->k;
  for (size_t b = 0; b < nb; b++) {
    const size_t off = blocks[b].off, m = blocks[b].m;
    const int32_t *lab = labels + off;
    const double *dd = dist64 + off;
    double inertia = 0.0;
    for (size_t i = 0; i < m; i++) {
      t->counts[lab[i]]++;
      inertia += dd[i];
      if (dist2) dist2[off + i] = (float)dd[i];
    }
    strata_xacc_add(&t->inertia, inertia);
    if (!order) continue;
    /* Run starts of each cluster (absolute positions in order), a stable
     * scatter that advances them to the run ends, then back to starts. */
    cl_int *ofs = offsets + b * (k + 1);
    memset(ofs, 0, (k + 1) * sizeof *ofs);
    for (size_t i = 0; i < m; i++) ofs[lab[i] + 1]++;
    ofs[0] = (cl_int)off;
    for (size_t c = 0; c < k; c++) ofs[c + 1] += ofs[c];
    for (size_t i = 0; i < m; i++) order[ofs[lab[i]]++] = (cl_int)(off + i);
    for (size_t c = k; c > 0; c--) ofs[c] = ofs[c - 1];
    ofs[0] = (cl_int)off;
  }
}

void ocl_host_ws_free(ocl_host_ws *ws) {
  for (int i = 0; ws->sums && i < ws->threads; i++) {
    free(ws->sums[i]);
    free(ws->counts[i]);
    free(ws->fx[i]);
    free(ws->total[i]);
    free(ws->scratch[i].ptr);
  }
  free(ws->sums);
  free(ws->counts);
  free(ws->fx);
  free(ws->total);
  free(ws->scratch);
  free(ws->inertia);
  memset(ws, 0, sizeof *ws);
}

/* Per-thread block sums (kept zero between blocks) and scratch. */
static strata_status ws_ready(ocl_host_ws *ws, const strata_kernels *cpu, int threads, size_t k,
                              size_t d, size_t nblocks) {
  if (!ws->sums || ws->threads != threads || ws->cpu != cpu) {
    ocl_host_ws_free(ws);
    ws->threads = threads;
    ws->cpu = cpu;
    ws->sums = calloc((size_t)threads, sizeof *ws->sums);
    ws->counts = calloc((size_t)threads, sizeof *ws->counts);
    ws->fx = calloc((size_t)threads, sizeof *ws->fx);
    ws->total = calloc((size_t)threads, sizeof *ws->total);
    ws->scratch = calloc((size_t)threads, sizeof *ws->scratch);
    int ok = ws->sums && ws->counts && ws->fx && ws->total && ws->scratch;
    size_t sb = cpu ? cpu->lloyd.scratch_bytes(&cpu->ctx, STRATA_OCL_BLOCK_ROWS, d, k) : 0;
    for (int i = 0; ok && i < threads; i++) {
      ws->sums[i] = calloc(k * d, sizeof **ws->sums);
      ws->counts[i] = calloc(k, sizeof **ws->counts);
      ws->fx[i] = calloc(k * d, sizeof **ws->fx);
      ws->total[i] = calloc(k, sizeof **ws->total);
      ws->scratch[i].bytes = sb;
      if (sb) ws->scratch[i].ptr = aligned_alloc(64, strata_round_up64(sb));
      ok = ws->sums[i] && ws->counts[i] && ws->fx[i] && ws->total[i] && (!sb || ws->scratch[i].ptr);
    }
    if (!ok) {
      ocl_host_ws_free(ws);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory for the CPU path of an OpenCL run");
    }
  }
  if (ws->inertia_cap < nblocks) {
    free(ws->inertia);
    ws->inertia = malloc(nblocks * sizeof *ws->inertia);
    ws->inertia_cap = ws->inertia ? nblocks : 0;
    RETURN_IF(!ws->inertia, STRATA_ERR_NOMEM, "out of memory");
  }
  return STRATA_OK;
}

/* Adds each thread's chunk totals into t and zeroes them for the next chunk
 * (exact: the order of the threads does not matter). */
static void add_thread_totals(ocl_totals *t, ocl_host_ws *ws) {
  const size_t k = t->k, d = t->d;
  for (int i = 0; i < ws->threads; i++) {
    for (size_t cl = 0; cl < k; cl++) {
      if (!ws->total[i][cl]) continue;
      t->counts[cl] += ws->total[i][cl];
      ws->total[i][cl] = 0;
      strata_fixed *fx = ws->fx[i] + cl * d;
      for (size_t j = 0; t->scale && j < d; j++) strata_fixed128_add(&t->sums[cl * d + j], fx[j]);
      memset(fx, 0, d * sizeof *fx);
    }
  }
}

strata_status ocl_host_chunk(ocl_totals *t, ocl_host_ws *ws, const strata_kernels *cpu, int threads,
                             const float *c, const float *c_norm2, const strata_run_block *blocks,
                             size_t nblocks, int labels_given, int32_t *labels, float *dist2) {
  const size_t k = t->k, d = t->d;
  if (threads < 1) threads = 1;
  if ((size_t)threads > nblocks) threads = nblocks ? (int)nblocks : 1;
  FORWARD_IF_ERROR(ws_ready(ws, labels_given ? NULL : cpu, threads, k, d, nblocks));
  size_t *off = malloc((nblocks + 1) * sizeof *off);
  RETURN_IF(!off, STRATA_ERR_NOMEM, "out of memory");
  off[0] = 0;
  for (size_t b = 0; b < nblocks; b++) off[b + 1] = off[b] + blocks[b].m;
  /* Exact sums need no order: each thread folds its blocks into its own
   * totals, which are added into t after the loop.  A sum past the grid
   * fails the pass at its end (ocl_run_end_pass), after the source has
   * said whether the input changed. */
  int on_grid = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (long b = 0; b < (long)nblocks; b++) {
    const int tid = omp_get_thread_num();
    strata_block_acc acc = {ws->sums[tid], ws->counts[tid], 0.0};
    const strata_run_block *blk = &blocks[b];
    int32_t *lab = labels + off[b];
    float *d2 = dist2 ? dist2 + off[b] : NULL;
    if (labels_given)
      strata_finish_rows_scalar(blk->x, blk->m, d, d, c, lab, d2, &acc);
    else
      cpu->lloyd.assign_reduce(&cpu->ctx, blk->x, blk->m, d, d, c, c_norm2, k, lab, d2, &acc, ws->scratch[tid]);
    ws->inertia[b] = acc.inertia;
    if (!strata_block_fold(k, d, acc.sums, acc.counts, t->scale, t->row_limit, ws->fx[tid], ws->total[tid])) {
#pragma omp atomic write
      on_grid = 0;
    }
  }
  add_thread_totals(t, ws);
  for (size_t b = 0; b < nblocks; b++) strata_xacc_add(&t->inertia, ws->inertia[b]);
  free(off);
  if (!on_grid) t->off_grid = 1;
  return STRATA_OK;
}
