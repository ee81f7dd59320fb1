/* A fitted model's labels for rows held in memory, by the model's own
 * rule: a mixture's most probable component, otherwise the nearest
 * centroid (k-means, and ward as `strata assign` scores it).  What sweep
 * (silhouette of each method on one sample) and stability (runs compared
 * on the same rows) need of any model with a k. */
#ifndef STRATA_MODEL_PREDICT_H
#define STRATA_MODEL_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* x IN: m×d float32 rows in the model's scaled units, no NaN.  labels OUT (m). */
strata_status strata_model_predict_scaled(const strata_model_info *mi, const float *x, size_t m, int threads,
                                          int32_t *labels);

/* x IN: m×d raw rows; the model's missing-value rule (impute) first, -1
 * for a row that keeps a missing value.  The nearest centroid is taken in
 * float64 on the row scaled in float64.  labels OUT (m). */
strata_status strata_model_predict_raw(const strata_model_info *mi, const float *x, size_t m, int threads,
                                       int32_t *labels);

#endif
