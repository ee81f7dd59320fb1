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

/* The most that one row may add, scaled, to a sum on a grid that
 * strata_fixed_exponent chose for `n` rows: twice what a row within the
 * bound adds.  A sum of at most n rows each held to it stays within 2^125,
 * so neither a conversion nor an addition of __int128 can overflow, whatever
 * the values; a value past it (a pass that read other values than the pass
 * that chose the bound: the input changed or is corrupt) must be refused,
 * not converted. */
static inline double strata_fixed_row_limit(double n) { return ldexp(1.0, 125) / (n > 1.0 ? n : 1.0); }

/* What a caller says (STRATA_ERR_DATA) when a value passed the limit. */
#define STRATA_FIXED_OFF_GRID                                                                                 \
  "a pass read a value far past its column's range in the first pass (the input changed while it was read, " \
  "or it is corrupt)"

/* Whether `scaled`, the sum of `rows` rows' values, keeps to the rows'
 * limit (false for NaN). */
static inline int strata_fixed_fits(double scaled, double rows, double row_limit) {
  return fabs(scaled) <= fmin(rows * row_limit, 0x1.0p125);
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

/* acc[j] += fixed(v[j] * scale[j]) for j < d; scale[j] = 2^S_j; v the sums
 * of `rows` rows.  Returns 0, leaving a column's sum as it was, when a scaled
 * value passes the rows' limit (strata_fixed_row_limit). */
static inline int strata_fixed_add(strata_fixed *acc, const double *v, const double *scale, size_t d, double rows,
                                   double row_limit) {
  int ok = 1;
  for (size_t j = 0; j < d; j++) {
    double scaled = v[j] * scale[j];
    if (strata_fixed_fits(scaled, rows, row_limit))
      acc[j] += strata_to_fixed(scaled);
    else
      ok = 0;
  }
  return ok;
}

#endif
