/* One assignment pass over the data against fixed centroids, shared by fit
 * (Lloyd iterations, the final pass) and assign: labels, distances, and —
 * when reducing — per-cluster sums and counts merged in block order. */
#ifndef STRATA_LLOYD_H
#define STRATA_LLOYD_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "labels_writer.h"
#include "pass.h"

typedef struct {
  float dist2;
  uint64_t row;
  int32_t label; /* the cluster the row is assigned to */
  float *x;      /* d scaled values */
} strata_far_point;

typedef struct strata_lloyd strata_lloyd;

/* kern IN, pass IN (borrowed), k, d: shape; n: input rows (for the label
 * array, which is kept only when track_labels is set). */
strata_status strata_lloyd_create(const strata_kernels *kern, strata_pass *pass, size_t k,
                                  size_t d, size_t n, int track_labels, strata_lloyd **out);
void strata_lloyd_free(strata_lloyd *l);

/* Asks for per-cluster sums (fit; assign needs only counts).  bound[j] is the
 * largest |value| of column j in scaled units and rows the most rows a pass
 * sees: together they fix the exact accumulator's scale (core/exact.h). */
strata_status strata_lloyd_want_sums(strata_lloyd *l, const double *bound, uint64_t rows);

/* The CPU table a device run continues on if the device fails mid-run (the
 * scheduler's choice.fallback under auto); NULL (the default) makes a device
 * failure an error.  Call before the first pass. */
void strata_lloyd_set_fallback(strata_lloyd *l, const strata_kernels *fallback);

/* Sets the centroids (k×d float64, scaled units) used by the next pass. */
void strata_lloyd_set_centroids(strata_lloyd *l, const double *centers);

typedef struct {
  double *sums;          /* k×d (zero unless strata_lloyd_want_sums was called) */
  int64_t *counts;       /* k rows per cluster */
  double inertia;        /* exact float64 */
  int64_t relocations;   /* rows whose label changed (track_labels only) */
  uint64_t rows;         /* rows assigned */
} strata_lloyd_result;

/* One pass: labels, per-cluster sums and counts, exact inertia.
 * writer: if not NULL, labels and distances are written to it chunk by
 * chunk.  The result points into l and stays valid until the next pass. */
strata_status strata_lloyd_pass(strata_lloyd *l, strata_labels_writer *writer,
                                const strata_lloyd_result **res);

/* The `want` rows farthest from their centroid (squared distance
 * descending, lower row first on ties), against the current centroids.
 * far OUT: want entries whose x point into l; valid until the next call. */
strata_status strata_lloyd_farthest(strata_lloyd *l, size_t want, const strata_far_point **far);

#endif
