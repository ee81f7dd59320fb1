/* The assignment pass on a device (kernels.h run_* slots): the run keeps
 * or streams the rows, assigns and reduces every block; the host gets the
 * labels back block after block for the relocation count, the statistics
 * and the labels file, and the exact totals at the end of the pass. */
#include <stdlib.h>

#include "error.h"
#include "lloyd_internal.h"

/* The pass's `chunk` callback: one chunk's blocks through the run. */
static strata_status assign_chunk_device(void *ctx, const strata_block *blocks, size_t nblocks) {
  strata_lloyd *l = ctx;
  for (size_t b = 0; b < nblocks; b++)
    l->dev.blocks[b] = (strata_run_block){blocks[b].x, blocks[b].m, blocks[b].row0};
  FORWARD_IF_ERROR(l->kern->run.run_chunk(l->dev.run, l->dev.blocks, nblocks, l->dev.labels,
                                      l->writer || strata_lloyd_stats_on(l) ? l->dev.dist2 : NULL));
  size_t off = 0;
  for (size_t b = 0; b < nblocks; b++) {
    l->t[0].relocations += strata_lloyd_record_labels(l, &blocks[b], l->dev.labels + off, l->dev.dist2 + off);
    strata_lloyd_block_stats(l, &blocks[b], l->dev.labels + off, l->dev.dist2 + off, 0);
    l->t[0].rows += blocks[b].m;
    off += blocks[b].m;
  }
  return STRATA_OK;
}

strata_status strata_lloyd_device_pass(strata_lloyd *l) {
  const strata_kernels *kr = l->kern;
  if (!l->dev.run) {
    size_t nb = l->chunk_rows / STRATA_BLOCK_ROWS + 1;
    l->dev.blocks = malloc(nb * sizeof *l->dev.blocks);
    l->dev.labels = malloc(l->chunk_rows * sizeof *l->dev.labels);
    l->dev.dist2 = malloc(l->chunk_rows * sizeof *l->dev.dist2);
    l->dev.sums = malloc(l->k * l->d * sizeof *l->dev.sums);
    RETURN_IF(!l->dev.blocks || !l->dev.labels || !l->dev.dist2 || !l->dev.sums, STRATA_ERR_NOMEM,
              "out of memory for k = %zu, d = %zu", l->k, l->d);
    strata_run_config cfg = {strata_pass_ctx(l->pass), l->n, l->d, l->k, l->threads, l->dev.fallback, l->fx_scale,
                             l->fx_row_limit};
    FORWARD_IF_ERROR(kr->run.run_open(&kr->ctx, &cfg, &l->dev.run));
    /* Raw rows to a run that scales them, unless column statistics read
     * the scaled rows here on the host. */
    strata_run_scaler rs;
    l->dev.raw = !l->col_stats && kr->run.run_set_scaler && strata_pass_run_scaler(l->pass, &rs) &&
                 kr->run.run_set_scaler(l->dev.run, &rs);
  }
  RETURN_IF(l->dev.raw && l->col_stats, STRATA_ERR_INTERNAL,
            "column statistics asked for after the device took the scaler");
  FORWARD_IF_ERROR(kr->run.run_set_centroids(l->dev.run, l->cf, l->cnorm));
  FORWARD_IF_ERROR(kr->run.run_begin_pass(l->dev.run));
  strata_pass_fns fns = {.chunk = assign_chunk_device,
                         .chunk_done = l->writer ? strata_lloyd_chunk_done : NULL, .ctx = l};
  strata_pass_raw_chunks(l->pass, l->dev.raw);
  FORWARD_IF_ERROR(strata_pass_run(l->pass, &fns));
  strata_lloyd_result *r = &l->res;
  FORWARD_IF_ERROR(kr->run.run_end_pass(l->dev.run, l->fx_scale ? l->dev.sums : NULL, r->counts, &r->inertia));
  for (size_t c = 0; c < l->k; c++) {
    for (size_t j = 0; j < l->d; j++) {
      strata_fixed s = strata_fixed_from128(&l->dev.sums[c * l->d + j]);
      r->sums[c * l->d + j] = l->fx_scale ? strata_from_fixed(s, l->fx_inv[j]) : 0.0;
    }
  }
  r->relocations = l->t[0].relocations;
  r->rows = l->t[0].rows;
  return strata_lloyd_collect_stats(l);
}

void strata_lloyd_device_free(strata_lloyd *l) {
  if (l->dev.run) l->kern->run.run_close(l->dev.run);
  free(l->dev.blocks);
  free(l->dev.labels);
  free(l->dev.dist2);
  free(l->dev.sums);
}
