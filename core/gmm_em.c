/* Gaussian mixture arithmetic: the parameter layout, the per-row log
 * densities (float64, log-sum-exp) and the M-step (core/gmm.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cholesky.h"
#include "error.h"
#include "gmm.h"

static const char *const type_names[] = {"full", "tied", "diag", "spherical"};

void strata_gmm_shape_init(strata_gmm_shape *s, size_t k, size_t d, strata_covariance type) {
  s->k = k;
  s->d = d;
  s->type = type;
  switch (type) {
    case STRATA_COV_FULL: s->ncov = k * d * d; break;
    case STRATA_COV_TIED: s->ncov = d * d; break;
    case STRATA_COV_DIAG: s->ncov = k * d; break;
    case STRATA_COV_SPHERICAL: s->ncov = k; break;
  }
  s->nmom = type == STRATA_COV_FULL || type == STRATA_COV_TIED ? d * (d + 1) / 2 : d;
}

size_t strata_gmm_n_params(const strata_gmm_shape *s) { return s->k + s->k * s->d + s->ncov; }

double strata_gmm_free_parameters(const strata_gmm_shape *s) {
  double k = (double)s->k, d = (double)s->d, cov = 0.0;
  switch (s->type) {
    case STRATA_COV_FULL: cov = k * d * (d + 1) / 2; break;
    case STRATA_COV_TIED: cov = d * (d + 1) / 2; break;
    case STRATA_COV_DIAG: cov = k * d; break;
    case STRATA_COV_SPHERICAL: cov = k; break;
  }
  return cov + k * d + k - 1;
}

const char *strata_gmm_type_name(strata_covariance t) {
  return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : NULL;
}

int strata_gmm_type_parse(const char *name, strata_covariance *t) {
  for (size_t i = 0; name && i < sizeof type_names / sizeof type_names[0]; i++)
    if (strcmp(name, type_names[i]) == 0) {
      *t = (strata_covariance)i;
      return 1;
    }
  return 0;
}

/* Offsets into a parameter vector. */
static const double *means_of(const strata_gmm_shape *s, const double *params) { (void)s; return params; }
static const double *weights_of(const strata_gmm_shape *s, const double *params) { return params + s->k * s->d; }
static const double *covs_of(const strata_gmm_shape *s, const double *params) {
  return params + s->k * s->d + s->k;
}

/* One covariance (a d×d matrix, a diagonal of d, or one variance) made
 * positive definite by a ridge on its diagonal, base then tenfold more.
 * Returns the ridge added (0: none needed), or -1 when it holds a value
 * that is not finite or no ridge up to base·1e15 helps. */
static double ridge_one(double *a, size_t d, int full, double base, double *scratch) {
  size_t n = full ? d * d : d;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(a[i])) return -1.0;
  double logdet, added = 0.0;
  for (int t = 0; t <= 15; t++) {
    int ok = 1;
    if (full) ok = strata_cholesky(a, d, scratch, &logdet);
    else
      for (size_t j = 0; ok && j < d; j++) ok = a[j] > 0.0;
    if (ok) return added;
    double ridge = base * pow(10.0, t);
    for (size_t j = 0; j < d; j++) a[full ? j * d + j : j] += ridge - added;
    added = ridge;
  }
  return -1.0;
}

double strata_gmm_regularise(const strata_gmm_shape *s, double *params, double base, size_t *which,
                             double *scratch) {
  size_t k = s->k, d = s->d;
  double *cov = params + k * d + k, worst = 0.0;
  size_t count = s->type == STRATA_COV_TIED ? 1 : k;
  for (size_t c = 0; c < count; c++) {
    double r;
    switch (s->type) {
      case STRATA_COV_FULL:
      case STRATA_COV_TIED: r = ridge_one(cov + c * d * d, d, 1, base, scratch); break;
      case STRATA_COV_DIAG: r = ridge_one(cov + c * d, d, 0, base, scratch); break;
      default: r = ridge_one(cov + c, 1, 0, base, scratch); break;
    }
    if (r < 0.0) {
      *which = c;
      return -1.0;
    }
    if (r > worst) {
      worst = r;
      *which = c;
    }
  }
  return worst;
}

strata_status strata_gmm_prep_alloc(strata_gmm_prep *p, const strata_gmm_shape *s) {
  p->s = *s;
  p->logc = malloc(s->k * sizeof *p->logc);
  p->fac = malloc((s->ncov ? s->ncov : 1) * sizeof *p->fac);
  if (!p->logc || !p->fac) {
    strata_gmm_prep_free(p);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a mixture of k = %zu, d = %zu", s->k, s->d);
  }
  return STRATA_OK;
}

void strata_gmm_prep_free(strata_gmm_prep *p) {
  free(p->logc);
  free(p->fac);
  p->logc = p->fac = NULL;
}

