/* Column statistics: block accumulation and merging (the pass that runs
 * them over a dataset is core/dataset_stats.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

void strata_colacc_reset(strata_colacc *a, size_t d) {
  for (size_t j = 0; j < d; j++) {
    memset(&a[j], 0, sizeof a[j]);
    a[j].min = INFINITY;
    a[j].max = -INFINITY;
  }
}

static int row_has_nan(const float *xi, size_t d) {
  for (size_t j = 0; j < d; j++)
    if (isnan(xi[j])) return 1;
  return 0;
}

/* 1 when none of the n values is NaN or Inf (exponent bits all ones). */
static int all_finite(const float *x, size_t n) {
  uint32_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &x[i], sizeof u);
    bad |= (u & 0x7f800000u) == 0x7f800000u;
  }
  return !bad;
}

/* The common case, a block without NaN or Inf: the same sums in the same
 * order per column as the general loop below (so bit for bit the same
 * result), without its per-value branches, so the compiler vectorises
 * across columns.  Columns go in groups whose min and max stay on the stack. */
static void colacc_block_finite(strata_colacc *acc, const float *x, size_t rows, size_t d,
                                double *restrict sum) {
  enum { GROUP = 64 };
  float lo[GROUP], hi[GROUP];
  double mean[GROUP], resid[GROUP];
  for (size_t j0 = 0; j0 < d; j0 += GROUP) {
    const size_t w = d - j0 < GROUP ? d - j0 : GROUP;
    for (size_t j = 0; j < w; j++) {
      sum[j] = 0.0;
      lo[j] = acc[j0 + j].min < INFINITY ? (float)acc[j0 + j].min : INFINITY;
      hi[j] = acc[j0 + j].max > -INFINITY ? (float)acc[j0 + j].max : -INFINITY;
    }
    for (size_t i = 0; i < rows; i++) {
      const float *restrict xi = x + i * d + j0;
      for (size_t j = 0; j < w; j++) {
        const float v = xi[j];
        sum[j] += v;
        lo[j] = v < lo[j] ? v : lo[j];
        hi[j] = v > hi[j] ? v : hi[j];
      }
    }
    for (size_t j = 0; j < w; j++) {
      strata_colacc *a = &acc[j0 + j];
      a->n = rows;
      a->mean = rows > 0 ? sum[j] / (double)rows : 0.0;
      mean[j] = a->mean;
      if (lo[j] < a->min) a->min = lo[j];
      if (hi[j] > a->max) a->max = hi[j];
      sum[j] = 0.0;
      resid[j] = 0.0;
    }
    for (size_t i = 0; i < rows; i++) {
      const float *restrict xi = x + i * d + j0;
      for (size_t j = 0; j < w; j++) {
        const double t = xi[j] - mean[j];
        resid[j] += t;
        sum[j] += t * t;
      }
    }
    for (size_t j = 0; j < w; j++) {
      acc[j0 + j].m2 = sum[j];
      acc[j0 + j].resid = resid[j];
    }
  }
}

/* Two passes over the block while it is in cache: the block mean, then the
 * squared deviations from it — accurate even for large offsets — and their
 * plain sum (the residual the reducer needs to total blocks exactly). */
void strata_colacc_block(strata_colacc *acc, const float *x, size_t rows, size_t d,
                         int skip_incomplete, uint64_t *skipped, double *tmp) {
  if (all_finite(x, rows * d)) {
    colacc_block_finite(acc, x, rows, d, tmp);
    return;
  }
  double *sum = tmp, *cnt = tmp + d;
  memset(tmp, 0, 2 * d * sizeof *tmp);
  uint64_t skip = 0;
  for (size_t i = 0; i < rows; i++) {
    const float *xi = x + i * d;
    if (skip_incomplete && row_has_nan(xi, d)) { skip++; continue; }
    for (size_t j = 0; j < d; j++) {
      float v = xi[j];
      if (isfinite(v)) {
        sum[j] += v;
        cnt[j] += 1.0;
        if (v < acc[j].min) acc[j].min = v;
        if (v > acc[j].max) acc[j].max = v;
      } else if (isnan(v)) {
        acc[j].missing++;
      } else {
        acc[j].inf++;
      }
    }
  }
  for (size_t j = 0; j < d; j++) {
    acc[j].n = (uint64_t)cnt[j];
    acc[j].mean = cnt[j] > 0 ? sum[j] / cnt[j] : 0.0;
    sum[j] = 0.0; /* reused for m2 */
    cnt[j] = 0.0; /* reused for the residual */
  }
  for (size_t i = 0; i < rows; i++) {
    const float *xi = x + i * d;
    if (skip_incomplete && row_has_nan(xi, d)) continue;
    for (size_t j = 0; j < d; j++) {
      float v = xi[j];
      if (isfinite(v)) {
        double t = v - acc[j].mean;
        cnt[j] += t;
        sum[j] += t * t;
      }
    }
  }
  for (size_t j = 0; j < d; j++) {
    acc[j].m2 = sum[j];
    acc[j].resid = cnt[j];
  }
  if (skipped) *skipped += skip;
}
