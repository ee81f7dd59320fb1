/* The order-free reducer (see reduce.h). */
#include <stdlib.h>

#include "error.h"
#include "reduce.h"

/* The exact a - n * m rounded once. */
static double residual(const strata_xacc *a, double n, double m) {
  strata_xacc r = *a;
  double p = n * m;
  strata_xacc_sub(&r, p);
  strata_xacc_sub(&r, fma(n, m, -p));
  return strata_xacc_round(&r);
}

/* sab - mb (sa) - ma (sb) + n ma mb, with sa and sb each as two doubles
 * (their exact value to about 2^-106 relative): the co-moment about the
 * rounded means ma, mb, exact but for that last residual. */
double strata_comoment(const strata_xacc *sab, const strata_xacc *sa, const strata_xacc *sb, double n,
                       double *mean_a, double *mean_b) {
  if (n <= 0) {
    if (mean_a) *mean_a = 0.0;
    if (mean_b) *mean_b = 0.0;
    return 0.0;
  }
  double a_hi = strata_xacc_round(sa), b_hi = strata_xacc_round(sb);
  double ma = a_hi / n, mb = b_hi / n;
  double ca = residual(sa, n, ma), cb = sa == sb ? ca : residual(sb, n, mb);
  double a_lo = residual(sa, 1.0, a_hi), b_lo = sa == sb ? a_lo : residual(sb, 1.0, b_hi);
  strata_xacc x = *sab;
  strata_xacc_add_product(&x, -mb, a_hi);
  strata_xacc_add_product(&x, -mb, a_lo);
  strata_xacc_add_product(&x, -ma, b_hi);
  strata_xacc_add_product(&x, -ma, b_lo);
  double p = n * ma, e = fma(n, ma, -p);
  strata_xacc_add_product(&x, p, mb);
  strata_xacc_add_product(&x, e, mb);
  /* about the exact means: minus n (mean_a - ma)(mean_b - mb) */
  strata_xacc_sub(&x, ca * cb / n);
  if (mean_a) *mean_a = ma + ca / n;
  if (mean_b) *mean_b = mb + cb / n;
  return strata_xacc_round(&x);
}

/* ---- column statistics ---- */

void strata_moments_zero(strata_moments *m, size_t d) {
  for (size_t j = 0; j < d; j++) {
    memset(&m[j], 0, sizeof m[j]);
    m[j].min = INFINITY;
    m[j].max = -INFINITY;
  }
}

/* Blocks between carries: each adds at most 9 digits to a word, and a word
 * takes 2^31 before it could overflow. */
#define MOMENTS_CARRY_BLOCKS (1u << 20)

void strata_moments_add(strata_moments *m, const strata_colacc *block, size_t d) {
  for (size_t j = 0; j < d; j++) {
    strata_moments *a = &m[j];
    const strata_colacc *b = &block[j];
    a->missing += b->missing;
    a->inf += b->inf;
    if (b->n == 0) continue;
    double n = (double)b->n;
    a->n += b->n;
    if (b->min < a->min) a->min = b->min;
    if (b->max > a->max) a->max = b->max;
    strata_xacc_add_block_sum(&a->sum, n, b->mean, b->resid);
    strata_xacc_add_block_products(&a->sq, n, b->mean, b->mean, b->resid, b->resid, b->m2);
    if (++a->blocks == MOMENTS_CARRY_BLOCKS) {
      strata_xacc_carry(&a->sum);
      strata_xacc_carry(&a->sq);
      a->blocks = 0;
    }
  }
}

void strata_moments_combine(strata_moments *into, const strata_moments *b, size_t d) {
  for (size_t j = 0; j < d; j++) {
    strata_moments *a = &into[j];
    const strata_moments *c = &b[j];
    a->n += c->n;
    a->missing += c->missing;
    a->inf += c->inf;
    if (c->min < a->min) a->min = c->min;
    if (c->max > a->max) a->max = c->max;
    strata_xacc_combine(&a->sum, &c->sum);
    strata_xacc_combine(&a->sq, &c->sq);
    a->blocks += c->blocks;
    if (a->blocks >= MOMENTS_CARRY_BLOCKS) {
      strata_xacc_carry(&a->sum);
      strata_xacc_carry(&a->sq);
      a->blocks = 0;
    }
  }
}

