/* Mini-batch steps (minibatch.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "comm.h"
#include "ctx.h"
#include "error.h"
#include "minibatch.h"
#include "rng.h"

strata_status strata_minibatch_init(strata_minibatch *mb, size_t k, size_t d, uint64_t n_rows, size_t batch_rows,
                                    uint64_t seed) {
  memset(mb, 0, sizeof *mb);
  mb->k = k;
  mb->d = d;
  mb->seed = seed;
  mb->nblocks = (n_rows + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
  size_t per = (batch_rows + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
  if (per < 1) per = 1;
  mb->per_batch = per < mb->nblocks ? per : (size_t)mb->nblocks;
  double b = (double)mb->per_batch * STRATA_BLOCK_ROWS;
  mb->alpha = fmin(1.0, 2.0 * b / ((double)n_rows + 1.0));
  mb->blocks = malloc((mb->per_batch ? mb->per_batch : 1) * sizeof *mb->blocks);
  mb->received = calloc(k, sizeof *mb->received);
  RETURN_IF(!mb->blocks || !mb->received, STRATA_ERR_NOMEM, "out of memory for mini-batches");
  return STRATA_OK;
}

void strata_minibatch_free(strata_minibatch *mb) {
  free(mb->blocks);
  free(mb->received);
  memset(mb, 0, sizeof *mb);
}

void strata_minibatch_restart(strata_minibatch *mb, int run) {
  memset(mb->received, 0, mb->k * sizeof *mb->received);
  mb->run = run;
  mb->steps = mb->stale = 0;
  mb->since = 0;
  mb->reassigned = 0;
  mb->ewa = mb->best = INFINITY;
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Floyd's sampling: per_batch distinct blocks of nblocks, each set equally
 * likely, from a stream of (seed, run, step).  Every block: no draw. */
const uint64_t *strata_minibatch_draw(strata_minibatch *mb) {
  uint64_t n = mb->nblocks, m = mb->per_batch;
  if (m == n) {
    for (uint64_t i = 0; i < n; i++) mb->blocks[i] = i;
    return mb->blocks;
  }
  strata_rng rng;
  strata_rng_seed(&rng, mb->seed, 0x6000 + ((uint64_t)mb->run << 32) + (uint64_t)mb->steps);
  /* Membership by a bitmap past a few blocks (the same set: only the test
   * changes), so that a large batch costs O(m), not O(m^2). */
  uint64_t *bits = m > 64 ? calloc((size_t)(n + 63) / 64, sizeof *bits) : NULL;
  size_t got = 0;
  for (uint64_t j = n - m; j < n; j++) {
    uint64_t t = strata_rng_below(&rng, j + 1);
    int seen = 0;
    if (bits) seen = (int)((bits[t / 64] >> (t % 64)) & 1);
    else
      for (size_t i = 0; i < got && !seen; i++) seen = mb->blocks[i] == t;
    uint64_t v = seen ? j : t;
    mb->blocks[got++] = v;
    if (bits) bits[v / 64] |= UINT64_C(1) << (v % 64);
  }
  free(bits);
  qsort(mb->blocks, got, sizeof *mb->blocks, by_value);
  return mb->blocks;
}

/* ---- low-count centres to rows of the batch ---- */

typedef struct {
  const strata_minibatch *mb;
  size_t d;
  uint64_t *kept;         /* per batch block: its complete rows (the count run) */
  const uint64_t *want;   /* positions among the batch's complete rows, increasing */
  size_t nwant;
  const uint64_t *start;  /* per batch block: the position of its first complete row */
  float *vals;            /* nwant×d, zeroed: each rank fills the rows it holds */
} reassign_ctx;

static size_t slot_of(const strata_minibatch *mb, uint64_t block) {
  size_t lo = 0, hi = mb->per_batch;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (mb->blocks[mid] < block) lo = mid + 1; else hi = mid;
  }
  return lo;
}

static strata_status count_block(void *ctx, const strata_block *b, int thread) {
  (void)thread;
  reassign_ctx *r = ctx;
  r->kept[slot_of(r->mb, b->index)] = b->m;
  return STRATA_OK;
}

static strata_status fetch_block(void *ctx, const strata_block *b, int thread) {
  (void)thread;
  reassign_ctx *r = ctx;
  uint64_t first = r->start[slot_of(r->mb, b->index)], end = first + b->m;
  for (size_t w = 0; w < r->nwant; w++)
    if (r->want[w] >= first && r->want[w] < end)
      memcpy(r->vals + w * r->d, b->x + (r->want[w] - first) * r->d, r->d * sizeof *r->vals);
  return STRATA_OK;
}

/* Floyd's sampling of m distinct positions of n, increasing. */
static void draw_positions(strata_rng *rng, uint64_t n, size_t m, uint64_t *out) {
  size_t got = 0;
  for (uint64_t j = n - m; j < n; j++) {
    uint64_t t = strata_rng_below(rng, j + 1);
    int seen = 0;
    for (size_t i = 0; i < got && !seen; i++) seen = out[i] == t;
    out[got++] = seen ? j : t;
  }
  qsort(out, got, sizeof *out, by_value);
}

