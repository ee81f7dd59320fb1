/* Labels of in-memory rows by a model (see model_predict.h). */
#include "model_predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gmm.h"
#include "transform.h"

/* A raw value of feature j in the model's scaled units: its transform (if
 * any), the imputed value for a missing one, then shift and factor, in the
 * order the scaler applies them. */
static double scaled_value(const strata_model_info *mi, size_t j, double v) {
  if (!isnan(v) && mi->transform_kind) {
    const double *q = mi->transform_param + 3 * j;
    strata_transform t = {(strata_transform_kind)mi->transform_kind[j], q[0], q[1], q[2], NAN, NAN};
    v = strata_transform_apply(&t, v);
  }
  if (isnan(v)) v = mi->impute ? mi->impute[j] : NAN;
  return (v - mi->scale_shift[j]) / mi->scale_factor[j];
}

static int is_mixture(const strata_model_info *mi) { return mi->estimator && strcmp(mi->estimator, "gmm") == 0; }

static strata_status mixture_labels(const strata_model_info *mi, const float *x, size_t m, int32_t *labels) {
  strata_gmm_prep prep;
  double *params = NULL;
  FORWARD_IF_ERROR(strata_gmm_from_model(mi, &prep, &params));
  strata_status st = strata_gmm_predict(&prep, params, x, m, labels);
  strata_gmm_prep_free(&prep);
  free(params);
  return st;
}

strata_status strata_model_predict_scaled(const strata_model_info *mi, const float *x, size_t m, int threads,
                                          int32_t *labels) {
  if (is_mixture(mi)) return mixture_labels(mi, x, m, labels);
  size_t k = (size_t)mi->k, d = (size_t)mi->d;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (size_t i = 0; i < m; i++) {
    double best = INFINITY;
    int32_t label = -1;
    for (size_t c = 0; c < k; c++) {
      double dist = 0.0;
      for (size_t j = 0; j < d; j++) {
        double diff = (double)x[i * d + j] - mi->centroids[c * d + j];
        dist += diff * diff;
      }
      if (dist < best) {
        best = dist;
        label = (int32_t)c;
      }
    }
    labels[i] = label;
  }
  return STRATA_OK;
}

/* A mixture scores float32 scaled rows, as its passes do. */
static strata_status mixture_raw(const strata_model_info *mi, const float *x, size_t m, int32_t *labels) {
  size_t d = (size_t)mi->d, w = 0;
  float *y = calloc((m ? m : 1) * d, sizeof *y); /* calloc: gcc -O1 (ASan) cannot see every entry read is written */
  size_t *row = malloc((m ? m : 1) * sizeof *row);
  int32_t *lab = malloc((m ? m : 1) * sizeof *lab);
  strata_status st = STRATA_OK;
  if (!y || !row || !lab) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for %zu rows", m);
    goto done;
  }
  for (size_t i = 0; i < m; i++) {
    int missing = 0;
    for (size_t j = 0; j < d; j++) {
      double v = scaled_value(mi, j, x[i * d + j]);
      missing |= isnan(v);
      y[w * d + j] = (float)v;
    }
    labels[i] = -1;
    if (!missing) row[w++] = i;
  }
  st = mixture_labels(mi, y, w, lab);
  for (size_t i = 0; st == STRATA_OK && i < w; i++) labels[row[i]] = lab[i];
done:
  free(y);
  free(row);
  free(lab);
  return st;
}

strata_status strata_model_predict_raw(const strata_model_info *mi, const float *x, size_t m, int threads,
                                       int32_t *labels) {
  if (is_mixture(mi)) return mixture_raw(mi, x, m, labels);
  size_t k = (size_t)mi->k, d = (size_t)mi->d;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (size_t i = 0; i < m; i++) {
    double best = INFINITY;
    int32_t label = -1;
    for (size_t c = 0; c < k; c++) {
      double dist = 0.0;
      for (size_t j = 0; j < d; j++) {
        double diff = scaled_value(mi, j, x[i * d + j]) - mi->centroids[c * d + j];
        dist += diff * diff;
      }
      if (dist < best) {
        best = dist;
        label = (int32_t)c;
      }
    }
    labels[i] = label; /* a NaN distance is never < best: stays -1 */
  }
  return STRATA_OK;
}
