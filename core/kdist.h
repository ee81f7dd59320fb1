/* DBSCAN's eps from the data (--eps auto): the k-distance curve and its knee.
 *
 * A row's k-distance is the distance to its k-th nearest row, itself
 * included, with k = min_samples: a row is a core point exactly when its
 * k-distance is at most eps (core/dbscan.h's rule).  The curve is the
 * k-distances of a seeded sample of rows (each measured against all rows
 * through the k-d tree), sorted ascending.  Its knee is the point farthest
 * below the chord from the first to the last point, both axes scaled to
 * [0, 1] (the "maximum distance to the chord" rule, as Kneedle for a
 * convex increasing curve): before it the k-distance grows slowly (rows
 * inside clusters), after it fast (the sparse rows, noise).  eps is the
 * k-distance at the knee, so about that share of the sample is core.
 * Deterministic: the sample comes from the seed, every k-distance has its
 * own slot, and the sort is of values. */
#ifndef STRATA_KDIST_H
#define STRATA_KDIST_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "strata.h"

/* Points of the curve kept for the model, the report and --json. */
#define STRATA_KDIST_POINTS 200

typedef struct {
  double eps;          /* the k-distance at the knee */
  size_t knee;         /* its index in the sorted sample */
  size_t sample;       /* rows measured */
  double *curve;       /* npoints values of the sorted curve, evenly spaced, first and last included */
  size_t npoints;
} strata_kdist;

/* x IN (m×d, the kept scaled rows), k = min_samples, sample rows (all when
 * fewer), seed.  out OUT (strata_kdist_free). */
strata_status strata_kdist_knee(const strata_ctx *ctx, const double *x, size_t m, size_t d, size_t k,
                                size_t sample, uint64_t seed, strata_kdist *out);
void strata_kdist_free(strata_kdist *kd);

#endif
