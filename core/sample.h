/* A seeded uniform sample of rows, picked before the statistics pass and
 * filled during it, for initialisation (k-means++, random). */
#ifndef STRATA_SAMPLE_H
#define STRATA_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "scaler.h"

typedef struct {
  size_t m;        /* rows in the sample (after finish: rows kept) */
  size_t d;
  uint64_t *rows;  /* m distinct input row indices, increasing */
  float *x;        /* m×d: raw values while filling, scaled after finish */
  float *w;        /* m row weights (strata_sample_want_weights), else NULL */
} strata_sample;

/* Picks min(m, n) distinct rows of n uniformly with the seed. */
strata_status strata_sample_choose(strata_sample *s, size_t n, size_t m, size_t d, uint64_t seed);
/* The sample also keeps each row's weight (zeroed, filled by take). */
strata_status strata_sample_want_weights(strata_sample *s);
/* Copies the sampled rows that fall in [row0, row0+rows) from a raw block
 * (and their weights from w, when the sample keeps them).  Safe to call
 * concurrently for disjoint blocks. */
void strata_sample_take(strata_sample *s, const float *raw, const float *w, size_t row0, size_t rows);
/* Scales the sample in place with the missing rule (dropped rows leave it). */
strata_status strata_sample_finish(strata_sample *s, const strata_scaler *sc);
void strata_sample_free(strata_sample *s);

/* Number of distinct rows among x (m×d), comparing bit patterns. */
size_t strata_count_distinct_rows(const float *x, size_t m, size_t d);

#endif
