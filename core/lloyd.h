/* One assignment pass over the data against fixed centroids, shared by fit
 * (Lloyd iterations, the final pass) and assign: labels, distances, and —
 * when reducing — per-cluster sums and counts, reduced order-free (exact
 * accumulators, core/exact.h and core/reduce.h). */
#ifndef STRATA_LLOYD_H
#define STRATA_LLOYD_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "labels_writer.h"
#include "pass.h"
#include "stats.h"

typedef struct {
  float dist2;
  uint64_t row;
  int32_t label; /* the cluster the row is assigned to */
  float *x;      /* d scaled values */
  float w;       /* the row's weight (1 without weights) */
} strata_far_point;

typedef struct strata_lloyd strata_lloyd;

/* kern IN, pass IN (borrowed), k, d: shape; n: input rows (for the label
 * array, which is kept only when track_labels is set). */
strata_status strata_lloyd_create(const strata_kernels *kern, strata_pass *pass, size_t k,
                                  size_t d, size_t n, int track_labels, strata_lloyd **out);
void strata_lloyd_free(strata_lloyd *l);

/* Asks for per-cluster sums (fit; assign needs only counts).  bound[j] is the
 * largest |value| of column j in scaled units and rows the most rows a pass
 * sees: together they fix the exact accumulator's scale (common/exact.h). */
strata_status strata_lloyd_want_sums(strata_lloyd *l, const double *bound, uint64_t rows);
/* On a pass with row weights (strata_pass_weighted), before want_sums:
 * every row's values count w times in the sums, the inertia and the
 * clusters' weights (res->weight); wmax, the largest weight, sizes the
 * exact accumulators.  The device runs take no weights: a CPU table only. */
strata_status strata_lloyd_want_weights(strata_lloyd *l, double wmax);

/* The CPU table a device run continues on if the device fails mid-run (the
 * scheduler's choice.fallback under auto); NULL (the default) makes a device
 * failure an error.  Call before the first pass. */
void strata_lloyd_set_fallback(strata_lloyd *l, const strata_kernels *fallback);

/* Asks every later pass for the per-cluster sums of the rows' Euclidean
 * distances to their centroid (dist_sum) and, with col_stats, the column
 * statistics of the rows assigned (cols, scaled units).  Each block's are
 * added to its thread's order-free partials (reduce.h; O(k+d) per thread),
 * so they are the same for any thread count, chunk size or order.
 * For drift reference statistics.  Not with strata_lloyd_pass_multi. */
strata_status strata_lloyd_want_stats(strata_lloyd *l, int col_stats);
/* Skips those statistics in the passes that follow (paused = 1) until
 * resumed (0): they cost a square root and a scatter per row, and a fit
 * needs them only in its final assignment.  dist_sum and cols keep the
 * values of the last pass that computed them. */
void strata_lloyd_pause_stats(strata_lloyd *l, int paused);

/* The passes that follow read only these blocks (global block numbers,
 * increasing; borrowed until unset), or every block (NULL): mini-batches.
 * A batch pass writes no labels and needs a CPU table and no label
 * tracking (strata_lloyd_create's track_labels = 0). */
void strata_lloyd_set_batch(strata_lloyd *l, const uint64_t *blocks, size_t n);

/* Sets the centroids (k×d float64, scaled units) used by the next pass. */
void strata_lloyd_set_centroids(strata_lloyd *l, const double *centers);

typedef struct {
  double *sums;          /* k×d (zero unless strata_lloyd_want_sums was called) */
  int64_t *counts;       /* k rows per cluster */
  double *weight;        /* k summed row weights per cluster (strata_lloyd_want_weights), else NULL */
  double inertia;        /* exact float64 */
  int64_t relocations;   /* rows whose label changed (track_labels only) */
  uint64_t rows;         /* rows assigned */
  double *dist_sum;      /* k, NULL unless strata_lloyd_want_stats was called */
  strata_colacc *cols;   /* d, NULL unless strata_lloyd_want_stats asked for them */
  double *disp_sq;       /* k, after a pass asked for by strata_lloyd_want_dispersion, else NULL */
  double *disp_dist;     /* k, likewise */
} strata_lloyd_result;

/* One pass: labels, per-cluster sums and counts, exact inertia.
 * writer: if not NULL, labels and distances are written to it chunk by
 * chunk.  The result points into l and stays valid until the next pass. */
strata_status strata_lloyd_pass(strata_lloyd *l, strata_labels_writer *writer,
                                const strata_lloyd_result **res);

/* The result of the latest pass (the one strata_lloyd_pass returned). */
const strata_lloyd_result *strata_lloyd_last_result(const strata_lloyd *l);

/* The `want` rows farthest from their centroid (squared distance
 * descending, lower row first on ties), against the current centroids.
 * far OUT: want entries whose x point into l; valid until the next call. */
strata_status strata_lloyd_farthest(strata_lloyd *l, size_t want, const strata_far_point **far);

size_t strata_lloyd_k(const strata_lloyd *l);
const strata_ctx *strata_lloyd_ctx(const strata_lloyd *l); /* its pass's */
size_t strata_lloyd_d(const strata_lloyd *l);
/* 1 when created with track_labels (relocations are counted). */
int strata_lloyd_tracks_labels(const strata_lloyd *l);

/* ---- several models over the same data (strata_sweep) ----
 * One pass of the data serves n lloyd objects (different k, each with its
 * own centroids): every block is read and scaled once, then assigned by
 * each object in turn.  The objects must share one strata_pass and run on
 * CPU tables (no run_open).  res OUT: n results, as strata_lloyd_pass's.
 * Each result is bit-identical to what strata_lloyd_pass would give. */
strata_status strata_lloyd_pass_multi(strata_lloyd *const *ls, size_t n, const strata_lloyd_result **res);

/* For the next pass only: per-cluster dispersion of the rows (labelled
 * against the current centroids) about `means` (k×d float64, scaled units,
 * borrowed until that pass returns): disp_sq[c] = sum of ||x - means_c||^2,
 * disp_dist[c] = sum of ||x - means_c|| (each term times the row's weight
 * on a weighted pass), both in float64 per row and added
 * exactly (order-independent).  bound_sq bounds ||x - means_c||^2 for any
 * row and cluster (sizes the fixed-point scale). */
strata_status strata_lloyd_want_dispersion(strata_lloyd *l, const double *means, double bound_sq);

/* ---- the update between passes (core/lloyd_update.c) ---- */

typedef struct {
  double shift;   /* squared centroid shift (sum over k and d) */
  int relocated;  /* an empty cluster was re-seeded from the farthest points */
  int converged;  /* no label changed (tracked labels only) or shift <= tol_abs */
  int strict;     /* converged because no label changed */
} strata_lloyd_step;

/* After a pass against `centers` (k×d): re-seeds empty clusters in res
 * (scikit-learn's rule, one farthest-point pass of l), writes the new
 * centroids (cluster means, weighted with row weights; an empty cluster —
 * no rows, or no weight — keeps its centroid) to next,
 * and applies the convergence rules.  res INOUT, next OUT, out OUT. */
strata_status strata_lloyd_update(strata_lloyd *l, strata_lloyd_result *res, const double *centers,
                                  double *next, double tol_abs, strata_lloyd_step *out);

#endif
