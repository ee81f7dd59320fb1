/* Exact, order-independent accumulation of float64 values: each value is
 * rounded once to a 128-bit fixed-point number at a per-column scale 2^-S
 * chosen from the statistics pass (so the largest possible total still
 * fits), and fixed-point numbers add exactly.  Threads, chunks and (later)
 * MPI ranks can therefore combine partial sums in any order and still get
 * the same bits — no ordered merge, no thread waiting on another. */
#ifndef STRATA_EXACT_H
#define STRATA_EXACT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef __int128 strata_fixed;

/* The scale exponent for a column whose values are at most `bound` in
 * magnitude, summed over at most `n` rows: the total stays below 2^125. */
static inline int strata_fixed_exponent(double bound, double n) {
  double total = bound * n;
  if (!(total > 0.0) || !isfinite(total)) return 64;
  int e = (int)ceil(log2(total)) + 1;
  int s = 125 - e;
  if (s > 1000) s = 1000;
  return s < -900 ? -900 : s;
}

/* `scaled` (= v * 2^S) truncated toward zero to an integer; |scaled| must be
 * below 2^125.  Works on the magnitude so both 64-bit halves come out
 * exactly, with two hardware conversions instead of the slow library call
 * for double -> __int128. */
static inline strata_fixed strata_to_fixed(double scaled) {
  double m = fabs(scaled);
  double hi = floor(m * 0x1.0p-64);
  double lo = m - hi * 0x1.0p64; /* exact: the bits of m below 2^64 */
  strata_fixed r = (strata_fixed)(((unsigned __int128)(uint64_t)hi << 64) | (uint64_t)lo);
  return scaled < 0 ? -r : r;
}

/* One exact sum as two halves: the layout of strata_fixed on a
 * little-endian machine without __int128's 16-byte alignment, for buffers a
 * device reads and writes (kernels.h run_end_pass, OpenCL's
 * reduce_sums_fixed). */
typedef struct {
  uint64_t lo;
  int64_t hi;
} strata_fixed128;

static inline strata_fixed strata_fixed_from128(const strata_fixed128 *h) {
  return (strata_fixed)(((unsigned __int128)(uint64_t)h->hi << 64) | h->lo);
}

/* *acc += v, exactly. */
static inline void strata_fixed128_add(strata_fixed128 *acc, strata_fixed v) {
  strata_fixed a = strata_fixed_from128(acc) + v;
  acc->lo = (uint64_t)a;
  acc->hi = (int64_t)(a >> 64);
}

static inline double strata_from_fixed(strata_fixed a, double inv_scale) {
  return (double)a * inv_scale;
}

/* acc[j] += fixed(v[j] * scale[j]) for j < d; scale[j] = 2^S_j. */
static inline void strata_fixed_add(strata_fixed *acc, const double *v, const double *scale, size_t d) {
  for (size_t j = 0; j < d; j++) acc[j] += strata_to_fixed(v[j] * scale[j]);
}

#endif
