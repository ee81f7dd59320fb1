/* Column statistics of one block (4096 rows, summed in row order, so
 * deterministic); blocks are totalled by the order-free reducer
 * (strata_moments, reduce.h), so the result depends on neither threads,
 * chunk size nor the order in which partials meet. */
#ifndef STRATA_STATS_H
#define STRATA_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t n;        /* finite values */
  uint64_t missing;  /* NaN */
  uint64_t inf;      /* +-Inf */
  double mean, m2;   /* m2 = sum of squared deviations from mean */
  double resid;      /* sum of (x - mean) in float64: what the rounded mean missed */
  double min, max;
} strata_colacc;

void strata_colacc_reset(strata_colacc *a, size_t d);

/* Accumulates rows×d row-major values into acc[0..d-1] (which must be
 * reset).  Non-finite values are counted, not accumulated.  When
 * `skip_incomplete` is set, rows holding any NaN are left out entirely and
 * counted in *skipped.  `tmp` holds 2·d doubles. */
void strata_colacc_block(strata_colacc *acc, const float *x, size_t rows, size_t d,
                         int skip_incomplete, uint64_t *skipped, double *tmp);

static inline double strata_colacc_var(const strata_colacc *a) {
  return a->n ? a->m2 / (double)a->n : 0.0;
}

#endif
