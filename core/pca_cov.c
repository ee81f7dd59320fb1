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
  c->resid = calloc(d ? d : 1, sizeof *c->resid);
  if (!c->mean || !c->m2 || !c->resid) {
    strata_cov_free(c);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a %zu×%zu covariance", d, d);
  }
  return STRATA_OK;
}

void strata_cov_reset(strata_cov *c) {
  c->n = 0;
  memset(c->mean, 0, c->d * sizeof *c->mean);
  memset(c->m2, 0, c->d * c->d * sizeof *c->m2);
  memset(c->resid, 0, c->d * sizeof *c->resid);
}

void strata_cov_free(strata_cov *c) {
  free(c->mean);
  free(c->m2);
  free(c->resid);
  c->mean = c->m2 = c->resid = NULL;
}

strata_status strata_cov_block(strata_cov *c, const float *x, size_t m, double *work) {
  size_t d = c->d;
  strata_cov_reset(c);
  if (m == 0) return STRATA_OK;
  c->n = m;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) c->mean[j] += (double)x[i * d + j];
  for (size_t j = 0; j < d; j++) c->mean[j] /= (double)m;
  /* Centring on the block's own mean first keeps the products small: the
   * reducer then adds the between-block part exactly. */
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) {
      work[i * d + j] = (double)x[i * d + j] - c->mean[j];
      c->resid[j] += work[i * d + j];
    }
  if (d >= PCA_SYRK_MIN_D) {
    RETURN_IF(!strata_blas_buffer_room(), STRATA_ERR_NOMEM,
              "out of memory for the covariance (OpenBLAS needs %zu MiB of address space for its work buffer)",
              STRATA_OPENBLAS_BUFFER_BYTES >> 20);
    strata_blas_init_once();
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)m, 1.0, work, (int)d, 0.0,
                c->m2, (int)d);
    return STRATA_OK;
  }
  for (size_t i = 0; i < m; i++) {
    const double *r = work + i * d;
    for (size_t a = 0; a < d; a++)
      for (size_t b = a; b < d; b++) c->m2[a * d + b] += r[a] * r[b];
  }
  return STRATA_OK;
}

strata_status strata_cov_sum_init(strata_cov_sum *s, size_t d) {
  memset(s, 0, sizeof *s);
  s->d = d;
  s->sum = malloc((d ? d : 1) * sizeof *s->sum);
  s->prod = malloc((d ? d * (d + 1) / 2 : 1) * sizeof *s->prod);
  if (!s->sum || !s->prod) {
    strata_cov_sum_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a %zu×%zu covariance", d, d);
  }
  strata_cov_sum_zero(s);
  return STRATA_OK;
}

void strata_cov_sum_zero(strata_cov_sum *s) {
  s->n = s->blocks = 0;
  memset(s->sum, 0, s->d * sizeof *s->sum);
  memset(s->prod, 0, s->d * (s->d + 1) / 2 * sizeof *s->prod);
}

void strata_cov_sum_free(strata_cov_sum *s) {
  free(s->sum);
  free(s->prod);
  s->sum = s->prod = NULL;
}

/* Blocks between carries (as strata_moments: 9 digits a block per word). */
#define COV_CARRY_BLOCKS (1u << 20)

static void cov_sum_carry(strata_cov_sum *s) {
  for (size_t a = 0; a < s->d; a++) strata_xacc_carry(&s->sum[a]);
  for (size_t q = 0; q < s->d * (s->d + 1) / 2; q++) strata_xacc_carry(&s->prod[q]);
  s->blocks = 0;
}

void strata_cov_sum_add(strata_cov_sum *s, const strata_cov *block) {
  size_t d = s->d;
  if (block->n == 0) return;
  double n = (double)block->n;
  s->n += block->n;
  strata_xacc *p = s->prod;
  for (size_t a = 0; a < d; a++) {
    strata_xacc_add_block_sum(&s->sum[a], n, block->mean[a], block->resid[a]);
    for (size_t b = a; b < d; b++)
      strata_xacc_add_block_products(p++, n, block->mean[a], block->mean[b], block->resid[a],
                                     block->resid[b], block->m2[a * d + b]);
  }
  if (++s->blocks == COV_CARRY_BLOCKS) cov_sum_carry(s);
}

void strata_cov_sum_combine(strata_cov_sum *into, const strata_cov_sum *b) {
  into->n += b->n;
  for (size_t a = 0; a < into->d; a++) strata_xacc_combine(&into->sum[a], &b->sum[a]);
  for (size_t q = 0; q < into->d * (into->d + 1) / 2; q++) strata_xacc_combine(&into->prod[q], &b->prod[q]);
  into->blocks += b->blocks;
  if (into->blocks >= COV_CARRY_BLOCKS) cov_sum_carry(into);
}

void strata_cov_sum_finish(const strata_cov_sum *s, strata_cov *out) {
  size_t d = s->d;
  strata_cov_reset(out);
  out->n = s->n;
  if (s->n == 0) return;
  double n = (double)s->n;
  const strata_xacc *p = s->prod;
  for (size_t a = 0; a < d; a++)
    for (size_t b = a; b < d; b++, p++)
      out->m2[a * d + b] = strata_comoment(p, &s->sum[a], &s->sum[b], n, a == b ? &out->mean[a] : NULL, NULL);
}

strata_status strata_sym_eigen(double *a, size_t d, double *values, double *vectors) {
  if (d == 0) return STRATA_OK;
  RETURN_IF(!strata_blas_buffer_room(), STRATA_ERR_NOMEM,
            "out of memory for the eigen-decomposition (OpenBLAS needs %zu MiB of address space for its work "
            "buffer)",
            STRATA_OPENBLAS_BUFFER_BYTES >> 20);
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
