/* The tree of strata_explain grown from histograms: the bins of each
 * feature, the split search on a node's (feature, bin, segment) counts, the
 * thresholds in original units, and the rules read off the leaves.  No I/O
 * and no threads here: core/explain.c streams the data and fills the
 * counts; everything below is a function of those integer counts, so the
 * tree is the same for any thread count and chunk size. */
#ifndef STRATA_EXPLAIN_TREE_H
#define STRATA_EXPLAIN_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#define STRATA_EXPLAIN_MAX_BINS 256
#define STRATA_EXPLAIN_MAX_DEPTH 4
/* A full tree of the largest depth. */
#define STRATA_EXPLAIN_MAX_NODES ((1 << (STRATA_EXPLAIN_MAX_DEPTH + 1)) - 1)

/* The bins of every feature.  Feature j has nbins[j] bins: bin b holds the
 * values x with cuts[j][b-1] < x <= cuts[j][b] (the last bin is open above).
 * Bins are numbered globally: feature j's first is off[j]; off[d] bins in
 * all.  bmin/bmax: the smallest and largest value seen in each global bin
 * over every explained row (+inf/-inf when the bin is empty). */
typedef struct {
  size_t d, k;
  size_t *nbins;  /* d */
  size_t *off;    /* d + 1 */
  float *cuts;    /* d × (MAX_BINS - 1): feature j's nbins[j] - 1 cuts, then +inf */
  float *bmin, *bmax;
} strata_explain_bins;

/* Cuts from a sorted list of the feature's values as a sketch holds them
 * (`vals`, ascending, with duplicates) and its quantiles: every distinct
 * value but the largest when there are at most STRATA_EXPLAIN_MAX_BINS,
 * else the values at quantiles i/256 (`quantile(i)`, i = 1..255), without
 * repeats or the largest value.  Writes at most MAX_BINS - 1 cuts into
 * out; returns their count. */
size_t strata_explain_cuts(const float *vals, size_t n, const double *quantiles, float *out);

/* The bin of value x of feature j: the number of cuts below x (the first
 * cut >= x), with a fixed 8 halvings over the 255 padded cuts: no branch
 * to mispredict, so the searches of successive values overlap.  The
 * counting passes do this for every row and feature. */
static inline size_t strata_explain_bin(const strata_explain_bins *b, size_t j, float x) {
  const float *c = b->cuts + j * (STRATA_EXPLAIN_MAX_BINS - 1);
  size_t i = 0;
  for (size_t half = STRATA_EXPLAIN_MAX_BINS / 2; half > 0; half >>= 1) i += c[i + half - 1] < x ? half : 0;
  return i;
}

/* A node while the tree grows. */
typedef struct {
  int depth;
  int feature;      /* -1: a leaf (or not split yet) */
  double threshold; /* x <= threshold goes left */
  int left, right;  /* -1 for a leaf */
  int slot;         /* its histogram at the level being counted, -1 when not split further */
  int segment;      /* most frequent segment, the lower on a tie */
  uint64_t rows;
} strata_explain_grow_node;

typedef struct {
  size_t k;
  int nnodes;
  strata_explain_grow_node node[STRATA_EXPLAIN_MAX_NODES];
  uint64_t *counts; /* (MAX_NODES + 2) × k: rows per segment of each node, then scratch */
} strata_explain_grow;

/* Sets each node's segment and rows from its counts. */
void strata_explain_node_summary(strata_explain_grow *g, int node);

/* Splits every node that has a histogram slot at this level: hist holds,
 * per slot, off[d] × k counts (global bin, segment).  The split kept is
 * the one of the largest Gini gain (sum of L_c^2/L + R_c^2/R; scikit-learn's
 * criterion) with rows on both sides; ties go to the lower feature, then
 * the lower bin.  Children are added with their counts; a child is given a
 * slot for the next level when it is impure, holds two rows or more and
 * depth + 1 < max_depth (slots numbered in node order).  Returns the number
 * of slots of the next level. */
int strata_explain_split_level(strata_explain_grow *g, const strata_explain_bins *b, const uint64_t *hist,
                               int max_depth);

/* The roundest number t with a <= t < b (fewest significant decimal
 * digits; a < b): the threshold between the largest value on the left and
 * the smallest on the right, so that it separates the same rows. */
double strata_explain_round_between(double a, double b);

/* Turns a node whose two children are leaves of the same segment into a
 * leaf, bottom-up (the tree predicts the same segments). */
void strata_explain_prune(strata_explain_grow *g);

#endif
