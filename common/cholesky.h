/* The Cholesky factorisation a = l lᵀ of a symmetric d×d matrix, shared by
 * the mixture arithmetic (core/gmm_em.c) and the model loader's check that
 * stored covariances are positive definite (io/model.c). */
#ifndef STRATA_CHOLESKY_H
#define STRATA_CHOLESKY_H

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Lower factor of a (row-major, the lower half read) into l (d×d, upper
 * half zeroed) and log det a into *logdet.  0 when a is not numerically
 * positive definite (a pivot not above 0, or not finite). */
static inline int strata_cholesky(const double *a, size_t d, double *l, double *logdet) {
  double ld = 0.0;
  memset(l, 0, d * d * sizeof *l);
  for (size_t j = 0; j < d; j++) {
    double s = a[j * d + j];
    for (size_t t = 0; t < j; t++) s -= l[j * d + t] * l[j * d + t];
    if (!(s > 0.0) || !isfinite(s)) return 0;
    double ljj = sqrt(s);
    l[j * d + j] = ljj;
    ld += 2.0 * log(ljj);
    for (size_t i = j + 1; i < d; i++) {
      double v = a[i * d + j];
      for (size_t t = 0; t < j; t++) v -= l[i * d + t] * l[j * d + t];
      l[i * d + j] = v / ljj;
    }
  }
  *logdet = ld;
  return 1;
}

#endif
