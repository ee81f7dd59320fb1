/* Optimal assignment (the Hungarian method, O(r·c·min(r,c))) on a
 * rectangular cost matrix: used to number a refit's segments after its
 * parent's. */
#ifndef STRATA_HUNGARIAN_H
#define STRATA_HUNGARIAN_H

#include <stddef.h>

#include "strata.h"

/* cost IN: rows×cols row-major, finite.  Matches min(rows, cols) pairs, each
 * row and each column at most once, with the least total cost.
 * row_to_col OUT: rows entries, the column of each row or -1 (only when
 * rows > cols).  total OUT (may be NULL): the summed cost of the matching. */
strata_status strata_hungarian(const double *cost, size_t rows, size_t cols, int *row_to_col,
                               double *total);

#endif
