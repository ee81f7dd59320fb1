/* The transform pass (transform_fit.h). */
#include <math.h>
#include <stdlib.h>

#include "comm.h"
#include "ctx.h"
#include "dataset.h"
#include "error.h"
#include "pass.h"
#include "quantile.h"
#include "sample.h"
#include "transform_fit.h"

typedef struct {
  size_t d;
  const strata_transform *tf;
  int clip, yj, age;   /* any column of each kind */
  double *max_t;       /* per thread, d: the largest finite value (age-days) */
  float *sorted;       /* per thread, STRATA_BLOCK_ROWS */
  strata_qtree tree;
  strata_sample sample;
} tf_pass;

static strata_status tf_block(void *vctx, const strata_block *b, int t) {
  tf_pass *c = vctx;
  if (c->yj) strata_sample_take(&c->sample, b->x, NULL, b->row0, b->m);
  for (size_t j = 0; c->age && j < c->d; j++) {
    if (c->tf[j].kind != STRATA_TRANSFORM_AGE_DAYS) continue;
    double *mx = &c->max_t[(size_t)t * c->d + j];
    for (size_t i = 0; i < b->m; i++) {
      float v = b->x[i * c->d + j];
      if (isfinite(v) && !((double)v <= *mx)) *mx = v;
    }
  }
  if (!c->clip) return STRATA_OK;
  strata_qsketch *leaf = strata_qsketch_array_new(c->d);
  RETURN_IF(!leaf, STRATA_ERR_NOMEM, "out of memory for the clip sketches");
  float *sorted = c->sorted + (size_t)t * STRATA_BLOCK_ROWS;
  strata_status st = STRATA_OK;
  for (size_t j = 0; j < c->d && st == STRATA_OK; j++)
    if (c->tf[j].kind == STRATA_TRANSFORM_CLIP)
      st = strata_qsketch_add_sorted(&leaf[j], sorted, strata_sort_finite_column(b->x, b->m, c->d, j, sorted));
  if (st != STRATA_OK) {
    strata_qsketch_array_free(leaf, c->d);
    return st;
  }
  return strata_qtree_add(&c->tree, b->index, leaf);
}

/* Lambda of column j from the sample's finite values. */
static strata_status fit_yj(const tf_pass *c, size_t j, const char *name, strata_transform *t) {
  double *x = malloc((c->sample.m ? c->sample.m : 1) * sizeof *x);
  RETURN_IF(!x, STRATA_ERR_NOMEM, "out of memory for the yeo-johnson sample");
  size_t n = 0;
  for (size_t i = 0; i < c->sample.m; i++) {
    float v = c->sample.x[i * c->d + j];
    if (isfinite(v)) x[n++] = (double)v;
  }
  t->lambda = n ? strata_yeo_johnson_lambda(x, n) : NAN;
  free(x);
  RETURN_IF(n == 0, STRATA_ERR_DATA, "column '%s' has no value to fit yeo-johnson's lambda on", name);
  RETURN_IF(!isfinite(t->lambda), STRATA_ERR_NOMEM, "out of memory fitting yeo-johnson's lambda of '%s'", name);
  return STRATA_OK;
}

