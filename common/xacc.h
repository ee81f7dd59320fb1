/* An exact accumulator of float64 values, order-free: the base of every
 * reduction that must give the same bits however its terms are split
 * (threads, MPI ranks, a device's host side) or grouped.
 *
 * 32-bit digits held in int64 words, digit i weighing
 * 2^(32i + STRATA_XACC_LOW), the top three words left for carries.  Adding
 * a double touches three words; combining two partials is a word-wise integer
 * add (what MPI_SUM does to an int64 array), so any grouping gives the same
 * integers, and rounding happens once, at the end.  The range 2^-416 ..
 * 2^370 covers every sum the passes form from float32 data (values up to
 * 2^128, their squares times 2^40 rows); parts below 2^-416 are truncated
 * (the same way in every partial, so still order-free), values outside are
 * counted and turn the result into NaN.  A word takes 2^31 adds before it
 * could overflow: a caller that adds more carries first (strata_xacc_carry;
 * core/reduce.c does it per block).
 */
#ifndef STRATA_XACC_H
#define STRATA_XACC_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
/* The accumulator as STRATA_XACC_WORDS 128-bit integers, carried first
 * so that each word is small: integers that other processes' words can be
 * added to (strata_comm_sum_i128) in any order, and read back. */
#define STRATA_XACC_WORDS (STRATA_XACC_DIGITS + 1)
static inline void strata_xacc_to_words(strata_xacc *a, __int128 *w) {
  strata_xacc_carry(a);
  for (int i = 0; i < STRATA_XACC_DIGITS; i++) w[i] = a->digit[i];
  w[STRATA_XACC_DIGITS] = a->bad;
}
static inline void strata_xacc_from_words(strata_xacc *a, const __int128 *w) {
  for (int i = 0; i < STRATA_XACC_DIGITS; i++) a->digit[i] = (int64_t)w[i];
  a->bad = (int64_t)w[STRATA_XACC_DIGITS];
}
/* a -= v: adds -v. */
static inline void strata_xacc_sub(strata_xacc *a, double v) { strata_xacc_add(a, -v); }

#endif
