/* The scaler: per-column shift and factor fitted from the statistics pass,
 * applied on the fly as chunks arrive, plus the missing-value rule. */
#ifndef STRATA_SCALER_H
#define STRATA_SCALER_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "strata.h"
#include "transform.h"

typedef struct {
  size_t d;
  const char *const *names;   /* borrowed, for messages */
  strata_missing missing;
  double *shift;              /* d: scaled = (x - shift) * inv */
  double *factor;             /* d: 1 / inv, the unit of a scaled column */
  double *inv;                /* d */
  double *impute;             /* d: replacement for NaN (transformed units) or NaN */
  strata_transform *tf;       /* d transforms applied before shift and factor, or NULL */
} strata_scaler;

/* Fits shift/factor from column statistics.  A constant column keeps
 * factor 1 (never divided by zero) and is reported with a warning.
 * medians (d values, may be NULL unless missing == MEDIAN) are the imputation
 * values for the median rule.  group (d values, may be NULL): -1 for a
 * numeric column, g >= 0 for the one-hot columns of categorical column g,
 * which are weighted (cat_weight, see strata_fit_params), not standardised.
 * how == STRATA_SCALE_ROBUST: quart (d×3: the 25th, 50th and 75th
 * percentiles; NULL otherwise) gives the shift q50 and the factor q75 - q25
 * (scikit-learn's RobustScaler; a zero range keeps factor 1, with a
 * warning). */
strata_status strata_scaler_fit(const strata_ctx *ctx, strata_scaler *s, size_t d, const char *const *names,
                                strata_scale how, strata_missing missing,
                                const strata_colacc *acc, const double *medians,
                                const int *group, double cat_weight, const double *quart);
/* Copies d transforms into s (tf NULL: none); they apply before the shift
 * and factor, in apply, invert and forward. */
strata_status strata_scaler_set_transforms(strata_scaler *s, const strata_transform *tf);
/* The scaler a model saved: its shift, factor, impute and transforms. */
strata_status strata_scaler_from_model(strata_scaler *s, const strata_model_info *mi, strata_missing missing);
/* Transformed units from scaled units (the shift and factor undone, not
 * the transform): means there are means of the transformed values. */
void strata_scaler_unscale(const strata_scaler *s, const double *scaled, double *transformed);
/* A scaler from saved parameters (a model's). */
strata_status strata_scaler_from(strata_scaler *s, size_t d, const char *const *names,
                                 strata_missing missing, const double *shift,
                                 const double *factor, const double *impute);
void strata_scaler_free(strata_scaler *s);

/* Scales rows×d raw values (row index row0 of the first) into out, keeping
 * rows per the missing rule.  *m receives the rows written; when rows are
 * dropped, kept[i] is the offset (0..rows-1) of output row i (kept may be NULL
 * when missing != drop).  Inf is always an error, NaN with missing == error
 * too; the detail names the column and the row. */
strata_status strata_scaler_apply(const strata_scaler *s, const float *raw, size_t rows,
                                  size_t row0, float *out, uint16_t *kept, size_t *m);

/* Original units from scaled units, for one row of d values. */
void strata_scaler_invert(const strata_scaler *s, const double *scaled, double *orig);
/* Scaled from original units. */
void strata_scaler_forward(const strata_scaler *s, const double *orig, double *scaled);

const char *strata_scale_name(strata_scale s);
const char *strata_missing_name(strata_missing m);
int strata_missing_parse(const char *name, strata_missing *out);

#endif
