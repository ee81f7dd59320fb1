/* A mergeable, deterministic quantile sketch (a stack of compactors, as in
 * Manku–Rajagopalan–Lindsay / KLL without the randomness): level h holds
 * sorted values of weight 2^h; a full level keeps every other value (the
 * offset alternates per level) and passes them up.  Merging in a fixed order
 * gives the same sketch every run.  Rank error is at most
 * sum_h compactions(h) * 2^h; with STRATA_QSKETCH_K = 4096 it stays below
 * about 0.1% of n for n up to 1e9 on smooth data (tests/test_quantile.c). */
#ifndef STRATA_QUANTILE_H
#define STRATA_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#define STRATA_QSKETCH_K 4096
#define STRATA_QSKETCH_LEVELS 48

typedef struct {
  float *level[STRATA_QSKETCH_LEVELS]; /* sorted, capacity 2K each (allocated on demand) */
  size_t count[STRATA_QSKETCH_LEVELS];
  unsigned parity;                      /* bit h: offset of the next compaction at level h */
  uint64_t n;                           /* values added */
} strata_qsketch;

void strata_qsketch_init(strata_qsketch *s);
void strata_qsketch_free(strata_qsketch *s);
/* Adds `count` values that are already sorted ascending (weight 1 each).
 * The caller sorts a block in parallel; this merge is linear. */
strata_status strata_qsketch_add_sorted(strata_qsketch *s, const float *v, size_t count);
/* The value at quantile q in [0, 1] (q = 0.5: the median); NaN when empty. */
double strata_qsketch_quantile(const strata_qsketch *s, double q);

/* Sorts finite values of column j of a rows×d block into out; returns count. */
size_t strata_sort_finite_column(const float *x, size_t rows, size_t d, size_t j, float *out);

#endif
