/* strata_assign for a Gaussian mixture model: one E-step pass with the
 * model's parameters, labels = arg max of the responsibilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gmm.h"

strata_status strata_gmm_from_model(const strata_model_info *mi, strata_gmm_prep *prep, double **params) {
  *params = NULL;
  memset(prep, 0, sizeof *prep);
  strata_covariance type;
  RETURN_IF(!strata_gmm_type_parse(mi->covariance_type, &type), STRATA_ERR_FORMAT,
            "the model's covariance type '%s' is not known", mi->covariance_type ? mi->covariance_type : "");
  strata_gmm_shape s;
  size_t k = (size_t)mi->k, d = (size_t)mi->d;
  strata_gmm_shape_init(&s, k, d, type);
  double *p = malloc(strata_gmm_n_params(&s) * sizeof *p);
  RETURN_IF(!p, STRATA_ERR_NOMEM, "out of memory");
  memcpy(p, mi->centroids, k * d * sizeof *p);
  memcpy(p + k * d, mi->weights, k * sizeof *p);
  memcpy(p + k * d + k, mi->covariances, s.ncov * sizeof *p);
  strata_status st = strata_gmm_prep_alloc(prep, &s);
  if (st == STRATA_OK) st = strata_gmm_prepare(prep, p);
  if (st != STRATA_OK) {
    strata_gmm_prep_free(prep);
    free(p);
    return st;
  }
  *params = p;
  return STRATA_OK;
}

strata_status strata_gmm_assign(const strata_model_info *mi, strata_pass *pass, strata_labels_writer *w,
                                double *inertia, int64_t *sizes, double *loglik) {
  size_t k = (size_t)mi->k;
  strata_gmm_prep prep;
  double *params;
  FORWARD_IF_ERROR(strata_gmm_from_model(mi, &prep, &params));
  const strata_gmm_shape s = prep.s;
  strata_gmm_totals tot = {0};
  strata_gmm_runner *r = NULL;
  strata_status st;
  GOTO_IF_ERROR(st, strata_gmm_totals_alloc(&tot, &s), done);
  GOTO_IF_ERROR(st, strata_gmm_runner_create(pass, &s, &r), done);
  GOTO_IF_ERROR(st, strata_gmm_runner_pass(r, &prep, params, w, &tot), done);
  if (inertia) *inertia = tot.sqdist;
  if (sizes) memcpy(sizes, tot.counts, k * sizeof *sizes);
  if (loglik) *loglik = tot.rows ? tot.loglik / (double)tot.rows : NAN;
done:
  strata_gmm_runner_free(r);
  strata_gmm_totals_free(&tot);
  strata_gmm_prep_free(&prep);
  free(params);
  return st;
}
