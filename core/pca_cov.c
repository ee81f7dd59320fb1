/* Covariance accumulation and the eigen-decomposition behind core/pca.c. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernels_internal.h"
#include "pca.h"

/* Below this many columns the plain loop beats the dsyrk call overhead. */
#define PCA_SYRK_MIN_D 12

strata_status strata_cov_init(strata_cov *c, size_t d) {
  memset(c, 0, sizeof *c);
  c->d = d;
  c->mean = calloc(d ? d : 1, sizeof *c->mean);
  c->m2 = calloc(d ? d * d : 1, sizeof *c->m2);
  if (!c->mean || !c->m2) {
    strata_cov_free(c);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a %zu×%zu covariance", d, d);
  }
  return STRATA_OK;
}

void strata_cov_reset(strata_cov *c) {
  c->n = 0;
  memset(c->mean, 0, c->d * sizeof *c->mean);
  memset(c->m2, 0, c->d * c->d * sizeof *c->m2);
}

void strata_cov_free(strata_cov *c) {
  free(c->mean);
  free(c->m2);
  c->mean = c->m2 = NULL;
}

void strata_cov_block(strata_cov *c, const float *x, size_t m, double *work) {
  size_t d = c->d;
  strata_cov_reset(c);
  if (m == 0) return;
  c->n = m;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) c->mean[j] += (double)x[i * d + j];
  for (size_t j = 0; j < d; j++) c->mean[j] /= (double)m;
  /* Centring on the block's own mean first keeps the products small: the
   * merge then adds the between-block part exactly as Chan's update does. */
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) work[i * d + j] = (double)x[i * d + j] - c->mean[j];
  if (d >= PCA_SYRK_MIN_D) {
    strata_blas_init_once();
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)m, 1.0, work, (int)d, 0.0,
                c->m2, (int)d);
    return;
  }
  for (size_t i = 0; i < m; i++) {
    const double *r = work + i * d;
    for (size_t a = 0; a < d; a++)
      for (size_t b = a; b < d; b++) c->m2[a * d + b] += r[a] * r[b];
  }
}

void strata_cov_merge(strata_cov *into, const strata_cov *b) {
  size_t d = into->d;
  if (b->n == 0) return;
  if (into->n == 0) {
    into->n = b->n;
    memcpy(into->mean, b->mean, d * sizeof *b->mean);
    memcpy(into->m2, b->m2, d * d * sizeof *b->m2);
    return;
  }
  double na = (double)into->n, nb = (double)b->n, n = na + nb;
  double w = na * nb / n;
  for (size_t a = 0; a < d; a++) {
    double da = b->mean[a] - into->mean[a];
    for (size_t c = a; c < d; c++) {
      double dc = b->mean[c] - into->mean[c];
      into->m2[a * d + c] += b->m2[a * d + c] + w * da * dc;
    }
  }
  for (size_t a = 0; a < d; a++) into->mean[a] += (b->mean[a] - into->mean[a]) * (nb / n);
  into->n += b->n;
}

strata_status strata_sym_eigen(double *a, size_t d, double *values, double *vectors) {
  if (d == 0) return STRATA_OK;
  strata_blas_init_once();
  double *w = malloc(d * sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory for the eigen-decomposition");
  /* dsyevd: all eigenpairs; ascending values, vectors in a's columns. */
  lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, a, (lapack_int)d, w);
  if (info != 0) {
    free(w);
    return strata_fail(STRATA_ERR_INTERNAL, "LAPACKE_dsyevd failed (info %d)", (int)info);
  }
  for (size_t i = 0; i < d; i++) {
    size_t col = d - 1 - i;
    values[i] = w[col];
    size_t big = 0;
    for (size_t j = 0; j < d; j++)
      if (fabs(a[j * d + col]) > fabs(a[big * d + col])) big = j;
    double sign = a[big * d + col] < 0 ? -1.0 : 1.0;
    for (size_t j = 0; j < d; j++) vectors[i * d + j] = sign * a[j * d + col];
  }
  free(w);
  return STRATA_OK;
}
