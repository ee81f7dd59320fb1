/* LSD radix sort of float32 keys (see radix_sort.h). */
#include <stdint.h>
#include <string.h>

#include "radix_sort.h"

/* Order-preserving map of a float's bits to an unsigned key: negative
 * numbers have every bit flipped, positive ones only the sign bit. */
static inline uint32_t key_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u ^ (uint32_t)(-(int32_t)(u >> 31) | 0x80000000u);
}

static void insertion_sort(float *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    float x = v[i];
    uint32_t kx = key_of(x);
    size_t j = i;
    while (j > 0 && key_of(v[j - 1]) > kx) { v[j] = v[j - 1]; j--; }
    v[j] = x;
  }
}

void strata_radix_sort_floats(float *v, size_t n, float *tmp) {
  if (n < 48) { insertion_sort(v, n); return; }
  size_t hist[4][256];
  memset(hist, 0, sizeof hist);
  for (size_t i = 0; i < n; i++) {
    uint32_t k = key_of(v[i]);
    hist[0][k & 255]++;
    hist[1][(k >> 8) & 255]++;
    hist[2][(k >> 16) & 255]++;
    hist[3][k >> 24]++;
  }
  float *src = v, *dst = tmp;
  for (int pass = 0; pass < 4; pass++) {
    size_t *h = hist[pass];
    unsigned shift = 8u * (unsigned)pass;
    /* A byte every key shares orders nothing: skip the pass. */
    if (h[(key_of(src[0]) >> shift) & 255] == n) continue;
    size_t sum = 0;
    for (int b = 0; b < 256; b++) { size_t c = h[b]; h[b] = sum; sum += c; }
    for (size_t i = 0; i < n; i++) dst[h[(key_of(src[i]) >> shift) & 255]++] = src[i];
    float *t = src; src = dst; dst = t;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
}
