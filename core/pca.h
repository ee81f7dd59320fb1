/* PCA internals: a block's covariance in float64, the order-free reducer
 * that totals blocks exactly (the matrix form of strata_moments, reduce.h),
 * and the symmetric eigen-decomposition through LAPACK. */
#ifndef STRATA_PCA_H
#define STRATA_PCA_H

#include <stddef.h>
#include <stdint.h>

#include "reduce.h"
#include "strata.h"

typedef struct {
  size_t d;
  uint64_t n;
  double *mean; /* d */
  double *m2;   /* d×d, upper triangle used: sum of outer products of deviations */
  double *resid; /* d: sum of (x - mean), what the rounded means missed */
} strata_cov;

/* The reducer's partial: exact sum x_a and sum x_a x_b (upper triangle,
 * row by row) over the blocks added. */
typedef struct {
  size_t d;
  uint64_t n, blocks;
  strata_xacc *sum;  /* d */
  strata_xacc *prod; /* d(d+1)/2 */
} strata_cov_sum;

/* d columns; STRATA_ERR_NOMEM when it cannot allocate. */
strata_status strata_cov_init(strata_cov *c, size_t d);
void strata_cov_reset(strata_cov *c);
void strata_cov_free(strata_cov *c);

/* Replaces c by the statistics of m rows of x (m×d float, row-major).
 * work holds m·d doubles.  Above a few columns the centred block goes
 * through cblas_dsyrk; the choice depends on d only, so a result never
 * depends on how blocks were scheduled. */
strata_status strata_cov_block(strata_cov *c, const float *x, size_t m, double *work);

strata_status strata_cov_sum_init(strata_cov_sum *s, size_t d);
void strata_cov_sum_zero(strata_cov_sum *s);
void strata_cov_sum_free(strata_cov_sum *s);
/* s += one block's statistics. */
void strata_cov_sum_add(strata_cov_sum *s, const strata_cov *block);
/* into += b, in any order. */
void strata_cov_sum_combine(strata_cov_sum *into, const strata_cov_sum *b);
/* The totals as a covariance accumulator (n, means, upper-triangle m2). */
void strata_cov_sum_finish(const strata_cov_sum *s, strata_cov *out);

/* Eigen-decomposition of the symmetric d×d matrix a (row-major, the upper
 * triangle is read; a is overwritten).  values OUT d, descending; vectors
 * OUT d×d, row i the unit eigenvector of values[i], its largest-magnitude
 * entry made positive. */
strata_status strata_sym_eigen(double *a, size_t d, double *values, double *vectors);

/* Wide tables (no more rows than columns): the principal components of the
 * m×d rows x (m >= 2, row order) from the m×m Gram matrix of the centred
 * rows, never a d×d matrix: its eigenpairs (lambda, u) give the covariance's
 * nonzero ones, lambda / (m - 1) and x_cᵀ u / sqrt(lambda).  Sums run in row
 * and column order, so the result does not depend on the thread count.
 * mean OUT d (column means), values OUT ncomp (descending, variances),
 * vectors OUT ncomp×d (unit, largest-magnitude entry positive), *total OUT
 * (the sum of the column variances); ncomp <= m - 1. */
strata_status strata_pca_gram(const float *x, size_t m, size_t d, size_t ncomp, int threads, double *mean,
                              double *values, double *vectors, double *total);

#endif
