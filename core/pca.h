/* PCA internals: a float64 covariance accumulator that works block by block
 * and merges blocks in order (Chan et al.'s pairwise update, the matrix form
 * of core/stats.h), and the symmetric eigen-decomposition through LAPACK. */
#ifndef STRATA_PCA_H
#define STRATA_PCA_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct {
  size_t d;
  uint64_t n;
  double *mean; /* d */
  double *m2;   /* d×d, upper triangle used: sum of outer products of deviations */
} strata_cov;

/* d columns; STRATA_ERR_NOMEM when it cannot allocate. */
strata_status strata_cov_init(strata_cov *c, size_t d);
void strata_cov_reset(strata_cov *c);
void strata_cov_free(strata_cov *c);

/* Replaces c by the statistics of m rows of x (m×d float, row-major).
 * work holds m·d doubles.  Above a few columns the centred block goes
 * through cblas_dsyrk; the choice depends on d only, so a result never
 * depends on how blocks were scheduled. */
void strata_cov_block(strata_cov *c, const float *x, size_t m, double *work);

/* into += b (b unchanged). */
void strata_cov_merge(strata_cov *into, const strata_cov *b);

/* Eigen-decomposition of the symmetric d×d matrix a (row-major, the upper
 * triangle is read; a is overwritten).  values OUT d, descending; vectors
 * OUT d×d, row i the unit eigenvector of values[i], its largest-magnitude
 * entry made positive. */
strata_status strata_sym_eigen(double *a, size_t d, double *values, double *vectors);

#endif