strata_status strata_transforms_fit(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows, uint64_t seed,
                                    const char *const *names, strata_transform *tf, size_t d) {
  tf_pass c = {.d = d, .tf = tf};
  for (size_t j = 0; j < d; j++) {
    c.clip |= tf[j].kind == STRATA_TRANSFORM_CLIP;
    c.yj |= tf[j].kind == STRATA_TRANSFORM_YEO_JOHNSON;
    c.age |= tf[j].kind == STRATA_TRANSFORM_AGE_DAYS;
  }
  if (!c.clip && !c.yj && !c.age) return STRATA_OK;
  /* Several ranks each read their own blocks: the sample is OR-ed (each
   * row filled by the rank that read it), the maxima reduced, the clip
   * sketches merged on rank 0, which gives every rank the percentiles. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  int ranks = strata_comm_size(comm);
  int T = strata_threads_resolve(strata_ctx_threads(ctx));
  /* A maximum is order-free: per thread, then over threads. */
  if (c.age) {
    c.max_t = malloc((size_t)T * (d ? d : 1) * sizeof *c.max_t);
    RETURN_IF(!c.max_t, STRATA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < (size_t)T * d; i++) c.max_t[i] = NAN;
  }
  strata_status st = STRATA_OK;
  strata_qsketch *sk = NULL;
  strata_pass *raw = NULL;
  if (c.yj)
    st = strata_sample_choose(&c.sample, strata_dataset_rows(ds), STRATA_TRANSFORM_SAMPLE, d, seed ^ 0x79656f6a6fULL);
  if (st == STRATA_OK && c.clip) {
    c.sorted = malloc((size_t)T * STRATA_BLOCK_ROWS * sizeof *c.sorted);
    sk = strata_qsketch_array_new(d);
    if (!c.sorted || !sk) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the clip sketches");
    if (st == STRATA_OK) st = strata_qtree_init(&c.tree, d);
  }
  if (st == STRATA_OK) st = strata_pass_open(ctx, ds, NULL, chunk_rows, 0, &raw);
  if (st == STRATA_OK) {
    strata_pass_fns fns = {.block = tf_block, .ctx = &c};
    st = strata_pass_run(raw, &fns);
  }
  /* Agreed first, so that no rank waits in a collective for one that left. */
  st = strata_comm_agree(comm, st);
  if (st == STRATA_OK && c.yj) st = strata_comm_or(comm, c.sample.x, c.sample.m * d * sizeof *c.sample.x);
  if (st == STRATA_OK && c.clip) st = strata_qtree_gather(&c.tree, comm);
  if (st == STRATA_OK && c.clip && strata_comm_rank(comm) == 0) st = strata_qtree_finish(&c.tree, sk);
  if (st == STRATA_OK && c.age && ranks > 1) {
    /* -inf stands for "no value" in the reduction (MPI_MAX and NaN). */
    double *lo = malloc(2 * (d ? d : 1) * sizeof *lo);
    st = strata_comm_agree(comm, lo ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory"));
    for (size_t j = 0; st == STRATA_OK && j < d; j++) {
      double m = -INFINITY;
      for (int w = 0; w < T; w++) {
        double v = c.max_t[(size_t)w * d + j];
        if (isfinite(v) && v > m) m = v;
      }
      lo[j] = 0;
      lo[d + j] = m;
    }
    if (st == STRATA_OK) st = strata_comm_minmax(comm, lo, lo + d, d);
    for (size_t j = 0; st == STRATA_OK && j < d; j++) {
      c.max_t[j] = isfinite(lo[d + j]) ? lo[d + j] : NAN;
      for (int w = 1; w < T; w++) c.max_t[(size_t)w * d + j] = NAN;
    }
    free(lo);
  }
  for (size_t j = 0; j < d && st == STRATA_OK; j++) {
    strata_transform *t = &tf[j];
    if (t->kind == STRATA_TRANSFORM_YEO_JOHNSON) {
      st = fit_yj(&c, j, names[j], t);
    } else if (t->kind == STRATA_TRANSFORM_CLIP && strata_comm_rank(comm) == 0) {
      t->lo = strata_qsketch_quantile_linear(&sk[j], t->p_lo / 100.0);
      t->hi = strata_qsketch_quantile_linear(&sk[j], t->p_hi / 100.0);
      if (!isfinite(t->lo) || !isfinite(t->hi))
        st = strata_fail(STRATA_ERR_DATA, "column '%s' has no value to take clip's percentiles from", names[j]);
    } else if (t->kind == STRATA_TRANSFORM_AGE_DAYS) {
      t->lo = NAN;
      for (int w = 0; w < T; w++) {
        double v = c.max_t[(size_t)w * d + j];
        if (isfinite(v) && !(v <= t->lo)) t->lo = v;
      }
      if (!isfinite(t->lo)) st = strata_fail(STRATA_ERR_DATA, "column '%s' has no date to measure ages from", names[j]);
    }
  }
  /* Rank 0's clip percentiles to every rank. */
  if (c.clip && ranks > 1) {
    st = strata_comm_agree(comm, st);
    for (size_t j = 0; j < d && st == STRATA_OK; j++)
      if (tf[j].kind == STRATA_TRANSFORM_CLIP) {
        double lh[2] = {tf[j].lo, tf[j].hi};
        st = strata_comm_bcast(comm, lh, sizeof lh, 0);
        tf[j].lo = lh[0];
        tf[j].hi = lh[1];
      }
  }
  st = strata_comm_agree(comm, st);
  strata_pass_free(raw);
  free(c.sorted);
  free(c.max_t);
  if (c.tree.lock) strata_qtree_free(&c.tree);
  strata_qsketch_array_free(sk, d);
  strata_sample_free(&c.sample);
  return st;
}