void strata_moments_finish(const strata_moments *m, strata_colacc *out, size_t d) {
  for (size_t j = 0; j < d; j++) {
    const strata_moments *a = &m[j];
    strata_colacc *o = &out[j];
    o->n = a->n;
    o->missing = a->missing;
    o->inf = a->inf;
    o->min = a->min;
    o->max = a->max;
    o->resid = 0.0;
    o->mean = 0.0;
    o->m2 = 0.0;
    if (a->n == 0) continue;
    double m2 = strata_comoment(&a->sq, &a->sum, &a->sum, (double)a->n, &o->mean, NULL);
    o->m2 = m2 > 0.0 ? m2 : 0.0;
  }
}

strata_status strata_moments_set_init(strata_moments_set *s, size_t d, int workers) {
  memset(s, 0, sizeof *s);
  s->d = d;
  s->workers = workers;
  size_t dd = d ? d : 1, w = (size_t)workers;
  s->part = malloc(w * dd * sizeof *s->part);
  s->block = calloc(w * dd, sizeof *s->block);
  s->tmp = calloc(w * 2 * dd, sizeof *s->tmp);
  if (!s->part || !s->block || !s->tmp) {
    strata_moments_set_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for column statistics");
  }
  strata_moments_set_zero(s);
  return STRATA_OK;
}

void strata_moments_set_free(strata_moments_set *s) {
  free(s->part);
  free(s->block);
  free(s->tmp);
  memset(s, 0, sizeof *s);
}

void strata_moments_set_zero(strata_moments_set *s) {
  strata_moments_zero(s->part, (size_t)s->workers * s->d);
}

const strata_colacc *strata_moments_set_add(strata_moments_set *s, int worker, const float *x, size_t rows,
                                            int skip_incomplete, uint64_t *skipped) {
  size_t off = (size_t)worker * s->d;
  strata_colacc *b = s->block + off;
  strata_colacc_reset(b, s->d);
  strata_colacc_block(b, x, rows, s->d, skip_incomplete, skipped, s->tmp + 2 * off);
  strata_moments_add(s->part + off, b, s->d);
  return b;
}

strata_status strata_moments_set_total(const strata_moments_set *s, strata_colacc *out) {
  return strata_moments_set_total_comm(s, NULL, out);
}

/* Per column: n, missing, inf, then the words of sum and sq. */
#define MOMENT_WORDS (3 + 2 * STRATA_XACC_WORDS)

strata_status strata_moments_allreduce(const strata_comm *comm, strata_moments *m, size_t d) {
  if (strata_comm_size(comm) == 1 || d == 0) return STRATA_OK;
  __int128 *w = malloc(d * MOMENT_WORDS * sizeof *w);
  double *lo = malloc(2 * d * sizeof *lo);
  if (!w || !lo) {
    free(w); free(lo);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for column statistics");
  }
  double *hi = lo + d;
  for (size_t j = 0; j < d; j++) {
    __int128 *c = w + j * MOMENT_WORDS;
    c[0] = m[j].n; c[1] = m[j].missing; c[2] = m[j].inf;
    strata_xacc_to_words(&m[j].sum, c + 3);
    strata_xacc_to_words(&m[j].sq, c + 3 + STRATA_XACC_WORDS);
    lo[j] = m[j].min;
    hi[j] = m[j].max;
  }
  strata_status st = strata_comm_sum_i128(comm, w, d * MOMENT_WORDS);
  if (st == STRATA_OK) st = strata_comm_minmax(comm, lo, hi, d);
  for (size_t j = 0; st == STRATA_OK && j < d; j++) {
    const __int128 *c = w + j * MOMENT_WORDS;
    m[j].n = (uint64_t)c[0]; m[j].missing = (uint64_t)c[1]; m[j].inf = (uint64_t)c[2];
    strata_xacc_from_words(&m[j].sum, c + 3);
    strata_xacc_from_words(&m[j].sq, c + 3 + STRATA_XACC_WORDS);
    m[j].blocks = 0; /* carried */
    m[j].min = lo[j];
    m[j].max = hi[j];
  }
  free(w);
  free(lo);
  return st;
}

strata_status strata_moments_set_total_comm(const strata_moments_set *s, const strata_comm *comm,
                                            strata_colacc *out) {
  strata_moments *total = malloc((s->d ? s->d : 1) * sizeof *total);
  RETURN_IF(!total, STRATA_ERR_NOMEM, "out of memory for column statistics");
  strata_moments_zero(total, s->d);
  for (int w = 0; w < s->workers; w++) strata_moments_combine(total, s->part + (size_t)w * s->d, s->d);
  strata_status st = strata_moments_allreduce(comm, total, s->d);
  if (st == STRATA_OK) strata_moments_finish(total, out, s->d);
  free(total);
  return st;
}
