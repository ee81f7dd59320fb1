/* The exact accumulator (see xacc.h). */
#include "xacc.h"

void strata_xacc_carry(strata_xacc *a) {
  for (int i = 0; i + 1 < STRATA_XACC_DIGITS; i++) {
    int64_t c = a->digit[i] >> 32; /* arithmetic: floor division by 2^32 */
    a->digit[i] -= c * ((int64_t)1 << 32);
    a->digit[i + 1] += c;
  }
}

/* Magnitude digits (each in [0, 2^32) after carrying) to the nearest
 * double: the top 64 significant bits with a sticky bit for the rest, so
 * the one conversion to double rounds correctly. */
static double round_magnitude(const int64_t *g) {
  int h = STRATA_XACC_DIGITS - 1;
  while (h >= 0 && g[h] == 0) h--;
  if (h < 0) return 0.0;
  unsigned __int128 t = 0;
  for (int i = h; i >= h - 2; i--) t = (t << 32) | (uint32_t)(i >= 0 ? g[i] : 0);
  /* the top digit may exceed 32 bits only in the carry words, never here
   * for values in range */
  int sticky = 0;
  for (int i = h - 3; i >= 0; i--) sticky |= g[i] != 0;
  int lead = 0;
  uint64_t top = (uint64_t)(t >> 64);
  if (top) lead = 64 + (63 - __builtin_clzll(top));
  else lead = 63 - __builtin_clzll((uint64_t)t);
  int shift = 127 - lead;
  t <<= shift;
  uint64_t hi = (uint64_t)(t >> 64);
  hi |= (uint64_t)(((uint64_t)t != 0) | sticky);
  int scale = 32 * (h - 2) + STRATA_XACC_LOW + 64 - shift;
  return ldexp((double)hi, scale);
}

double strata_xacc_round(const strata_xacc *a) {
  if (a->bad) return NAN;
  strata_xacc c = *a;
  strata_xacc_carry(&c);
  int neg = c.digit[STRATA_XACC_DIGITS - 1] < 0;
  if (neg) {
    for (int i = 0; i < STRATA_XACC_DIGITS; i++) c.digit[i] = -c.digit[i];
    strata_xacc_carry(&c);
  }
  double v = round_magnitude(c.digit);
  return neg ? -v : v;
}
