/* Ward's two-step mode, for tables larger than memory (as SPSS TwoStep and
 * BIRCH do): the rows are streamed into ward_micro micro-clusters by the
 * orchestrator's own k-means (core/fit.h: shared statistics pass, scaler,
 * k-means++ on the init sample, Lloyd passes reduced order-free; at most
 * STRATA_WARD_MICRO_ITER passes, fewer with a lower max_iter or by tol),
 * then the exact Ward linkage of core/ward.h runs on the micro-clusters'
 * means weighted by their sizes (Lance–Williams with sizes: ΔSSE =
 * na·nb/(na+nb)·|ca - cb|², exact for the union of the member rows), and
 * is cut into k segments or at a height.  One more pass labels each row
 * with its micro-cluster's segment (its nearest k-means centroid, the same
 * kernels as the k-means passes) and measures inertia and distances.
 * Memory: O(chunk·d + ward_micro·d), no per-row state.  The model keeps
 * the linkage over the micro-clusters and their means and sizes
 * (/ward/micro_centroids, /ward/micro_sizes); every result is
 * bit-identical for any thread count and chunk size. */
#ifndef STRATA_WARD_TWOSTEP_H
#define STRATA_WARD_TWOSTEP_H

#include "fit.h"
#include "model.h"

/* Micro-clusters need not converge: Ward only needs them small. */
#define STRATA_WARD_MICRO_ITER 20

/* The whole fit (data checked by strata_fit_data_check, nothing read
 * yet).  data INOUT (freed by the caller), mem IN (the caller's label
 * arrays, strata_fit_memory; NULL: the labels file of labels_path, if
 * any), out OUT. */
strata_status strata_ward_twostep(strata_fit_data *data, const strata_labels_memory *mem, strata_model **out);

#endif