/* Moves the centres flagged in `to` (count of them) to rows of the batch. */
static strata_status reassign(strata_minibatch *mb, strata_pass *pass, const int *to, size_t count, uint64_t rows,
                              double *centers) {
  size_t d = mb->d, nb = mb->per_batch;
  const strata_comm *comm = strata_ctx_comm(strata_pass_ctx(pass));
  uint64_t *kept = calloc(nb, sizeof *kept), *start = malloc(nb * sizeof *start);
  uint64_t *want = malloc(count * sizeof *want);
  float *vals = calloc(count * d, sizeof *vals);
  __int128 *w = malloc(nb * sizeof *w);
  strata_status st = !kept || !start || !want || !vals || !w ? strata_fail(STRATA_ERR_NOMEM, "out of memory") : STRATA_OK;
  st = strata_comm_agree(comm, st);
  reassign_ctx r = {mb, d, kept, want, count, start, vals};
  strata_pass_fns counting = {.block = count_block, .ctx = &r}, fetching = {.block = fetch_block, .ctx = &r};
  if (st == STRATA_OK) st = strata_comm_agree(comm, strata_pass_run_blocks(pass, &counting, mb->blocks, nb));
  if (st == STRATA_OK) {
    for (size_t b = 0; b < nb; b++) w[b] = kept[b];
    st = strata_comm_sum_i128(comm, w, nb);
  }
  if (st == STRATA_OK) {
    uint64_t at = 0;
    for (size_t b = 0; b < nb; b++) {
      start[b] = at;
      at += (uint64_t)w[b];
    }
    strata_rng rng;
    strata_rng_seed(&rng, mb->seed, 0x7000 + ((uint64_t)mb->run << 32) + (uint64_t)mb->steps);
    draw_positions(&rng, rows, count, want);
    st = strata_comm_agree(comm, strata_pass_run_blocks(pass, &fetching, mb->blocks, nb));
  }
  if (st == STRATA_OK) st = strata_comm_or(comm, vals, count * d * sizeof *vals);
  if (st == STRATA_OK) {
    double fewest = -1.0;
    for (size_t c = 0; c < mb->k; c++)
      if (!to[c] && (fewest < 0.0 || mb->received[c] < fewest)) fewest = mb->received[c];
    size_t i = 0;
    for (size_t c = 0; c < mb->k; c++) {
      if (!to[c]) continue;
      for (size_t j = 0; j < d; j++) centers[c * d + j] = vals[i * d + j];
      mb->received[c] = fewest < 0.0 ? 0.0 : fewest;
      i++;
    }
    mb->reassigned += (int)count;
  }
  free(kept); free(start); free(want); free(vals); free(w);
  return st;
}

/* The centres to move (to[c] = 1), at most half the batch's rows, the
 * fewest received first; returns how many. */
static size_t low_count(const strata_minibatch *mb, uint64_t rows, int *to) {
  double most = 0.0;
  for (size_t c = 0; c < mb->k; c++) most = mb->received[c] > most ? mb->received[c] : most;
  size_t count = 0;
  for (size_t c = 0; c < mb->k; c++) {
    to[c] = mb->received[c] < STRATA_MINIBATCH_RATIO * most;
    count += (size_t)to[c];
  }
  while (count > rows / 2) { /* keep the centre with the most rows among those flagged */
    size_t keep = SIZE_MAX;
    for (size_t c = 0; c < mb->k; c++)
      if (to[c] && (keep == SIZE_MAX || mb->received[c] >= mb->received[keep])) keep = c;
    to[keep] = 0;
    count--;
  }
  return count;
}

strata_status strata_minibatch_update(strata_minibatch *mb, const strata_lloyd_result *res, strata_pass *pass,
                                      double *centers, double *shift, int *converged) {
  size_t d = mb->d;
  /* scikit-learn's _random_reassign, before the step's update. */
  double fewest = -1.0;
  for (size_t c = 0; c < mb->k; c++)
    if (fewest < 0.0 || mb->received[c] < fewest) fewest = mb->received[c];
  mb->since += (uint64_t)mb->per_batch * STRATA_BLOCK_ROWS;
  int check = fewest == 0.0 || (double)mb->since >= 10.0 * fewest;
  if (check) mb->since = 0;
  double moved = 0.0;
  for (size_t c = 0; c < mb->k; c++) {
    double b = res->weight ? res->weight[c] : (double)res->counts[c];
    if (res->counts[c] <= 0 || !(b > 0.0)) continue;
    double w = mb->received[c], total = w + b;
    for (size_t j = 0; j < d; j++) {
      double old = centers[c * d + j], now = (old * w + res->sums[c * d + j]) / total;
      moved += (now - old) * (now - old);
      centers[c * d + j] = now;
    }
    mb->received[c] += b;
  }
  if (check && res->rows > 0) {
    int *to = malloc(mb->k * sizeof *to);
    RETURN_IF(!to, STRATA_ERR_NOMEM, "out of memory");
    size_t count = low_count(mb, res->rows, to);
    strata_status st = count ? reassign(mb, pass, to, count, res->rows, centers) : STRATA_OK;
    free(to);
    FORWARD_IF_ERROR(st);
  }
  *shift = moved;
  mb->steps++;
  /* A batch whose rows were all dropped (missing values) says nothing of
   * the fit: the average and the plateau count stand still. */
  if (res->rows == 0) {
    *converged = mb->stale >= STRATA_MINIBATCH_PLATEAU;
    return STRATA_OK;
  }
  double mean = res->inertia / (double)res->rows;
  mb->ewa = mb->ewa == INFINITY ? mean : mb->ewa * (1.0 - mb->alpha) + mean * mb->alpha;
  if (mb->ewa < mb->best) {
    mb->best = mb->ewa;
    mb->stale = 0;
  } else {
    mb->stale++;
  }
  *converged = mb->stale >= STRATA_MINIBATCH_PLATEAU;
  return STRATA_OK;
}
