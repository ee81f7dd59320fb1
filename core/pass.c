/* The pass driver (see pass.h). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "ctx.h"
#include "cursor.h"
#include "dataset.h"
#include "error.h"
#include "kernels.h"
#include "meminfo.h"
#include "pass.h"

/* Raw chunks near this size balance HDF5 call overhead against cache use. */
#define PASS_TARGET_CHUNK_BYTES (8u << 20)

struct strata_pass {
  const strata_ctx *ctx;
  strata_dataset *ds;
  strata_dataset *view;  /* this rank's rows of ds (several ranks), owned */
  const strata_scaler *sc;
  size_t n, d, chunk_rows, nblocks;  /* n, nblocks: this rank's */
  size_t base;           /* input index of this rank's first row */
  int threads;
  strata_cursor *cur;
  int started;
  int raw_chunks;  /* `chunk` callbacks take raw rows (strata_pass_raw_chunks) */
  /* streaming buffers for one chunk, one slot of STRATA_BLOCK_ROWS rows per block */
  float *scaled;
  uint16_t *kept;
  /* in-core cache: the same slots for the whole dataset */
  int caching, cached;
  float *cache;
  uint16_t *cache_kept;
  uint32_t *cache_m;
  /* the first failure of a run, in block order */
  strata_status failed;
  size_t failed_block;
  char failed_msg[1024];
  char (*thread_msg)[1024];
  strata_block *blocks;  /* one chunk's blocks, for a `chunk` callback */
  float *raw;            /* strata_pass_run_blocks streamed: chunk_rows × d raw rows */
  /* row weights (NULL when the dataset has none): the chunk's as read, the
   * kept rows' per block slot (streaming), or the cache's */
  strata_dataset *wds;
  float *wraw, *wkept, *wcache;
};

int strata_threads_resolve(int threads) {
  return threads > 0 ? threads : omp_get_max_threads();
}

uint64_t strata_default_mem_limit(void) { return strata_mem_available() / 2; }

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

strata_status strata_pass_open(const strata_ctx *ctx, strata_dataset *ds, const strata_scaler *sc,
                               size_t chunk_rows, uint64_t cache_limit, strata_pass **out) {
  *out = NULL;
  strata_pass *p = calloc(1, sizeof *p);
  RETURN_IF(!p, STRATA_ERR_NOMEM, "out of memory");
  p->ctx = ctx;
  p->ds = ds;
  p->sc = sc;
  p->n = strata_dataset_rows(ds);
  p->d = strata_dataset_cols(ds);
  /* Several ranks: each reads its own contiguous run of whole blocks, so
   * that every block (and so every partial) is the one a single process
   * would form; blocks keep their input row and index. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  if (strata_comm_size(comm) > 1) {
    size_t P = (size_t)strata_comm_size(comm), r = (size_t)strata_comm_rank(comm);
    size_t nb = (p->n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
    size_t first = nb * r / P * STRATA_BLOCK_ROWS, end = nb * (r + 1) / P * STRATA_BLOCK_ROWS;
    if (end > p->n) end = p->n;
    if (first > end) first = end;
    strata_status st = strata_dataset_view_rows(ds, first, end, &p->view);
    if (st != STRATA_OK) {
      free(p);
      return st;
    }
    p->ds = ds = p->view;
    p->base = first;
    p->n = end - first;
  }
  p->wds = strata_dataset_weights(ds);
  p->threads = strata_threads_resolve(strata_ctx_threads(ctx));
  p->chunk_rows = chunk_rows
                      ? round_up(chunk_rows, STRATA_BLOCK_ROWS)
                      : strata_dataset_recommend_chunk(ds, STRATA_BLOCK_ROWS, PASS_TARGET_CHUNK_BYTES);
  if (p->chunk_rows == 0) p->chunk_rows = STRATA_BLOCK_ROWS;
  p->nblocks = (p->n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
  size_t d = p->d ? p->d : 1;
  uint64_t bytes = (uint64_t)p->nblocks * STRATA_BLOCK_ROWS * d * sizeof(float);
  p->caching = sc != NULL && cache_limit > 0 && bytes <= cache_limit && p->n > 0;
  int drop = sc && sc->missing == STRATA_MISSING_DROP;
  if (p->caching) {
    p->cache = malloc(bytes);
    p->cache_m = calloc(p->nblocks, sizeof *p->cache_m);
    if (drop) p->cache_kept = malloc(p->nblocks * STRATA_BLOCK_ROWS * sizeof *p->cache_kept);
    if (!p->cache || !p->cache_m || (drop && !p->cache_kept)) {
      /* Not an error: stream instead. */
      free(p->cache); free(p->cache_m); free(p->cache_kept);
      p->cache = NULL; p->cache_m = NULL; p->cache_kept = NULL;
      p->caching = 0;
    }
  }
  if (!p->caching && sc) {
    p->scaled = malloc(p->chunk_rows * d * sizeof *p->scaled);
    if (drop) p->kept = malloc(p->chunk_rows * sizeof *p->kept);
  }
  p->thread_msg = calloc((size_t)p->threads, sizeof *p->thread_msg);
  p->blocks = calloc(p->chunk_rows / STRATA_BLOCK_ROWS + 1, sizeof *p->blocks);
  int wok = 1;
  if (p->wds) {
    p->wraw = malloc(p->chunk_rows * sizeof *p->wraw);
    p->wkept = malloc(p->chunk_rows * sizeof *p->wkept);
    if (p->caching) p->wcache = malloc(p->nblocks * STRATA_BLOCK_ROWS * sizeof *p->wcache);
    wok = p->wraw && p->wkept && (!p->caching || p->wcache);
  }
  if ((sc && !p->caching && (!p->scaled || (drop && !p->kept))) || !p->thread_msg || !p->blocks || !wok) {
    strata_pass_free(p);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for chunk buffers");
  }
  *out = p;
  return STRATA_OK;
}

