/* Refits that continue a parent model (strata_fit_params.parent): checks,
 * the warm start, and numbering the new segments after the parent's. */
#ifndef STRATA_LINEAGE_H
#define STRATA_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kmeans_init.h"
#include "scaler.h"
#include "strata.h"

/* A match farther than this many times the segment's mean distance to its
 * centroid does not continue the parent segment: it is reported replaced. */
#define STRATA_LINEAGE_REPLACED_RATIO 1.0

/* The parameters and the data agree with the parent: same features, in the
 * same order (STRATA_ERR_USAGE naming the first difference). */
strata_status strata_lineage_check(const strata_fit_params *p, const strata_dataset *ds);

/* Initial centres (k×d, scaled with sc) from the parent's centroids in
 * original units: all of them, or its k largest segments when k is smaller;
 * with k larger, k-means++ continues from them on job's sample. */
strata_status strata_lineage_warm_start(const strata_init_job *job, const strata_model_info *parent,
                                        const strata_scaler *sc, double *centers);

/* Numbers the fitted centres after the parent's: optimal assignment on the
 * distance between centres (this fit's scaled units), matched segments in
 * the parent's order first, then the unmatched new ones.  Reorders centers
 * (k×d) and sizes (k) in place; parent_seg OUT (k): the parent segment each
 * continues or -1; parent_dist OUT (k): that distance or NaN. */
strata_status strata_lineage_renumber(const strata_model_info *parent, const strata_scaler *sc,
                                      size_t k, double *centers, int64_t *sizes, int *parent_seg,
                                      double *parent_dist);

/* Matches farther than STRATA_LINEAGE_REPLACED_RATIO times the segment's
 * spread (the parent's mean distance, else this fit's) become -1. */
void strata_lineage_mark_replaced(const strata_model_info *parent, size_t k,
                                  const double *mean_distance, int *parent_seg,
                                  const double *parent_dist);

#endif
