/* strata_assign for a DBSCAN model (core/assign.c hands it over): a row
 * takes the segment of the nearest core point within eps (ties: the lowest
 * core point), else -1 (noise); its distance is to that segment's centroid
 * (NaN for noise), and inertia sums the squares of those distances. */
#ifndef STRATA_ASSIGN_DBSCAN_H
#define STRATA_ASSIGN_DBSCAN_H

#include "labels_writer.h"
#include "scaler.h"
#include "strata.h"

/* mi, sc IN (the model's scaler), ds IN; w INOUT: the labels' sink (a file
 * or the caller's arrays), every row written, left uncommitted; inertia,
 * sizes OUT (may be NULL; sizes k). */
strata_status strata_assign_dbscan(const strata_ctx *ctx, const strata_model_info *mi, const strata_scaler *sc,
                                   strata_dataset *ds, strata_labels_writer *w, size_t chunk_rows, double *inertia,
                                   int64_t *sizes);

#endif
