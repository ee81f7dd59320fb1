/* The order-free reducer: every pass that merges per-block results goes
 * through values with zero / add a block / combine / finish whose result
 * does not depend on how blocks are split between workers (threads now,
 * MPI ranks next) nor on the order in which partials are combined.
 *
 * strata_xacc is an exact accumulator of float64 values: 32-bit digits held
 * in int64 words, digit i weighing 2^(32i + STRATA_XACC_LOW), the top three
 * words left for carries.  Adding a
 * double touches three words; combining two partials is a word-wise integer
 * add (what MPI_SUM does to an int64 array), so any grouping gives the same
 * integers, and rounding happens once, at the end.  The range 2^-416 ..
 * 2^370 covers every sum the passes form from float32 data (values up to
 * 2^128, their squares times 2^40 rows); parts below 2^-416 are truncated
 * (the same way in every partial, so still order-free), values outside are
 * counted and turn the result into NaN.  A word takes 2^31 adds before it
 * could overflow; strata_moments_add carries well before that.
 *
 * strata_moments (column statistics) and the co-moment finish (covariance)
 * build on it: a block contributes its count, mean, sum of squared
 * deviations M2 and residual r = sum(x - mean) computed in float64 over its
 * 4096 rows (in row order, so deterministic), and the reducer keeps
 * sum x = sum(n_b mean_b + r_b) and sum x^2 = sum(M2_b + n_b mean_b^2 +
 * 2 mean_b r_b) exactly (products split with fma).  The total M2 is then
 * sum x^2 - (sum x)^2 / n, formed exactly about the rounded mean and
 * rounded once: more accurate than Chan's left fold, and order-free. */
#ifndef STRATA_REDUCE_H
#define STRATA_REDUCE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stats.h"
#include "strata.h"

#define STRATA_XACC_DIGITS 26
#define STRATA_XACC_LOW (-416)

typedef struct {
  int64_t digit[STRATA_XACC_DIGITS];
  int64_t bad; /* values that were NaN, infinite or beyond the range */
} strata_xacc;

static inline void strata_xacc_zero(strata_xacc *a) { memset(a, 0, sizeof *a); }

/* a += v exactly (truncated below 2^-416). */
static inline void strata_xacc_add(strata_xacc *a, double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  int bexp = (int)((u >> 52) & 0x7ff);
  uint64_t mant = u & ((UINT64_C(1) << 52) - 1);
  if (bexp == 0x7ff) { a->bad++; return; }
  if (bexp == 0) bexp = 1; /* subnormal: no hidden bit */
  else mant |= UINT64_C(1) << 52;
  if (mant == 0) return;
  int pos = bexp - 1075 - STRATA_XACC_LOW; /* bit position of mant's bit 0 */
  if (pos < 0) {
    if (pos <= -53) return;
    mant >>= -pos;
    pos = 0;
  }
  int w = pos >> 5;
  if (w + 2 >= STRATA_XACC_DIGITS - 1) { a->bad++; return; }
  unsigned __int128 t = (unsigned __int128)mant << (pos & 31);
  int64_t d0 = (int64_t)(uint32_t)t, d1 = (int64_t)(uint32_t)(t >> 32), d2 = (int64_t)(t >> 64);
  if (u >> 63) { d0 = -d0; d1 = -d1; d2 = -d2; }
  a->digit[w] += d0;
  a->digit[w + 1] += d1;
  a->digit[w + 2] += d2;
}

/* a += x * y exactly: the rounded product and its rounding error (fma). */
static inline void strata_xacc_add_product(strata_xacc *a, double x, double y) {
  double p = x * y;
  strata_xacc_add(a, p);
  strata_xacc_add(a, fma(x, y, -p));
}

/* into += b: word by word, in any order. */
static inline void strata_xacc_combine(strata_xacc *into, const strata_xacc *b) {
  for (int i = 0; i < STRATA_XACC_DIGITS; i++) into->digit[i] += b->digit[i];
  into->bad += b->bad;
}

/* Carries so that digits 0..top-1 lie in [0, 2^32); the value is kept. */
void strata_xacc_carry(strata_xacc *a);
/* The value rounded once to the nearest double (ties to even). */
double strata_xacc_round(const strata_xacc *a);
/* a -= v: adds -v. */
static inline void strata_xacc_sub(strata_xacc *a, double v) { strata_xacc_add(a, -v); }

/* The centred co-moment sum (x_a - mean_a)(x_b - mean_b) from the exact
 * sums sab = sum x_a x_b, sa = sum x_a, sb = sum x_b over n values; the
 * means are returned in *mean_a, *mean_b (either may be NULL).  With
 * sa == sb and sab the sum of squares: M2 of one column. */
double strata_comoment(const strata_xacc *sab, const strata_xacc *sa, const strata_xacc *sb, double n,
                       double *mean_a, double *mean_b);

/* ---- column statistics (counts, min, max, mean, M2) ---- */

typedef struct {
  uint64_t n, missing, inf;
  double min, max;
  uint64_t blocks;   /* blocks added since the last carry */
  strata_xacc sum;   /* sum x */
  strata_xacc sq;    /* sum x^2 */
} strata_moments;

void strata_moments_zero(strata_moments *m, size_t d);
/* Adds one block's column statistics (strata_colacc_block, d columns). */
void strata_moments_add(strata_moments *m, const strata_colacc *block, size_t d);
void strata_moments_combine(strata_moments *into, const strata_moments *b, size_t d);
/* The totals as column statistics (mean, m2 about it). */
void strata_moments_finish(const strata_moments *m, strata_colacc *out, size_t d);

/* Per-worker partials of d columns' statistics for a pass: a block goes
 * through strata_colacc_block into the worker's scratch and is added to the
 * worker's partial; the total combines the partials. */
typedef struct {
  size_t d;
  int workers;
  strata_moments *part; /* workers × d */
  strata_colacc *block; /* workers × d: the worker's current block */
  double *tmp;          /* workers × 2d */
} strata_moments_set;

strata_status strata_moments_set_init(strata_moments_set *s, size_t d, int workers);
void strata_moments_set_free(strata_moments_set *s);
void strata_moments_set_zero(strata_moments_set *s);
/* Adds rows×d values (strata_colacc_block's arguments) to `worker`'s
 * partial; returns the block's own statistics (valid until its next call). */
const strata_colacc *strata_moments_set_add(strata_moments_set *s, int worker, const float *x, size_t rows,
                                            int skip_incomplete, uint64_t *skipped);
/* The total of every partial, finished into out[0..d-1]. */
strata_status strata_moments_set_total(const strata_moments_set *s, strata_colacc *out);

/* The terms of sum x_a x_b over one block from its means, co-moment about
 * them and residuals: c_ab + n mean_a mean_b + mean_a r_b + mean_b r_a. */
static inline void strata_xacc_add_block_products(strata_xacc *s, double n, double mean_a, double mean_b,
                                                  double r_a, double r_b, double c_ab) {
  strata_xacc_add(s, c_ab);
  double p = n * mean_a, e = fma(n, mean_a, -p); /* n mean_a = p + e exactly */
  strata_xacc_add_product(s, p, mean_b);
  strata_xacc_add_product(s, e, mean_b);
  strata_xacc_add_product(s, mean_a, r_b);
  strata_xacc_add_product(s, mean_b, r_a);
}

/* The terms of sum x over one block: n mean + r. */
static inline void strata_xacc_add_block_sum(strata_xacc *s, double n, double mean, double r) {
  strata_xacc_add_product(s, n, mean);
  strata_xacc_add(s, r);
}

#endif
