/* A mergeable, deterministic quantile sketch (a stack of compactors, as in
 * Manku–Rajagopalan–Lindsay / KLL without the randomness): level h holds
 * sorted values of weight 2^h; a full level keeps every other value (the
 * offset alternates per level) and passes them up.  Two sketches merge level
 * by level, then compact.  The merge depends on its order, so blocks are
 * merged along a fixed binary tree over their global indices (strata_qtree):
 * node (L, i) is always merge(node (L-1, 2i), node (L-1, 2i+1)), whichever
 * worker finished which block when, and what remains at the end (the
 * complete subtrees of the first N blocks) is folded in block order.  Each
 * compaction at level h still takes at least K values of weight 2^h, so
 * rank error is at most
 * sum_h compactions(h) * 2^h; with STRATA_QSKETCH_K = 4096 it stays below
 * about 0.1% of n for n up to 1e9 on smooth data (tests/test_quantile.c). */
#ifndef STRATA_QUANTILE_H
#define STRATA_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#define STRATA_QSKETCH_K 4096
#define STRATA_QSKETCH_LEVELS 48

typedef struct {
  float *level[STRATA_QSKETCH_LEVELS]; /* sorted, allocated on demand */
  size_t count[STRATA_QSKETCH_LEVELS];
  size_t cap[STRATA_QSKETCH_LEVELS];
  unsigned parity;                      /* bit h: offset of the next compaction at level h */
  uint64_t n;                           /* values added */
} strata_qsketch;

void strata_qsketch_init(strata_qsketch *s);
void strata_qsketch_free(strata_qsketch *s);
/* Adds `count` values that are already sorted ascending (weight 1 each).
 * The caller sorts a block in parallel; this merge is linear. */
strata_status strata_qsketch_add_sorted(strata_qsketch *s, const float *v, size_t count);
/* into = merge(into, from), into holding the lower blocks; frees from. */
strata_status strata_qsketch_merge(strata_qsketch *into, strata_qsketch *from);
/* The value at quantile q in [0, 1] (q = 0.5: the median); NaN when empty. */
double strata_qsketch_quantile(const strata_qsketch *s, double q);
/* The values at nq quantiles q[i] at once (one sort): out[i] as
 * strata_qsketch_quantile(s, q[i]).  STRATA_ERR_NOMEM without a detail. */
strata_status strata_qsketch_quantiles(const strata_qsketch *s, const double *q, size_t nq, double *out);

/* The same with numpy's linear interpolation between neighbouring ranks
 * (np.percentile's default): exact while nothing was compacted (up to
 * STRATA_QSKETCH_K values), else within the sketch's rank error. */
double strata_qsketch_quantile_linear(const strata_qsketch *s, double q);

/* Sorts finite values of column j of a rows×d block into out; returns count. */
size_t strata_sort_finite_column(const float *x, size_t rows, size_t d, size_t j, float *out);

/* The fixed tree over global block indices that merges `ncols` sketches
 * per block in an order that does not depend on workers or timing. */
typedef struct strata_qnode strata_qnode;
typedef struct {
  size_t ncols;
  strata_qnode *pending; /* nodes waiting for their sibling */
  void *lock;
} strata_qtree;

strata_status strata_qtree_init(strata_qtree *t, size_t ncols);
/* Takes `leaf` (ncols sketches of block `index`, malloc'd; freed here or
 * later).  Any thread, any order; merges with complete siblings. */
strata_status strata_qtree_add(strata_qtree *t, size_t index, strata_qsketch *leaf);
/* into += from (the same ncols): from's waiting nodes move into `into`
 * and merge with their siblings there, as if `into` had taken from's
 * blocks itself; from is left empty.  Partials of disjoint sets of blocks
 * (threads, later MPI ranks) meet this way in any order. */
strata_status strata_qtree_combine(strata_qtree *into, strata_qtree *from);
/* After every block: the canonical fold of what is left into out (ncols
 * sketches, initialised; empty when there was no block). */
strata_status strata_qtree_finish(strata_qtree *t, strata_qsketch *out);
void strata_qtree_free(strata_qtree *t);
/* The waiting nodes of t as bytes (malloc'd; t unchanged), and those bytes
 * inserted into another tree of the same ncols as strata_qtree_combine
 * would: how MPI ranks' partials meet (strata_qtree_gather). */
strata_status strata_qtree_pack(const strata_qtree *t, void **bytes, size_t *size);
strata_status strata_qtree_unpack(strata_qtree *t, const void *bytes, size_t size);
/* Several MPI ranks, each with its own blocks in t: every rank's waiting
 * nodes inserted into rank 0's t (core/quantile_comm.c); then
 * strata_qtree_finish on rank 0 gives one process's sketches.  The same
 * status on every rank; a no-op for one rank. */
strata_status strata_qtree_gather(strata_qtree *t, const strata_comm *comm);
/* ncols empty sketches, malloc'd (a leaf for strata_qtree_add). */
strata_qsketch *strata_qsketch_array_new(size_t ncols);
void strata_qsketch_array_free(strata_qsketch *s, size_t ncols);

#endif