strata_status strata_gmm_prepare(strata_gmm_prep *p, const double *params) {
  const strata_gmm_shape *s = &p->s;
  size_t k = s->k, d = s->d;
  const double *cov = covs_of(s, params);
  const double half_log_2pi = 0.5 * log(2.0 * M_PI);
  double tied_logdet = 0.0;
  if (s->type == STRATA_COV_TIED && !strata_cholesky(cov, d, p->fac, &tied_logdet))
    return strata_fail(STRATA_ERR_DATA, "the mixture's shared covariance is not positive definite "
                       "(collapsed data?); raise --reg-covar");
  for (size_t c = 0; c < k; c++) {
    double w = weights_of(s, params)[c], logdet = 0.0;
    if (!(w > 0.0) || !isfinite(w))
      return strata_fail(STRATA_ERR_DATA, "mixture component %zu has weight %g", c, w);
    switch (s->type) {
      case STRATA_COV_FULL:
        if (!strata_cholesky(cov + c * d * d, d, p->fac + c * d * d, &logdet))
          return strata_fail(STRATA_ERR_DATA, "the covariance of mixture component %zu is not positive "
                             "definite (a collapsed component?); raise --reg-covar", c);
        break;
      case STRATA_COV_TIED: logdet = tied_logdet; break;
      case STRATA_COV_DIAG:
        for (size_t j = 0; j < d; j++) {
          double v = cov[c * d + j];
          if (!(v > 0.0) || !isfinite(v))
            return strata_fail(STRATA_ERR_DATA, "mixture component %zu has variance %g in column %zu; "
                               "raise --reg-covar", c, v, j);
          p->fac[c * d + j] = 1.0 / sqrt(v);
          logdet += log(v);
        }
        break;
      case STRATA_COV_SPHERICAL: {
        double v = cov[c];
        if (!(v > 0.0) || !isfinite(v))
          return strata_fail(STRATA_ERR_DATA, "mixture component %zu has variance %g; raise --reg-covar", c, v);
        p->fac[c] = 1.0 / sqrt(v);
        logdet = (double)d * log(v);
        break;
      }
    }
    p->logc[c] = log(w) - (double)d * half_log_2pi - 0.5 * logdet;
  }
  return STRATA_OK;
}

/* Squared Mahalanobis distance of diff under the lower factor l:
 * |l⁻¹ diff|², by forward substitution (z overwrites diff). */
static double solve_norm(const double *l, double *z, size_t d) {
  double m = 0.0;
  for (size_t i = 0; i < d; i++) {
    double v = z[i];
    const double *li = l + i * d;
    for (size_t t = 0; t < i; t++) v -= li[t] * z[t];
    v /= li[i];
    z[i] = v;
    m += v * v;
  }
  return m;
}

double strata_gmm_row(const strata_gmm_prep *p, const double *params, const float *x, double *logp, double *maha,
                      double *scratch) {
  const strata_gmm_shape *s = &p->s;
  size_t k = s->k, d = s->d;
  const double *means = means_of(s, params);
  double top = -INFINITY;
  for (size_t c = 0; c < k; c++) {
    const double *mu = means + c * d;
    double m = 0.0;
    switch (s->type) {
      case STRATA_COV_FULL:
      case STRATA_COV_TIED:
        for (size_t j = 0; j < d; j++) scratch[j] = (double)x[j] - mu[j];
        m = solve_norm(p->fac + (s->type == STRATA_COV_FULL ? c * d * d : 0), scratch, d);
        break;
      case STRATA_COV_DIAG:
        for (size_t j = 0; j < d; j++) {
          double z = ((double)x[j] - mu[j]) * p->fac[c * d + j];
          m += z * z;
        }
        break;
      case STRATA_COV_SPHERICAL:
        for (size_t j = 0; j < d; j++) {
          double q = (double)x[j] - mu[j];
          m += q * q;
        }
        m *= p->fac[c] * p->fac[c];
        break;
    }
    maha[c] = m;
    logp[c] = p->logc[c] - 0.5 * m;
    if (logp[c] > top) top = logp[c];
  }
  if (!isfinite(top)) return top;
  double sum = 0.0;
  for (size_t c = 0; c < k; c++) sum += exp(logp[c] - top);
  return top + log(sum);
}

strata_status strata_gmm_totals_alloc(strata_gmm_totals *t, const strata_gmm_shape *s) {
  memset(t, 0, sizeof *t);
  size_t k = s->k;
  t->nk = calloc(k, sizeof *t->nk);
  t->s1 = calloc(k * s->d + 1, sizeof *t->s1);
  t->s2 = calloc(k * s->nmom + 1, sizeof *t->s2);
  t->maha = calloc(k, sizeof *t->maha);
  t->counts = calloc(k, sizeof *t->counts);
  t->hard_weight = calloc(k, sizeof *t->hard_weight);
  if (!t->nk || !t->s1 || !t->s2 || !t->maha || !t->counts || !t->hard_weight) {
    strata_gmm_totals_free(t);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a mixture of k = %zu, d = %zu", k, s->d);
  }
  return STRATA_OK;
}

