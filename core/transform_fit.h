/* Fits the parameters of the transforms that need the data (Yeo-Johnson's
 * lambda, clip's bounds) in one raw pass before the statistics pass. */
#ifndef STRATA_TRANSFORM_FIT_H
#define STRATA_TRANSFORM_FIT_H

#include <stdint.h>

#include "transform.h"

/* tf INOUT (d, parsed): fills lambda, lo and hi.  Clip: the percentiles of
 * the column's finite values, numpy's linear interpolation on the quantile
 * sketch (exact up to 4096 values; beyond, within the sketch's rank error,
 * below about 0.1% of n), merged along the fixed tree: the same bounds for
 * any thread count and chunk size.  Yeo-Johnson: lambda by maximum
 * likelihood on the finite values of a seeded sample of
 * STRATA_TRANSFORM_SAMPLE rows (all rows when fewer), chosen up front by
 * row index, so again independent of threads and chunks.  names IN: d
 * column names for messages. */
strata_status strata_transforms_fit(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows, uint64_t seed,
                                    const char *const *names, strata_transform *tf, size_t d);

#endif
