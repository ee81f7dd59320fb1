/* Scaling and the missing-value rule, applied block by block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "scaler.h"

const char *strata_scale_name(strata_scale s) {
  switch (s) {
    case STRATA_SCALE_ZSCORE: return "zscore";
    case STRATA_SCALE_MINMAX: return "minmax";
    case STRATA_SCALE_NONE: return "none";
    case STRATA_SCALE_ROBUST: return "robust";
  }
  return "?";
}

const char *strata_missing_name(strata_missing m) {
  switch (m) {
    case STRATA_MISSING_ERROR: return "error";
    case STRATA_MISSING_DROP: return "drop";
    case STRATA_MISSING_MEAN: return "mean";
    case STRATA_MISSING_MEDIAN: return "median";
  }
  return "?";
}

int strata_missing_parse(const char *name, strata_missing *out) {
  static const strata_missing all[] = {STRATA_MISSING_ERROR, STRATA_MISSING_DROP, STRATA_MISSING_MEAN,
                                       STRATA_MISSING_MEDIAN};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (name && strcmp(name, strata_missing_name(all[i])) == 0) { *out = all[i]; return 1; }
  return 0;
}

static strata_status scaler_alloc(strata_scaler *s, size_t d, const char *const *names,
                                  strata_missing missing) {
  memset(s, 0, sizeof *s);
  s->d = d;
  s->names = names;
  s->missing = missing;
  size_t n = d ? d : 1;
  s->shift = calloc(n, sizeof(double));
  s->factor = calloc(n, sizeof(double));
  s->inv = calloc(n, sizeof(double));
  s->impute = calloc(n, sizeof(double));
  if (!s->shift || !s->factor || !s->inv || !s->impute) {
    strata_scaler_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the scaler");
  }
  return STRATA_OK;
}

/* Scale of the one-hot columns of group g: weight w = sqrt(W / (1 - sum p^2)),
 * p the category shares, so that the group's total variance, w^2 (1 - sum p^2),
 * equals W standardised numeric columns' (W = 1 by default). */
static double onehot_weight(const strata_ctx *ctx, size_t d, const char *const *names, const strata_colacc *acc,
                            const int *group, int g, double weight) {
  double p2 = 0.0;
  const char *name = NULL;
  for (size_t j = 0; j < d; j++)
    if (group[j] == g) {
      p2 += acc[j].mean * acc[j].mean;
      if (!name) name = names[j];
    }
  if (!(1.0 - p2 > 1e-12)) {
    strata_log(ctx, STRATA_LOG_WARN, "categorical column of '%s' has a single category; it cannot separate "
               "segments", name ? name : "?");
    return 1.0;
  }
  return sqrt(weight / (1.0 - p2));
}

strata_status strata_scaler_fit(const strata_ctx *ctx, strata_scaler *s, size_t d, const char *const *names,
                                strata_scale how, strata_missing missing,
                                const strata_colacc *acc, const double *medians,
                                const int *group, double cat_weight, const double *quart) {
  RETURN_IF(how == STRATA_SCALE_ROBUST && !quart, STRATA_ERR_USAGE, "the robust scaler needs the quartiles");
  FORWARD_IF_ERROR(scaler_alloc(s, d, names, missing));
  for (size_t j = 0; j < d; j++) {
    const strata_colacc *a = &acc[j];
    if (group && group[j] >= 0) {
      /* One-hot: never centred or standardised, only weighted. */
      int first = 1;
      for (size_t i = 0; i < j; i++) first &= group[i] != group[j];
      double w = first ? onehot_weight(ctx, d, names, acc, group, group[j], cat_weight) : 1.0 / s->factor[j - 1];
      s->shift[j] = 0.0;
      s->factor[j] = 1.0 / w;
      s->inv[j] = w;
      s->impute[j] = missing == STRATA_MISSING_MEAN     ? a->mean
                     : missing == STRATA_MISSING_MEDIAN ? medians[j]
                                                        : NAN;
      continue;
    }
    double shift = 0.0, factor = 1.0;
    if (how == STRATA_SCALE_ZSCORE) {
      shift = a->mean;
      factor = sqrt(strata_colacc_var(a));
    } else if (how == STRATA_SCALE_MINMAX) {
      shift = a->min;
      factor = a->max - a->min;
    } else if (how == STRATA_SCALE_ROBUST) {
      shift = quart[j * 3 + 1];
      factor = quart[j * 3 + 2] - quart[j * 3];
      if (!isfinite(shift)) shift = 0.0; /* a column with no value */
    }
    if (how == STRATA_SCALE_ROBUST && !(factor > 0.0 && isfinite(factor)) && a->n && a->max > a->min) {
      /* As scikit-learn: an interquartile range of 0 divides by 1. */
      strata_log(ctx, STRATA_LOG_WARN, "column '%s' has an interquartile range of 0 (more than half its "
                 "values are %.17g); kept unscaled around its median", names[j], shift);
      factor = 1.0;
    } else if (how != STRATA_SCALE_NONE && !(factor > 0.0 && isfinite(factor))) {
      strata_log(ctx, STRATA_LOG_WARN, "column '%s' is constant (%.17g); kept unscaled",
                 names[j], a->n ? a->mean : 0.0);
      factor = 1.0;
    }
    s->shift[j] = shift;
    s->factor[j] = factor;
    s->inv[j] = 1.0 / factor;
    s->impute[j] = missing == STRATA_MISSING_MEAN     ? a->mean
                   : missing == STRATA_MISSING_MEDIAN ? medians[j]
                                                      : NAN;
    /* A column with no value at all imputes 0 rather than NaN. */
    if (missing >= STRATA_MISSING_MEAN && !isfinite(s->impute[j])) s->impute[j] = 0.0;
  }
  return STRATA_OK;
}

