/* A k-d tree over m points (float64, row-major, borrowed) for radius
 * queries: DBSCAN's neighbour counts and expansion (core/dbscan.c) and its
 * scoring of new rows (nearest core point within eps).  Balanced median
 * splits on the widest coordinate, leaves of up to 16 points, a bounding box
 * per node for pruning.  Every query computes |p - q|² in float64 in
 * coordinate order, so a point is inside (|p - q|² <= eps²) or not the same
 * way whichever query, thread or order asks. */
#ifndef STRATA_KDTREE_H
#define STRATA_KDTREE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct strata_kdtree strata_kdtree;

/* x IN (m×d, borrowed while the tree lives), out OUT.  m may be 0. */
strata_status strata_kdtree_build(const double *x, size_t m, size_t d, strata_kdtree **out);
void strata_kdtree_free(strata_kdtree *t);

/* Points p with |p - q|² <= r2 (q itself included when it is a point). */
size_t strata_kdtree_count(const strata_kdtree *t, const double *q, double r2);

/* Calls visit(user, i) for every such point, in no set order. */
void strata_kdtree_each(const strata_kdtree *t, const double *q, double r2, void (*visit)(void *user, size_t i),
                        void *user);

/* The nearest point with |p - q|² <= r2, the lowest index on a tie; SIZE_MAX
 * when there is none.  d2 OUT (may be NULL): its squared distance. */
size_t strata_kdtree_nearest(const strata_kdtree *t, const double *q, double r2, double *d2);

/* The squared distance from q to its k-th nearest point (q itself counts
 * when it is a point), INFINITY when the tree has fewer than k points.
 * heap: k doubles of scratch.  The value does not depend on ties. */
double strata_kdtree_kth(const strata_kdtree *t, const double *q, size_t k, double *heap);

#endif
