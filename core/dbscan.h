/* DBSCAN (Ester et al. 1996) on m points in memory, exact: a point is core
 * when at least min_samples points (itself included) lie within eps
 * (|p - q|² <= eps², float64); clusters are the connected components of
 * core points linked within eps, numbered in the order of their first core
 * point by index (scikit-learn's order); a non-core point within eps of a
 * core point is a border point and joins the lowest-numbered cluster that
 * reaches it (scikit-learn's expansion gives the same); the rest is noise
 * (-1).  Neighbour counts run on ctx's threads through a k-d tree
 * (core/kdtree.h); the result does not depend on their number. */
#ifndef STRATA_DBSCAN_H
#define STRATA_DBSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "strata.h"

/* x IN (m×d), w IN (m row weights, or NULL: each row counts 1; with
 * weights a point is core when the weights within eps, its own included,
 * sum to at least min_samples: scikit-learn's sample_weight), labels OUT
 * (m), core OUT (m: 1 for a core point), nclusters OUT. */
strata_status strata_dbscan(const strata_ctx *ctx, const double *x, const double *w, size_t m, size_t d, double eps,
                            size_t min_samples, int32_t *labels, uint8_t *core, size_t *nclusters);

#endif