void strata_pass_free(strata_pass *p) {
  if (!p) return;
  strata_cursor_close(p->cur);
  strata_dataset_free(p->view);
  free(p->scaled); free(p->kept);
  free(p->cache); free(p->cache_kept); free(p->cache_m);
  free(p->thread_msg);
  free(p->blocks);
  free(p->raw);
  free(p->wraw); free(p->wkept); free(p->wcache);
  free(p);
}

int strata_pass_threads(const strata_pass *p) { return p->threads; }
const strata_ctx *strata_pass_ctx(const strata_pass *p) { return p->ctx; }
size_t strata_pass_chunk_rows(const strata_pass *p) { return p->chunk_rows; }
size_t strata_pass_first_row(const strata_pass *p) { return p->base; }
size_t strata_pass_rows(const strata_pass *p) { return p->n; }
int strata_pass_in_core(const strata_pass *p) { return p->cached; }
int strata_pass_weighted(const strata_pass *p) { return p->wds != NULL; }
int strata_pass_caching(const strata_pass *p) { return p->caching; }

static strata_status host_apply(const void *ctx, const float *raw, size_t rows, size_t row0,
                                float *out) {
  size_t m = 0;
  return strata_scaler_apply(ctx, raw, rows, row0, out, NULL, &m);
}

int strata_pass_run_scaler(const strata_pass *p, strata_run_scaler *out) {
  const strata_scaler *sc = p->sc;
  /* A device scales with shift and factor only: transforms stay on the host. */
  if (!sc || p->caching || sc->missing == STRATA_MISSING_DROP || sc->tf) return 0;
  *out = (strata_run_scaler){sc->shift, sc->inv, sc->missing == STRATA_MISSING_ERROR ? NULL : sc->impute,
                             host_apply, sc};
  return 1;
}

void strata_pass_raw_chunks(strata_pass *p, int on) { p->raw_chunks = on; }

/* Checks a block's raw weights (rows of them, the first at input row row0). */
static strata_status check_weights(const strata_pass *p, const float *w, size_t rows, size_t row0) {
  int bad = 0;
  for (size_t i = 0; i < rows; i++) bad |= !(w[i] >= 0.0f && w[i] <= FLT_MAX);
  if (!bad) return STRATA_OK;
  for (size_t i = 0; i < rows; i++)
    if (!(w[i] >= 0.0f && w[i] <= FLT_MAX))
      return strata_fail(STRATA_ERR_DATA, "weight column '%s' has %s at row %zu; weights must be finite and >= 0",
                         strata_dataset_col_name(p->wds, 0),
                         isnan(w[i]) ? "a missing value (NaN)" : isinf(w[i]) ? "an infinite value" : "a negative value",
                         row0 + i);
  return STRATA_OK;
}

/* The block's weights from the raw ones of its rows (wraw: nraw of them),
 * kept rows only, into dst (when rows were dropped). */