strata_status strata_scaler_from(strata_scaler *s, size_t d, const char *const *names,
                                 strata_missing missing, const double *shift,
                                 const double *factor, const double *impute) {
  FORWARD_IF_ERROR(scaler_alloc(s, d, names, missing));
  for (size_t j = 0; j < d; j++) {
    s->shift[j] = shift[j];
    s->factor[j] = factor[j];
    s->inv[j] = 1.0 / factor[j];
    s->impute[j] = impute ? impute[j] : NAN;
  }
  return STRATA_OK;
}

strata_status strata_scaler_set_transforms(strata_scaler *s, const strata_transform *tf) {
  free(s->tf);
  s->tf = NULL;
  if (!tf) return STRATA_OK;
  s->tf = malloc((s->d ? s->d : 1) * sizeof *s->tf);
  RETURN_IF(!s->tf, STRATA_ERR_NOMEM, "out of memory for the transforms");
  memcpy(s->tf, tf, s->d * sizeof *s->tf);
  return STRATA_OK;
}

strata_status strata_scaler_from_model(strata_scaler *s, const strata_model_info *mi, strata_missing missing) {
  size_t d = (size_t)mi->d;
  FORWARD_IF_ERROR(strata_scaler_from(s, d, mi->features, missing, mi->scale_shift, mi->scale_factor, mi->impute));
  if (!mi->transform_kind) return STRATA_OK;
  s->tf = malloc((d ? d : 1) * sizeof *s->tf);
  if (!s->tf) {
    strata_scaler_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the transforms");
  }
  for (size_t j = 0; j < d; j++) {
    const double *q = mi->transform_param + 3 * j;
    s->tf[j] = (strata_transform){(strata_transform_kind)mi->transform_kind[j], q[0], q[1], q[2], NAN, NAN};
  }
  return STRATA_OK;
}

void strata_scaler_free(strata_scaler *s) {
  if (!s) return;
  free(s->tf);
  free(s->shift);
  free(s->factor);
  free(s->inv);
  free(s->impute);
  memset(s, 0, sizeof *s);
}

/* The slow path for a row holding a non-finite value. Returns 0 if the row
 * is dropped, 1 if it was written, or sets *st on an error. */
static int scale_bad_row(const strata_scaler *s, const float *xi, size_t row, float *out,
                         strata_status *st) {
  for (size_t j = 0; j < s->d; j++) {
    if (isinf(xi[j])) {
      *st = strata_fail(STRATA_ERR_DATA, "column '%s' has an infinite value at row %zu",
                        s->names[j], row);
      return 0;
    }
  }
  if (s->missing == STRATA_MISSING_ERROR) {
    for (size_t j = 0; j < s->d; j++)
      if (isnan(xi[j])) {
        *st = strata_fail(STRATA_ERR_DATA,
                          "column '%s' has a missing value (NaN) at row %zu; "
                          "use --missing drop or --missing mean",
                          s->names[j], row);
        return 0;
      }
  }
  int has_nan = 0;
  for (size_t j = 0; j < s->d; j++) has_nan |= isnan(xi[j]) != 0;
  if (has_nan && s->missing == STRATA_MISSING_DROP) return 0;
  for (size_t j = 0; j < s->d; j++) {
    /* impute is in transformed units already */
    double v = isnan(xi[j]) ? s->impute[j] : s->tf ? strata_transform_apply(&s->tf[j], xi[j]) : (double)xi[j];
    out[j] = (float)((v - s->shift[j]) * s->inv[j]);
    /* A finite value whose scaled value is not: a model's absurd scale
     * factor (1e-175) or shift; it would make every distance infinite. */
    if (!isfinite(out[j])) {
      *st = strata_fail(STRATA_ERR_DATA,
                        "column '%s' at row %zu: %s %.9g is beyond float range once scaled "
                        "(shift %.9g, scale factor %.9g)", s->names[j], row,
                        isnan(xi[j]) ? "the imputed value" : "the value", v, s->shift[j], s->factor[j]);
      return 0;
    }
  }
  return 1;
}

