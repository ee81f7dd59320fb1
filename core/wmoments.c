/* Weighted column statistics (see wmoments.h). */
#include <math.h>
#include <stdlib.h>

#include "block.h"
#include "error.h"
#include "reduce.h"
#include "wmoments.h"

/* Words of one column's partial: three accumulators. */
#define WM_WORDS (3 * STRATA_XACC_WORDS)
/* A word takes 2^31 adds; a block adds at most 7 to each accumulator. */
#define WM_CARRY_BLOCKS (1u << 24)

strata_status strata_wmoments_set_init(strata_wmoments_set *s, size_t d, int workers) {
  s->d = d;
  s->workers = workers;
  size_t dd = d ? d : 1;
  s->part = calloc((size_t)workers * dd, sizeof *s->part);
  s->blocks = calloc((size_t)workers, sizeof *s->blocks);
  s->wmax = calloc((size_t)workers, sizeof *s->wmax);
  s->skip = calloc((size_t)workers * STRATA_BLOCK_ROWS, sizeof *s->skip);
  RETURN_IF(!s->part || !s->blocks || !s->wmax || !s->skip, STRATA_ERR_NOMEM,
            "out of memory for weighted column statistics");
  return STRATA_OK;
}

void strata_wmoments_set_free(strata_wmoments_set *s) {
  free(s->part); free(s->blocks); free(s->wmax); free(s->skip);
  s->part = NULL; s->blocks = NULL; s->wmax = NULL; s->skip = NULL;
}

void strata_wmoments_set_add(strata_wmoments_set *s, int worker, const float *x, const float *w, size_t rows,
                             int skip_incomplete) {
  const size_t d = s->d;
  uint8_t *skip = s->skip + (size_t)worker * STRATA_BLOCK_ROWS;
  double wmax = s->wmax[worker];
  for (size_t i = 0; i < rows; i++) {
    int out = 0;
    for (size_t j = 0; skip_incomplete && j < d; j++) out |= isnan(x[i * d + j]);
    skip[i] = (uint8_t)out;
    if (!out && w[i] > wmax) wmax = w[i];
  }
  s->wmax[worker] = wmax;
  strata_wmoment *part = s->part + (size_t)worker * d;
  for (size_t j = 0; j < d; j++) {
    double W = 0.0, S = 0.0;
    for (size_t i = 0; i < rows; i++) {
      float v = x[i * d + j];
      if (skip[i] || !isfinite(v)) continue;
      W += w[i];
      S += (double)w[i] * v;
    }
    if (W == 0.0) continue;
    double mean = S / W, m2 = 0.0, r = 0.0;
    for (size_t i = 0; i < rows; i++) {
      float v = x[i * d + j];
      if (skip[i] || !isfinite(v)) continue;
      double e = (double)v - mean;
      m2 += w[i] * e * e;
      r += w[i] * e;
    }
    strata_xacc_add(&part[j].w, W);
    strata_xacc_add_block_sum(&part[j].sum, W, mean, r);
    strata_xacc_add_block_products(&part[j].sq, W, mean, mean, r, r, m2);
  }
  if (++s->blocks[worker] == WM_CARRY_BLOCKS) {
    for (size_t j = 0; j < d; j++) {
      strata_xacc_carry(&part[j].w);
      strata_xacc_carry(&part[j].sum);
      strata_xacc_carry(&part[j].sq);
    }
    s->blocks[worker] = 0;
  }
}

strata_status strata_wmoments_set_total_comm(const strata_wmoments_set *s, const strata_comm *comm, double *weight,
                                             double *mean, double *var, double *wmax) {
  const size_t d = s->d;
  __int128 *words = calloc((d ? d : 1) * WM_WORDS, sizeof *words);
  RETURN_IF(!words, STRATA_ERR_NOMEM, "out of memory for weighted column statistics");
  double lo = 0.0, hi = 0.0;
  for (int t = 0; t < s->workers; t++) hi = fmax(hi, s->wmax[t]);
  for (size_t j = 0; j < d; j++) {
    strata_wmoment tot = s->part[j];
    for (int t = 1; t < s->workers; t++) {
      const strata_wmoment *p = &s->part[(size_t)t * d + j];
      strata_xacc_carry(&tot.w);
      strata_xacc_combine(&tot.w, &p->w);
      strata_xacc_carry(&tot.sum);
      strata_xacc_combine(&tot.sum, &p->sum);
      strata_xacc_carry(&tot.sq);
      strata_xacc_combine(&tot.sq, &p->sq);
    }
    strata_xacc_to_words(&tot.w, words + j * WM_WORDS);
    strata_xacc_to_words(&tot.sum, words + j * WM_WORDS + STRATA_XACC_WORDS);
    strata_xacc_to_words(&tot.sq, words + j * WM_WORDS + 2 * STRATA_XACC_WORDS);
  }
  strata_status st = strata_comm_sum_i128(comm, words, d * WM_WORDS);
  if (st == STRATA_OK) st = strata_comm_minmax(comm, &lo, &hi, 1);
  for (size_t j = 0; st == STRATA_OK && j < d; j++) {
    strata_xacc W, S, Q;
    strata_xacc_from_words(&W, words + j * WM_WORDS);
    strata_xacc_from_words(&S, words + j * WM_WORDS + STRATA_XACC_WORDS);
    strata_xacc_from_words(&Q, words + j * WM_WORDS + 2 * STRATA_XACC_WORDS);
    double wt = strata_xacc_round(&W);
    weight[j] = wt;
    if (!(wt > 0.0)) {
      mean[j] = var[j] = NAN;
      continue;
    }
    double m2 = strata_comoment(&Q, &S, &S, wt, &mean[j], NULL);
    var[j] = m2 > 0.0 ? m2 / wt : 0.0;
  }
  *wmax = hi;
  free(words);
  return st;
}
