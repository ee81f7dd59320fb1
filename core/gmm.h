/* Gaussian mixture arithmetic (core/gmm_em.c) and its pass over the data
 * (core/gmm_pass.c), shared by the estimator (core/estimator_gmm.c) and
 * strata_assign.
 *
 * Parameters are one vector: means (k×d) | weights (k) | covariances
 * (full k×d×d, tied d×d, diag k×d, spherical k), scaled units.  The E-step
 * works from a "prep" of them: per component log w - d/2 log 2π - 1/2 log
 * det Σ and the Cholesky factor of Σ (full, tied) or the inverse standard
 * deviations (diag, spherical).  A pass gathers per component, about the
 * means it used, sum r, sum r·(x-μ) and sum r·(x-μ)(x-μ)ᵀ (upper triangle;
 * the diagonal only for diag and spherical) and the log-likelihood; each
 * block sums its rows in float64 in row order and adds its totals to exact
 * accumulators (common/xacc.h), so the totals do not depend on the thread
 * count, chunk size or streaming.  Centring on the pass's own means keeps
 * the covariance update free of the cancellation of E[xxᵀ] - μμᵀ. */
#ifndef STRATA_GMM_H
#define STRATA_GMM_H

#include <stddef.h>
#include <stdint.h>

#include "labels_writer.h"
#include "pass.h"
#include "strata.h"

typedef struct {
  size_t k, d;
  strata_covariance type;
  size_t ncov; /* doubles of the covariances */
  size_t nmom; /* second-moment terms per component: d(d+1)/2, or d */
} strata_gmm_shape;

void strata_gmm_shape_init(strata_gmm_shape *s, size_t k, size_t d, strata_covariance type);
size_t strata_gmm_n_params(const strata_gmm_shape *s);
/* scikit-learn's _n_parameters: free parameters, for BIC and AIC. */
double strata_gmm_free_parameters(const strata_gmm_shape *s);
/* "full", "tied", "diag", "spherical"; NULL for another value. */
const char *strata_gmm_type_name(strata_covariance t);
/* 1 and *t set when name is one of those. */
int strata_gmm_type_parse(const char *name, strata_covariance *t);

typedef struct {
  strata_gmm_shape s;
  double *logc; /* k */
  double *fac;  /* full k×d×d lower Cholesky factors; tied d×d; diag k×d and spherical k:
                   1 / standard deviation */
} strata_gmm_prep;

/* A singular covariance (collapsed data, a constant column with reg_covar
 * 0) is regularised rather than failing the fit: each covariance of params
 * that is not positive definite (a variance not above 0) gets base added
 * to its diagonal, tenfold more until it factorises.  Returns the largest
 * ridge added (0: none was needed) with its component in *which, or -1
 * (component in *which) when a covariance holds a value that is not finite.
 * scratch: d×d doubles. */
double strata_gmm_regularise(const strata_gmm_shape *s, double *params, double base, size_t *which,
                             double *scratch);

strata_status strata_gmm_prep_alloc(strata_gmm_prep *p, const strata_gmm_shape *s);
void strata_gmm_prep_free(strata_gmm_prep *p);
/* From params; fails (STRATA_ERR_DATA, naming the component) when a
 * covariance is not positive definite or a weight is not positive. */
strata_status strata_gmm_prepare(strata_gmm_prep *p, const double *params);

/* One row: logp[c] = log w_c + log N(x | μ_c, Σ_c) and maha[c] the squared
 * Mahalanobis distance, for c < k; returns log sum exp(logp).  scratch: d
 * doubles. */
double strata_gmm_row(const strata_gmm_prep *p, const double *params, const float *x, double *logp, double *maha,
                      double *scratch);

/* Reduced moments of one pass (rounded from the exact accumulators).  On
 * a pass with row weights every sum but counts and rows weighs each row by
 * its weight w (r below then stands for w r); without, w = 1, the same
 * bits as no weight at all. */
typedef struct {
  double *nk;    /* k: sum r */
  double *s1;    /* k×d: sum r (x - μ) */
  double *s2;    /* k×nmom: sum r (x - μ)(x - μ)ᵀ, upper triangle row by row, or the diagonal */
  double loglik; /* sum over rows of w log p(x) */
  double sqdist; /* sum over rows of w |x - μ_label|² (the hard labels' inertia) */
  double *maha;  /* k: sum over a component's rows of w times its Mahalanobis distance */
  double *hard_weight; /* k: sum of w over a component's rows (its count without weights) */
  double weight; /* sum of w over all rows (rows without weights) */
  int64_t *counts; /* k: hard labels (arg max of the responsibilities) */
  uint64_t rows;
} strata_gmm_totals;

strata_status strata_gmm_totals_alloc(strata_gmm_totals *t, const strata_gmm_shape *s);
void strata_gmm_totals_free(strata_gmm_totals *t);

/* The M-step: new parameters from the moments t of a pass made with
 * params `old` (scikit-learn's _estimate_gaussian_parameters: nk gains
 * 10·eps, weights are nk / sum nk, reg added to the diagonal).  A component
 * that lost all its rows keeps its mean and gets covariance reg·I (weight
 * about 2e-15 / n), as in scikit-learn, so it stays valid.  out OUT. */
void strata_gmm_m_step(const strata_gmm_shape *s, const strata_gmm_totals *t, const double *old, double reg,
                       double *out);

/* Initial parameters: means given (k×d), weights 1/k, each covariance the
 * diagonal of the column variances var (d) plus reg (spherical: their
 * mean).  params OUT. */
void strata_gmm_init_params(const strata_gmm_shape *s, const double *means, const double *var, double reg,
                            double *params);

/* ---- the pass ---- */

typedef struct strata_gmm_runner strata_gmm_runner;

strata_status strata_gmm_runner_create(strata_pass *pass, const strata_gmm_shape *s, strata_gmm_runner **out);
void strata_gmm_runner_free(strata_gmm_runner *r);
/* One pass with the parameters params (prep made from them): totals into
 * out; with a writer, each row's hard label and Mahalanobis distance (and,
 * when the writer was opened with probabilities, its k responsibilities). */
strata_status strata_gmm_runner_pass(strata_gmm_runner *r, const strata_gmm_prep *prep, const double *params,
                                     strata_labels_writer *writer, strata_gmm_totals *out);

/* The parameters of mixture model mi (params OUT, malloc'ed) and their
 * prep (prep OUT; strata_gmm_prep_free). */
strata_status strata_gmm_from_model(const strata_model_info *mi, strata_gmm_prep *prep, double **params);

/* strata_assign with a mixture model mi on pass (its scaler): labels into
 * w (a file or the caller's arrays; with probabilities when w was opened
 * with k of them), left uncommitted; inertia (the hard labels' squared
 * distances to their means), sizes (k) and loglik (the mean log-likelihood
 * per row of the pass's rows, NaN without rows) OUT, each may be NULL. */
strata_status strata_gmm_assign(const strata_model_info *mi, strata_pass *pass, strata_labels_writer *w,
                                double *inertia, int64_t *sizes, double *loglik);

/* Hard labels of m in-memory rows (arg max of the responsibilities, the
 * first on a tie).  labels OUT (m). */
strata_status strata_gmm_predict(const strata_gmm_prep *p, const double *params, const float *x, size_t m,
                                 int32_t *labels);

#endif
