/* The pass driver: streams a dataset chunk by chunk (or replays the in-core
 * cache), scales each block of STRATA_BLOCK_ROWS rows and hands blocks to a
 * worker callback in parallel, in no particular order.
 *
 * Blocks are fixed runs of STRATA_BLOCK_ROWS input rows, independent of the
 * I/O chunk size and of the thread count (chunks are whole numbers of
 * blocks).  A block's own result is computed in row order; blocks are then
 * totalled by the order-free reducer (reduce.h: exact accumulators; the
 * quantile sketches' fixed tree over block indices), which is what makes
 * every result bit-identical for any thread count and chunk size, and what
 * lets MPI ranks later combine their partials with one allreduce. */
#ifndef STRATA_PASS_H
#define STRATA_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "ctx.h"
#include "scaler.h"
#include "strata.h"

typedef struct {
  const float *x;        /* m rows × d, scaled (raw when the pass has no scaler) */
  size_t m;              /* rows present after dropping incomplete ones */
  size_t row0;           /* input index of the block's first row */
  size_t nraw;           /* input rows the block spans (m <= nraw) */
  const uint16_t *kept;  /* NULL when m == nraw; else offsets of the present rows */
  size_t index;          /* global block number = row0 / STRATA_BLOCK_ROWS */
  const float *w;        /* m row weights, like x (kept rows only), or NULL: the
                            dataset has none (strata_dataset_set_weights) */
} strata_block;

typedef struct {
  /* Any thread, any order.  `thread` is 0..threads-1, for per-thread state;
   * what a block adds to it must reduce order-free (reduce.h). */
  strata_status (*block)(void *ctx, const strata_block *b, int thread);
  /* After each chunk's blocks are done, on the calling thread. May be NULL. */
  strata_status (*chunk_done)(void *ctx, size_t row0, size_t rows);
  /* For device backends (kernels.h run_* slots); may be NULL.  When set,
   * each chunk's blocks are prepared
   * (scaled) in parallel and then handed over together, in block order, on
   * the calling thread, outside the parallel region; `block` is not called. */
  strata_status (*chunk)(void *ctx, const strata_block *blocks, size_t nblocks);
  void *ctx;
} strata_pass_fns;

typedef struct strata_pass strata_pass;

/* ctx IN (borrowed: threads, cancellation, log), ds IN (borrowed), sc IN
 * (borrowed, NULL = raw values, no missing rule), chunk_rows 0 = recommended
 * (rounded up to whole blocks),
 * cache_limit: bytes the scaled data may take to be kept in memory after the
 * first pass (0 = always stream). */
strata_status strata_pass_open(const strata_ctx *ctx, strata_dataset *ds, const strata_scaler *sc,
                               size_t chunk_rows, uint64_t cache_limit, strata_pass **out);
const strata_ctx *strata_pass_ctx(const strata_pass *p);
strata_status strata_pass_run(strata_pass *p, const strata_pass_fns *fns);
/* A run over the listed blocks only (global block numbers, increasing;
 * those outside this rank's rows are skipped): mini-batches.  Block
 * callbacks only.  Streamed data reads just those blocks' rows; data that
 * will be held in memory is read whole first. */
strata_status strata_pass_run_blocks(strata_pass *p, const strata_pass_fns *fns, const uint64_t *blocks, size_t n);
int strata_pass_threads(const strata_pass *p);
size_t strata_pass_chunk_rows(const strata_pass *p);
/* With a communicator of several ranks (the ctx's), a pass covers only this
 * rank's contiguous run of whole blocks: rows [first_row, first_row +
 * rows) of the input.  Blocks and chunk_done keep input row numbers.  One
 * process: 0 and every row. */
size_t strata_pass_first_row(const strata_pass *p);
size_t strata_pass_rows(const strata_pass *p);
/* 1 when the dataset has row weights: every block carries them (b->w),
 * each checked finite and >= 0 as it is read. */
int strata_pass_weighted(const strata_pass *p);
/* 1 once the data is held in memory (after a complete first pass). */
int strata_pass_in_core(const strata_pass *p);
/* 1 if the data will be held in memory after the first pass. */
int strata_pass_caching(const strata_pass *p);
void strata_pass_free(strata_pass *p);

/* The pass's scaler for a device run that scales the raw rows itself
 * (kernels.h run_set_scaler): 1 and *out filled when the rows are streamed
 * (not kept in memory: a cache must hold scaled rows for the CPU passes) and
 * the missing rule keeps every row (dropping compacts rows on the host); else
 * 0.  *out borrows the scaler: valid while the pass is. */
struct strata_run_scaler;
int strata_pass_run_scaler(const strata_pass *p, struct strata_run_scaler *out);
/* on = 1: the following runs hand `chunk` callbacks the RAW rows of each
 * chunk (unscaled, every row kept), for a device run that took the scaler;
 * only where strata_pass_run_scaler() offered it.  on = 0: scaled (default).
 * Set it before every run that has a `chunk` callback: it is the run's
 * choice, not the pass's. */
void strata_pass_raw_chunks(strata_pass *p, int on);

/* Threads to use for a request of `threads` (0 = OpenMP's default). */
int strata_threads_resolve(int threads);
/* Half the memory available now (MemAvailable), a default for mem_limit. */
uint64_t strata_default_mem_limit(void);

#endif