static strata_status block_weights(strata_pass *p, const float *wraw, float *dst, strata_block *blk) {
  blk->w = NULL;
  if (!p->wds) return STRATA_OK;
  FORWARD_IF_ERROR(check_weights(p, wraw, blk->nraw, blk->row0));
  if (!blk->kept) {
    if (dst != wraw) memcpy(dst, wraw, blk->m * sizeof *dst);
    blk->w = dst;
    return STRATA_OK;
  }
  for (size_t i = 0; i < blk->m; i++) dst[i] = wraw[blk->kept[i]];
  blk->w = dst;
  return STRATA_OK;
}

/* Makes block `b` (local index within a chunk that starts at this rank's
 * row row0) ready:
 * from the cache, from the raw chunk (no scaler, or `raw` asked for by a
 * device that scales), or by scaling the raw chunk. */
static strata_status prepare_block(strata_pass *p, const float *raw, size_t row0, size_t rows,
                                   size_t b, int want_raw, strata_block *blk) {
  size_t off = b * STRATA_BLOCK_ROWS;
  size_t local = row0 + off, lb = local / STRATA_BLOCK_ROWS; /* this rank's row and block */
  blk->row0 = p->base + local;
  blk->nraw = rows - off < STRATA_BLOCK_ROWS ? rows - off : STRATA_BLOCK_ROWS;
  blk->index = blk->row0 / STRATA_BLOCK_ROWS;
  blk->kept = NULL;
  blk->w = NULL;
  if (p->cached) {
    blk->x = p->cache + local * p->d;
    blk->m = p->cache_m[lb];
    if (blk->m < blk->nraw) blk->kept = p->cache_kept + local;
    if (p->wds) blk->w = p->wcache + local;
    return STRATA_OK;
  }
  if (!p->sc || want_raw) {
    blk->x = raw + off * p->d;
    blk->m = blk->nraw;
    return p->wds ? block_weights(p, p->wraw + off, p->wraw + off, blk) : STRATA_OK;
  }
  float *dst = p->caching ? p->cache + local * p->d : p->scaled + off * p->d;
  uint16_t *kept = NULL;
  if (p->sc->missing == STRATA_MISSING_DROP)
    kept = p->caching ? p->cache_kept + local : p->kept + off;
  size_t m = 0;
  FORWARD_IF_ERROR(strata_scaler_apply(p->sc, raw + off * p->d, blk->nraw, blk->row0, dst, kept, &m));
  blk->x = dst;
  blk->m = m;
  if (m < blk->nraw) blk->kept = kept;
  if (p->caching) p->cache_m[lb] = (uint32_t)m;
  if (p->wds) FORWARD_IF_ERROR(block_weights(p, p->wraw + off, p->caching ? p->wcache + local : p->wkept + off, blk));
  return STRATA_OK;
}

/* Keeps the failure of the lowest block, so the error a user sees does not
 * depend on thread timing. */
static void record_failure(strata_pass *p, strata_status st, size_t block, int t) {
  if (st == STRATA_OK) return;
  /* Unnamed: a named critical's lock is a global symbol that
   * -fvisibility=hidden does not hide (tests/exports.sh); failures are rare. */
#pragma omp critical
  {
    if (p->failed == STRATA_OK || block < p->failed_block) {
      memcpy(p->failed_msg, p->thread_msg[t], sizeof p->failed_msg);
      p->failed_block = block;
      __atomic_store_n(&p->failed, st, __ATOMIC_RELAXED);
    }
  }
}

static strata_status work_block(strata_pass *p, const strata_pass_fns *fns, const float *raw,
                                size_t row0, size_t rows, size_t b, int t, strata_block *blk) {
  if (__atomic_load_n(&p->failed, __ATOMIC_RELAXED) != STRATA_OK) return STRATA_OK;
  strata_status st = prepare_block(p, raw, row0, rows, b, 0, blk);
  if (st == STRATA_OK) st = fns->block(fns->ctx, blk, t);
  if (st != STRATA_OK) snprintf(p->thread_msg[t], sizeof p->thread_msg[t], "%s", strata_last_error());
  return st;
}

/* One block of a chunk, on the calling thread. */
static void run_block(strata_pass *p, const strata_pass_fns *fns, const float *raw, size_t row0,
                      size_t rows, size_t b) {
  const int t = omp_get_thread_num();
  strata_block blk;
  record_failure(p, work_block(p, fns, raw, row0, rows, b, t, &blk), b, t);
}

/* All blocks of one chunk: independent work items, so threads never wait
 * on each other inside the chunk. */
