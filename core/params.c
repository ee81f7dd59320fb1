/* Defaults for the fit parameters. */
#include <string.h>

#include "strata.h"

void strata_fit_params_init(strata_fit_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->k = 8;
  p->scale = STRATA_SCALE_ZSCORE;
  p->missing = STRATA_MISSING_ERROR;
  p->init = STRATA_INIT_KMEANSPP;
  p->n_init = 1;
  p->max_iter = 300;
  p->tol = 1e-4;
  p->seed = 0;
  p->categorical_weight = 1.0;
  p->covariance_type = STRATA_COV_FULL;
  p->reg_covar = 1e-6;
  p->min_samples = 5;
  p->ward_mode = STRATA_WARD_EXACT;
  p->ward_micro = 1000;
  p->eps_sample = 10000;
  p->batch_rows = 16384;
}
