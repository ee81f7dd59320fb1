/* PCA of a wide table through the Gram matrix (pca.h, strata_pca_gram). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pca.h"

strata_status strata_pca_gram(const float *x, size_t m, size_t d, size_t ncomp, int threads, double *mean,
                              double *values, double *vectors, double *total) {
  RETURN_IF(m < 2 || ncomp > m - 1, STRATA_ERR_INTERNAL, "strata_pca_gram: %zu components of %zu rows", ncomp, m);
  double *xc = malloc(m * d * sizeof *xc), *g = malloc(m * m * sizeof *g);
  double *lam = malloc(m * sizeof *lam), *u = malloc(m * m * sizeof *u);
  strata_status st = STRATA_OK;
  if (!xc || !g || !lam || !u) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA of %zu rows × %zu columns", m, d);
    goto done;
  }
  for (size_t j = 0; j < d; j++) {
    double s = 0.0;
    for (size_t i = 0; i < m; i++) s += x[i * d + j];
    mean[j] = s / (double)m;
  }
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) xc[i * d + j] = (double)x[i * d + j] - mean[j];
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (size_t a = 0; a < m; a++)
    for (size_t b = a; b < m; b++) {
      double s = 0.0;
      for (size_t j = 0; j < d; j++) s += xc[a * d + j] * xc[b * d + j];
      g[a * m + b] = g[b * m + a] = s;
    }
  double tr = 0.0;
  for (size_t a = 0; a < m; a++) tr += g[a * m + a];
  *total = tr / (double)(m - 1);
  if ((st = strata_sym_eigen(g, m, lam, u)) != STRATA_OK) goto done;
  for (size_t c = 0; c < ncomp; c++) {
    double l = lam[c] > 0.0 ? lam[c] : 0.0;
    values[c] = l / (double)(m - 1);
    double *v = vectors + c * d, norm = 0.0;
    for (size_t j = 0; j < d; j++) {
      double s = 0.0;
      for (size_t i = 0; i < m; i++) s += xc[i * d + j] * u[c * m + i];
      v[j] = s;
      norm += s * s;
    }
    /* sqrt(lambda) in exact arithmetic; the computed norm keeps the vector
     * unit where lambda is tiny.  A direction of no variance stays 0. */
    norm = sqrt(norm);
    size_t big = 0;
    for (size_t j = 0; j < d; j++) {
      v[j] = norm > 0.0 ? v[j] / norm : 0.0;
      if (fabs(v[j]) > fabs(v[big])) big = j;
    }
    if (v[big] < 0.0)
      for (size_t j = 0; j < d; j++) v[j] = -v[j];
  }
done:
  free(xc); free(g); free(lam); free(u);
  return st;
}