static void run_chunk(strata_pass *p, const strata_pass_fns *fns, const float *raw, size_t row0,
                      size_t rows) {
  long nb = (long)((rows + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS);
  int T = p->threads;
  if (nb < T) T = (int)nb;
  if (fns->chunk) {
    /* A device takes the whole chunk: scale its blocks in parallel, then one
     * call on this thread. */
#pragma omp parallel for schedule(static) num_threads(T)
    for (long b = 0; b < nb; b++) {
      int t = omp_get_thread_num();
      strata_status st = prepare_block(p, raw, row0, rows, (size_t)b, p->raw_chunks, &p->blocks[b]);
      if (st != STRATA_OK) snprintf(p->thread_msg[t], sizeof p->thread_msg[t], "%s", strata_last_error());
      record_failure(p, st, (size_t)b, t);
    }
    if (p->failed != STRATA_OK) return;
    strata_status st = fns->chunk(fns->ctx, p->blocks, (size_t)nb);
    if (st != STRATA_OK) {
      snprintf(p->failed_msg, sizeof p->failed_msg, "%s", strata_last_error());
      p->failed = st;
    }
    return;
  }
  /* Runs of 8 consecutive blocks per grab where there are plenty, so that
   * a thread reads on where its last block ended and the hardware
   * prefetcher's stream carries over: D (1e7 x 8 in core) went from
   * 13.5-14.5 to 12.9-13.2 ms per iteration (8 alternated runs each; 4 to
   * 32 measured alike).  The run length is a constant: written as a
   * variable it measured no gain in two such A/B sets (why is not known).
   * Below 256 blocks a thread, single blocks: a run left for last would
   * hold the pass up (B, 245 blocks of k = 64, lost about 4% with runs).
   */
  if (nb >= 256L * T) {
#pragma omp parallel for schedule(dynamic, 8) num_threads(T)
    for (long b = 0; b < nb; b++) run_block(p, fns, raw, row0, rows, (size_t)b);
  } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
    for (long b = 0; b < nb; b++) run_block(p, fns, raw, row0, rows, (size_t)b);
  }
}

strata_status strata_pass_run(strata_pass *p, const strata_pass_fns *fns) {
  p->failed = STRATA_OK;
  RETURN_IF(p->raw_chunks && (!p->sc || p->caching || p->sc->missing == STRATA_MISSING_DROP),
            STRATA_ERR_INTERNAL, "raw chunks asked for where the pass must scale");
  if (p->cached) {
    /* In memory, chunks only matter to a chunk_done callback: without one
     * the whole dataset is one work list and threads meet once per pass. */
    size_t step = fns->chunk_done || fns->chunk ? p->chunk_rows : p->n;
    for (size_t row0 = 0; row0 < p->n; row0 += step) {
      FORWARD_IF_ERROR(strata_check_cancel(p->ctx));
      size_t rows = p->n - row0 < step ? p->n - row0 : step;
      run_chunk(p, fns, NULL, row0, rows);
      if (p->failed) return strata_fail(p->failed, "%s", p->failed_msg);
      if (fns->chunk_done) FORWARD_IF_ERROR(fns->chunk_done(fns->ctx, p->base + row0, rows));
    }
    return STRATA_OK;
  }
  if (!p->cur) {
    FORWARD_IF_ERROR(strata_cursor_open(p->ctx, p->ds, p->chunk_rows, 1, &p->cur));
  } else {
    FORWARD_IF_ERROR(strata_cursor_rewind(p->cur));
  }
  for (;;) {
    strata_chunk ch;
    FORWARD_IF_ERROR(strata_check_cancel(p->ctx));
    FORWARD_IF_ERROR(strata_cursor_next(p->cur, &ch));
    if (ch.rows == 0) break;
    if (p->wds) FORWARD_IF_ERROR(strata_dataset_read(p->wds, ch.row0, ch.rows, p->wraw));
    run_chunk(p, fns, ch.data, ch.row0, ch.rows);
    if (p->failed) return strata_fail(p->failed, "%s", p->failed_msg);
    if (fns->chunk_done) FORWARD_IF_ERROR(fns->chunk_done(fns->ctx, p->base + ch.row0, ch.rows));
  }
  if (p->caching) {
    p->cached = 1;
    /* The file is no longer needed for later passes. */
    strata_cursor_close(p->cur);
    p->cur = NULL;
  }
  return STRATA_OK;
}

static strata_status nothing(void *ctx, const strata_block *b, int thread) {
  (void)ctx; (void)b; (void)thread;
  return STRATA_OK;
}

