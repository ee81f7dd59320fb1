/* Mini-batch steps (minibatch.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
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
  mb->ewa = mb->best = INFINITY;
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Floyd's sampling: per_batch distinct blocks of nblocks, each set equally
 * likely, from a stream of (seed, run, step). */
const uint64_t *strata_minibatch_draw(strata_minibatch *mb) {
  strata_rng rng;
  strata_rng_seed(&rng, mb->seed, 0x6000 + ((uint64_t)mb->run << 32) + (uint64_t)mb->steps);
  size_t got = 0;
  uint64_t n = mb->nblocks, m = mb->per_batch;
  for (uint64_t j = n - m; j < n; j++) {
    uint64_t t = strata_rng_below(&rng, j + 1);
    int seen = 0;
    for (size_t i = 0; i < got && !seen; i++) seen = mb->blocks[i] == t;
    mb->blocks[got++] = seen ? j : t;
  }
  qsort(mb->blocks, got, sizeof *mb->blocks, by_value);
  return mb->blocks;
}

void strata_minibatch_update(strata_minibatch *mb, const strata_lloyd_result *res, double *centers, double *shift,
                             int *converged) {
  size_t d = mb->d;
  double moved = 0.0;
  for (size_t c = 0; c < mb->k; c++) {
    int64_t b = res->counts[c];
    if (b <= 0) continue;
    double w = (double)mb->received[c], total = w + (double)b;
    for (size_t j = 0; j < d; j++) {
      double old = centers[c * d + j], now = (old * w + res->sums[c * d + j]) / total;
      moved += (now - old) * (now - old);
      centers[c * d + j] = now;
    }
    mb->received[c] += b;
  }
  *shift = moved;
  double mean = res->rows ? res->inertia / (double)res->rows : 0.0;
  mb->ewa = mb->steps == 0 ? mean : mb->ewa * (1.0 - mb->alpha) + mean * mb->alpha;
  mb->steps++;
  if (mb->ewa < mb->best) {
    mb->best = mb->ewa;
    mb->stale = 0;
  } else {
    mb->stale++;
  }
  *converged = mb->stale >= STRATA_MINIBATCH_PLATEAU;
}