/* A finite raw value the transform cannot take (log1p of -3). */
static strata_status transform_error(const strata_scaler *s, const float *xi, size_t row) {
  for (size_t j = 0; j < s->d; j++) {
    if (!isfinite(xi[j])) continue;
    float t;
    FORWARD_IF_ERROR(strata_transform_rows(&s->tf[j], 1, &s->names[j], &xi[j], 1, row, &t));
  }
  return strata_fail(STRATA_ERR_DATA, "a transformed value at row %zu is not finite", row);
}

/* apply with transforms: the raw value goes through its column's transform
 * in float64, then the shift and factor. */
static strata_status apply_transformed(const strata_scaler *s, const float *raw, size_t rows, size_t row0,
                                       float *out, uint16_t *kept, size_t *m) {
  size_t d = s->d, w = 0;
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < rows; i++) {
    const float *xi = raw + i * d;
    float *o = out + w * d;
    int finite = 1, bad = 0;
    for (size_t j = 0; j < d; j++) {
      float v = xi[j];
      int f = isfinite(v) != 0;
      double t = strata_transform_apply(&s->tf[j], (double)v);
      finite &= f;
      bad |= f && !isfinite((float)((t - s->shift[j]) * s->inv[j]));
      o[j] = (float)((t - s->shift[j]) * s->inv[j]);
    }
    if (bad) return transform_error(s, xi, row0 + i);
    if (!finite && !scale_bad_row(s, xi, row0 + i, o, &st)) {
      if (st != STRATA_OK) return st;
      continue; /* dropped */
    }
    if (kept) kept[w] = (uint16_t)i;
    w++;
  }
  *m = w;
  return STRATA_OK;
}

strata_status strata_scaler_apply(const strata_scaler *s, const float *raw, size_t rows,
                                  size_t row0, float *out, uint16_t *kept, size_t *m) {
  if (s->tf) return apply_transformed(s, raw, rows, row0, out, kept, m);
  size_t d = s->d, w = 0;
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < rows; i++) {
    const float *xi = raw + i * d;
    float *o = out + w * d;
    int finite = 1;
    /* The scaled values' finiteness: NaN and Inf stay non-finite, and so
     * does a finite value the scaling takes out of float range. */
    for (size_t j = 0; j < d; j++) {
      o[j] = (float)(((double)xi[j] - s->shift[j]) * s->inv[j]);
      finite &= isfinite(o[j]) != 0;
    }
    if (!finite && !scale_bad_row(s, xi, row0 + i, o, &st)) {
      if (st != STRATA_OK) return st;
      continue; /* dropped */
    }
    if (kept) kept[w] = (uint16_t)i;
    w++;
  }
  *m = w;
  return STRATA_OK;
}

void strata_scaler_unscale(const strata_scaler *s, const double *scaled, double *transformed) {
  for (size_t j = 0; j < s->d; j++) transformed[j] = scaled[j] * s->factor[j] + s->shift[j];
}

void strata_scaler_invert(const strata_scaler *s, const double *scaled, double *orig) {
  strata_scaler_unscale(s, scaled, orig);
  for (size_t j = 0; s->tf && j < s->d; j++) orig[j] = strata_transform_invert(&s->tf[j], orig[j]);
}

void strata_scaler_forward(const strata_scaler *s, const double *orig, double *scaled) {
  for (size_t j = 0; j < s->d; j++) {
    double v = s->tf ? strata_transform_apply(&s->tf[j], orig[j]) : orig[j];
    scaled[j] = (v - s->shift[j]) * s->inv[j];
  }
}