void strata_gmm_totals_free(strata_gmm_totals *t) {
  free(t->nk);
  free(t->s1);
  free(t->s2);
  free(t->maha);
  free(t->counts);
  free(t->hard_weight);
  memset(t, 0, sizeof *t);
}

/* Component c's covariance without the ridge into cov (d×d, both halves),
 * from its centred moments: S2/nk - δδᵀ with δ = S1/nk the mean's move. */
static void component_cov(const strata_gmm_shape *s, const strata_gmm_totals *t, size_t c, double nk,
                          double *cov) {
  size_t d = s->d;
  const double *s1 = t->s1 + c * d, *s2 = t->s2 + c * s->nmom;
  for (size_t a = 0, q = 0; a < d; a++)
    for (size_t b = a; b < d; b++, q++) {
      double v = s2[q] / nk - (s1[a] / nk) * (s1[b] / nk);
      cov[a * d + b] = cov[b * d + a] = v;
    }
}

void strata_gmm_m_step(const strata_gmm_shape *s, const strata_gmm_totals *t, const double *old, double reg,
                       double *out) {
  size_t k = s->k, d = s->d;
  const double *mu_old = means_of(s, old);
  double *mu = out, *w = out + k * d, *cov = out + k * d + k;
  double total = 0.0;
  for (size_t c = 0; c < k; c++) total += t->nk[c] + 10.0 * DBL_EPSILON;
  if (s->type == STRATA_COV_TIED) memset(cov, 0, d * d * sizeof *cov);
  for (size_t c = 0; c < k; c++) {
    double nk = t->nk[c] + 10.0 * DBL_EPSILON;
    w[c] = nk / total;
    for (size_t j = 0; j < d; j++) mu[c * d + j] = mu_old[c * d + j] + t->s1[c * d + j] / nk;
    switch (s->type) {
      case STRATA_COV_FULL:
        component_cov(s, t, c, nk, cov + c * d * d);
        for (size_t j = 0; j < d; j++) cov[c * d * d + j * d + j] += reg;
        break;
      case STRATA_COV_TIED: {
        /* sum_c nk_c C_c / sum nk: scikit-learn's (XᵀX - sum nk μμᵀ) / n */
        const double *s1 = t->s1 + c * d, *s2 = t->s2 + c * s->nmom;
        for (size_t a = 0, q = 0; a < d; a++)
          for (size_t b = a; b < d; b++, q++) {
            double v = (s2[q] - s1[a] * (s1[b] / nk)) / total;
            cov[a * d + b] += v;
            if (b != a) cov[b * d + a] += v;
          }
        break;
      }
      case STRATA_COV_DIAG:
      case STRATA_COV_SPHERICAL: {
        const double *s1 = t->s1 + c * d, *s2 = t->s2 + c * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
          double v = s2[j] / nk - (s1[j] / nk) * (s1[j] / nk) + reg;
          if (s->type == STRATA_COV_DIAG) cov[c * d + j] = v;
          sum += v;
        }
        if (s->type == STRATA_COV_SPHERICAL) cov[c] = sum / (double)d;
        break;
      }
    }
  }
  if (s->type == STRATA_COV_TIED)
    for (size_t j = 0; j < d; j++) cov[j * d + j] += reg;
}

void strata_gmm_init_params(const strata_gmm_shape *s, const double *means, const double *var, double reg,
                            double *params) {
  size_t k = s->k, d = s->d;
  double *w = params + k * d, *cov = w + k, mean_var = 0.0;
  for (size_t j = 0; j < d; j++) mean_var += var[j];
  mean_var = d ? mean_var / (double)d : 0.0;
  memcpy(params, means, k * d * sizeof *means);
  for (size_t c = 0; c < k; c++) w[c] = 1.0 / (double)k;
  memset(cov, 0, s->ncov * sizeof *cov);
  for (size_t c = 0; c < k; c++) {
    switch (s->type) {
      case STRATA_COV_FULL:
        for (size_t j = 0; j < d; j++) cov[c * d * d + j * d + j] = var[j] + reg;
        break;
      case STRATA_COV_TIED:
        if (c == 0)
          for (size_t j = 0; j < d; j++) cov[j * d + j] = var[j] + reg;
        break;
      case STRATA_COV_DIAG:
        for (size_t j = 0; j < d; j++) cov[c * d + j] = var[j] + reg;
        break;
      case STRATA_COV_SPHERICAL: cov[c] = mean_var + reg; break;
    }
  }
}

strata_status strata_gmm_predict(const strata_gmm_prep *p, const double *params, const float *x, size_t m,
                                 int32_t *labels) {
  size_t k = p->s.k, d = p->s.d;
  double *buf = malloc((2 * k + d + 1) * sizeof *buf);
  RETURN_IF(!buf, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    strata_gmm_row(p, params, x + i * d, buf, buf + k, buf + 2 * k);
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
      if (buf[c] > buf[best]) best = c;
    labels[i] = (int32_t)best;
  }
  free(buf);
  return STRATA_OK;
}
