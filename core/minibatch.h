/* Mini-batch k-means (Sculley 2010; scikit-learn's MiniBatchKMeans): each
 * step assigns one batch of rows and moves every centre that received rows
 * towards their mean with its own learning rate, 1 / (rows it has received
 * so far): c <- (c W + sum) / (W + b).  Batches are seeded draws of whole
 * blocks (STRATA_BLOCK_ROWS rows), the same whatever the threads, chunk
 * size or ranks; a batch's sums are the exact reducer's (core/reduce.h), so
 * every step is the same bits too.  The run stops when the batch inertia's
 * moving average (weight 2 b / (n + 1), as scikit-learn) has not improved
 * for STRATA_MINIBATCH_PLATEAU steps, or after max_iter steps; a full pass
 * then gives the labels, sizes and inertia.
 *
 * Centres that receive few rows are moved, as scikit-learn's
 * reassignment_ratio does: when some centre has received nothing yet, or
 * 10 times the fewest rows any centre received have been batched since the
 * last time, every centre with fewer than STRATA_MINIBATCH_RATIO of the
 * most any received goes to a row of the batch (distinct rows, drawn
 * uniformly among its complete rows from the step's stream, handed out in
 * centre order) and is counted as having received the fewest rows of the
 * others.  With row weights, "rows received" is their weight throughout
 * (scikit-learn's sample_weight), the rows since the last check a count. */
#ifndef STRATA_MINIBATCH_H
#define STRATA_MINIBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "lloyd.h"
#include "strata.h"

#define STRATA_MINIBATCH_PLATEAU 10
#define STRATA_MINIBATCH_RATIO 0.01

typedef struct {
  size_t k, d;
  uint64_t nblocks;      /* blocks of the input */
  size_t per_batch;      /* blocks per batch */
  uint64_t *blocks;      /* the current batch, increasing */
  double *received;      /* k: rows each centre has received in this run (their weight,
                            with row weights: scikit-learn's weight_sums) */
  double alpha;          /* the moving average's weight */
  double ewa, best;
  int steps, stale;
  uint64_t since;        /* rows batched since the last reassignment */
  int reassigned;        /* centres moved so far in this run */
  uint64_t seed;
  int run;
} strata_minibatch;

/* n_rows: the input's rows; batch_rows: rows per batch (rounded up to whole
 * blocks, at most every block). */
strata_status strata_minibatch_init(strata_minibatch *mb, size_t k, size_t d, uint64_t n_rows, size_t batch_rows,
                                    uint64_t seed);
void strata_minibatch_free(strata_minibatch *mb);
/* A new run (restart `run`): learning rates and the average start over. */
void strata_minibatch_restart(strata_minibatch *mb, int run);
/* The next batch's blocks (per_batch of them, increasing), valid until the
 * next call. */
const uint64_t *strata_minibatch_draw(strata_minibatch *mb);
/* The step from the batch's pass: centers (k×d) INOUT, *shift the squared
 * move, *converged the plateau rule; pass: the pass the batch was read
 * from, for the rows that low-count centres move to (a collective with
 * several ranks: every rank calls it alike). */
strata_status strata_minibatch_update(strata_minibatch *mb, const strata_lloyd_result *res, strata_pass *pass,
                                      double *centers, double *shift, int *converged);

#endif