/* Block `lb` (this rank's index) of the cache, or read from the file into
 * slot `slot` of the streaming buffers and scaled there. */
static strata_status listed_block(strata_pass *p, size_t lb, size_t slot, strata_block *blk) {
  size_t local = lb * STRATA_BLOCK_ROWS, rows = p->n - local < STRATA_BLOCK_ROWS ? p->n - local : STRATA_BLOCK_ROWS;
  if (p->cached) return prepare_block(p, NULL, local, rows, 0, 0, blk);
  size_t off = slot * STRATA_BLOCK_ROWS;
  blk->row0 = p->base + local;
  blk->nraw = rows;
  blk->index = blk->row0 / STRATA_BLOCK_ROWS;
  blk->kept = NULL;
  blk->w = NULL;
  const float *raw = p->raw + off * p->d;
  if (!p->sc) {
    blk->x = raw;
    blk->m = rows;
    return p->wds ? block_weights(p, p->wraw + off, p->wraw + off, blk) : STRATA_OK;
  }
  uint16_t *kept = p->sc->missing == STRATA_MISSING_DROP ? p->kept + off : NULL;
  size_t m = 0;
  FORWARD_IF_ERROR(strata_scaler_apply(p->sc, raw, rows, blk->row0, p->scaled + off * p->d, kept, &m));
  blk->x = p->scaled + off * p->d;
  blk->m = m;
  if (m < rows) blk->kept = kept;
  return p->wds ? block_weights(p, p->wraw + off, p->wkept + off, blk) : STRATA_OK;
}

strata_status strata_pass_run_blocks(strata_pass *p, const strata_pass_fns *fns, const uint64_t *blocks, size_t n) {
  RETURN_IF(fns->chunk || fns->chunk_done, STRATA_ERR_INTERNAL, "a run of listed blocks takes block callbacks only");
  p->failed = STRATA_OK;
  /* Data that will be held in memory is read whole once, so that the
   * batches that follow come from memory. */
  if (p->caching && !p->cached) {
    strata_pass_fns fill = {.block = nothing};
    FORWARD_IF_ERROR(strata_pass_run(p, &fill));
  }
  size_t first = p->base / STRATA_BLOCK_ROWS, end = first + p->nblocks;
  size_t slots = p->chunk_rows / STRATA_BLOCK_ROWS;
  if (!p->cached && !p->raw) {
    p->raw = malloc(p->chunk_rows * (p->d ? p->d : 1) * sizeof *p->raw);
    RETURN_IF(!p->raw, STRATA_ERR_NOMEM, "out of memory for chunk buffers");
  }
  size_t i = 0;
  while (i < n && blocks[i] < first) i++;
  while (i < n && blocks[i] < end) {
    FORWARD_IF_ERROR(strata_check_cancel(p->ctx));
    size_t group = 0;
    while (i + group < n && blocks[i + group] < end && (p->cached || group < slots)) group++;
    if (!p->cached)
      for (size_t g = 0; g < group; g++) {
        size_t local = (size_t)(blocks[i + g] - first) * STRATA_BLOCK_ROWS;
        size_t rows = p->n - local < STRATA_BLOCK_ROWS ? p->n - local : STRATA_BLOCK_ROWS;
        FORWARD_IF_ERROR(strata_dataset_read(p->ds, local, rows, p->raw + g * STRATA_BLOCK_ROWS * p->d));
        if (p->wds) FORWARD_IF_ERROR(strata_dataset_read(p->wds, local, rows, p->wraw + g * STRATA_BLOCK_ROWS));
      }
    int T = p->threads < (int)group ? p->threads : (int)group;
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
    for (long g = 0; g < (long)group; g++) {
      int t = omp_get_thread_num();
      strata_block blk;
      strata_status st = STRATA_OK;
      if (__atomic_load_n(&p->failed, __ATOMIC_RELAXED) == STRATA_OK) {
        st = listed_block(p, (size_t)(blocks[i + (size_t)g] - first), (size_t)g, &blk);
        if (st == STRATA_OK) st = fns->block(fns->ctx, &blk, t);
        if (st != STRATA_OK) snprintf(p->thread_msg[t], sizeof p->thread_msg[t], "%s", strata_last_error());
      }
      record_failure(p, st, (size_t)g, t);
    }
    if (p->failed) return strata_fail(p->failed, "%s", p->failed_msg);
    i += group;
  }
  return STRATA_OK;
}
