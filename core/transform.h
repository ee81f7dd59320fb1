/* Per-feature transforms applied to raw values before the scaler
 * (strata_fit_params.transforms): log1p, Yeo-Johnson, clip.  Parsing the
 * spec, the transform and its inverse in float64, and Yeo-Johnson's
 * maximum-likelihood lambda.  Fitting their parameters from the data is
 * core/transform_fit.c; the scaler (core/scaler.c) applies them. */
#ifndef STRATA_TRANSFORM_H
#define STRATA_TRANSFORM_H

#include <stddef.h>

#include "strata.h"

typedef struct {
  strata_transform_kind kind;
  double lambda;     /* yeo-johnson */
  double lo, hi;     /* clip: bounds in original units; age-days: lo the reference day */
  double p_lo, p_hi; /* clip: the percentiles asked for, 0..100 */
} strata_transform;

const char *strata_transform_name(strata_transform_kind k);

/* spec IN ("COL:T,COL:T", see strata_fit_params.transforms; NULL or ""
 * gives *out = NULL).  names IN: the d features; groups IN (may be NULL):
 * >= 0 for a one-hot column, which is refused.  *out OUT: d transforms,
 * malloc'd (NONE where none was asked), parameters to be fitted. */
strata_status strata_transforms_parse(const char *spec, size_t d, const char *const *names, const int *groups,
                                      strata_transform **out);

/* 1 when some transform of tf (d, may be NULL) has parameters fitted from
 * the data (yeo-johnson, clip, age-days). */
int strata_transforms_need_fit(const strata_transform *tf, size_t d);

/* The transform of one value (NaN stays NaN).  A finite x outside the
 * transform's domain (log1p: x <= -1) or an overflow gives a non-finite
 * result, which callers report (strata_transform_rows). */
double strata_transform_apply(const strata_transform *t, double x);
/* The inverse on the transform's range (clip: the identity). */
double strata_transform_invert(const strata_transform *t, double y);

/* Transforms rows×d raw values into out (float32, as the statistics pass
 * takes them); NaN and Inf pass through (the caller's rules apply to them).
 * A finite value the transform cannot take fails with the column, the row
 * (row0 + i) and the value. */
strata_status strata_transform_rows(const strata_transform *tf, size_t d, const char *const *names,
                                    const float *raw, size_t rows, size_t row0, float *out);

/* Yeo-Johnson's lambda maximising the profile log-likelihood of x (n
 * finite values) as scipy's yeojohnson_normmax (used by scikit-learn's
 * PowerTransformer): Brent's bounded search between the bounds that keep
 * the transformed values' variance in range, xtol 1.48e-8.  1 when every
 * value is 0. */
double strata_yeo_johnson_lambda(const double *x, size_t n);
/* The negated log-likelihood that search minimises (exposed for tests). */
double strata_yeo_johnson_nll(const double *x, size_t n, double lambda);

/* "log1p", "yeo-johnson(lambda=0.2513)", "clip(p1,p99: 0.5..812)". */
void strata_transform_describe(const strata_transform *t, char *buf, size_t len);

#endif
