/* The statistics pass and what follows from it (see fit_prepare.h); moved
 * here from core/kmeans.c so that strata_sweep shares it. */
#include <math.h>
#include <stdlib.h>

#include "comm.h"
#include "error.h"
#include "fit_prepare.h"
#include "dataset.h"
#include "pass.h"

/* Names the first non-finite value a block may not hold. */
static strata_status check_block_values(const strata_fit_stats *c, const strata_block *b,
                                        const strata_colacc *a) {
  int bad = 0;
  for (size_t j = 0; j < c->d; j++)
    bad |= a[j].inf > 0 || (c->missing == STRATA_MISSING_ERROR && a[j].missing > 0);
  if (!bad) return STRATA_OK;
  for (size_t i = 0; i < b->m; i++)
    for (size_t j = 0; j < c->d; j++) {
      float v = b->x[i * c->d + j];
      if (isinf(v))
        return strata_fail(STRATA_ERR_DATA, "column '%s' has an infinite value at row %zu",
                           c->names[j], b->row0 + i);
      if (isnan(v) && c->missing == STRATA_MISSING_ERROR)
        return strata_fail(STRATA_ERR_DATA,
                           "column '%s' has a missing value (NaN) at row %zu; "
                           "use --missing drop or --missing mean",
                           c->names[j], b->row0 + i);
    }
  return STRATA_OK;
}

/* Sorts each column of the block into a leaf of the merge tree. */
static strata_status sketch_block(strata_fit_stats *c, const strata_block *b, int t) {
  strata_qsketch *leaf = strata_qsketch_array_new(c->d);
  RETURN_IF(!leaf, STRATA_ERR_NOMEM, "out of memory for the median sketches");
  float *sorted = c->sorted + (size_t)t * STRATA_BLOCK_ROWS;
  strata_status st = STRATA_OK;
  for (size_t j = 0; j < c->d && st == STRATA_OK; j++)
    st = strata_qsketch_add_sorted(&leaf[j], sorted, strata_sort_finite_column(b->x, b->m, c->d, j, sorted));
  if (st != STRATA_OK) {
    strata_qsketch_array_free(leaf, c->d);
    return st;
  }
  return strata_qtree_add(&c->tree, b->index, leaf);
}

static strata_status fit_stats_block(void *vctx, const strata_block *raw, int t) {
  strata_fit_stats *c = vctx;
  /* The samples keep raw rows (the scaler transforms them later); the
   * statistics are of the transformed values. */
  if (c->sample) strata_sample_take(c->sample, raw->x, raw->w, raw->row0, raw->m);
  if (c->sample2) strata_sample_take(c->sample2, raw->x, raw->w, raw->row0, raw->m);
  strata_block tb = *raw;
  if (c->tf) {
    float *buf = c->tbuf + (size_t)t * STRATA_BLOCK_ROWS * c->d;
    FORWARD_IF_ERROR(strata_transform_rows(c->tf, c->d, c->names, raw->x, raw->m, raw->row0, buf));
    tb.x = buf;
  }
  const strata_block *b = &tb;
  const strata_colacc *a = strata_moments_set_add(&c->parts, t, b->x, b->m, c->missing == STRATA_MISSING_DROP,
                                                  &c->skipped_t[t]);
  FORWARD_IF_ERROR(check_block_values(c, b, a));
  if (c->weighted) strata_wmoments_set_add(&c->wparts, t, b->x, raw->w, b->m, c->missing == STRATA_MISSING_DROP);
  if (c->sketch) FORWARD_IF_ERROR(sketch_block(c, b, t));
  return STRATA_OK;
}

/* Row weights: the weighted mean and variance replace the plain ones
 * (the scaler, mean imputation, tol and the drift reference use them);
 * counts, extremes and quantiles stay those of the rows. */
static strata_status weighted_totals(strata_fit_stats *c, const strata_comm *comm, const strata_dataset *wds) {
  double *mean = malloc((c->d ? c->d : 1) * sizeof *mean), *var = malloc((c->d ? c->d : 1) * sizeof *var);
  strata_status st = mean && var ? strata_wmoments_set_total_comm(&c->wparts, comm, c->weight, mean, var, &c->wmax)
                                 : strata_fail(STRATA_ERR_NOMEM, "out of memory for column statistics");
  for (size_t j = 0; st == STRATA_OK && j < c->d; j++) {
    if (c->total[j].n == 0) continue;
    if (!(c->weight[j] > 0.0)) {
      st = strata_fail(STRATA_ERR_DATA, "the rows with a value of column '%s' have a total weight of 0 (weight column '%s')",
                       c->names[j], strata_dataset_col_name(wds, 0));
      break;
    }
    c->total[j].mean = mean[j];
    c->total[j].m2 = var[j] * (double)c->total[j].n;
  }
  free(mean);
  free(var);
  return st;
}

strata_status strata_fit_stats_pass(const strata_ctx *ctx, strata_fit_stats *c, strata_dataset *ds, const strata_fit_params *p,
                                    const char *const *names, strata_sample *sample,
                                    strata_sample *sample2) {
  size_t d = strata_dataset_cols(ds);
  int T = strata_threads_resolve(strata_ctx_threads(ctx));
  c->d = d;
  c->missing = p->missing;
  c->names = names;
  c->total = calloc(d ? d : 1, sizeof *c->total);
  c->skipped_t = calloc((size_t)T, sizeof *c->skipped_t);
  RETURN_IF(!c->total || !c->skipped_t, STRATA_ERR_NOMEM, "out of memory for column statistics");
  FORWARD_IF_ERROR(strata_moments_set_init(&c->parts, d, T));
  c->weighted = strata_dataset_weights(ds) != NULL;
  if (c->weighted) {
    FORWARD_IF_ERROR(strata_wmoments_set_init(&c->wparts, d, T));
    c->weight = calloc(d ? d : 1, sizeof *c->weight);
    RETURN_IF(!c->weight, STRATA_ERR_NOMEM, "out of memory for column statistics");
    if (sample && !sample->w) FORWARD_IF_ERROR(strata_sample_want_weights(sample));
    if (sample2 && !sample2->w) FORWARD_IF_ERROR(strata_sample_want_weights(sample2));
  }
  c->sample = sample;
  c->sample2 = sample2;
  if (c->tf) {
    c->tbuf = malloc((size_t)T * STRATA_BLOCK_ROWS * (d ? d : 1) * sizeof *c->tbuf);
    RETURN_IF(!c->tbuf, STRATA_ERR_NOMEM, "out of memory for the transformed blocks");
  }
  const strata_comm *comm = strata_ctx_comm(ctx);
  if (p->missing == STRATA_MISSING_MEDIAN || p->scale == STRATA_SCALE_ROBUST) {
    c->sorted = malloc((size_t)T * STRATA_BLOCK_ROWS * sizeof *c->sorted);
    c->sketch = strata_qsketch_array_new(d);
    c->medians = calloc(d ? d : 1, sizeof *c->medians);
    c->quart = calloc(3 * (d ? d : 1), sizeof *c->quart);
    RETURN_IF(!c->sorted || !c->sketch || !c->medians || !c->quart, STRATA_ERR_NOMEM,
              "out of memory for the median sketches");
    FORWARD_IF_ERROR(strata_qtree_init(&c->tree, d));
  }
  strata_pass *raw = NULL;
  FORWARD_IF_ERROR(strata_pass_open(ctx, ds, NULL, p->chunk_rows, 0, &raw));
  strata_pass_fns fns = {.block = fit_stats_block, .ctx = c};
  strata_status st = strata_pass_run(raw, &fns);
  strata_pass_free(raw);
  /* Several ranks: each holds its own blocks' partials and its own sampled
   * rows; agree on failure first so that no rank waits for one that left. */
  st = strata_comm_agree(comm, st);
  if (st == STRATA_OK) st = strata_moments_set_total_comm(&c->parts, comm, c->total);
  if (st == STRATA_OK && c->weighted) st = weighted_totals(c, comm, strata_dataset_weights(ds));
  for (int t = 0; t < T; t++) c->skipped += c->skipped_t[t];
  if (st == STRATA_OK && strata_comm_size(comm) > 1) {
    __int128 skipped = c->skipped;
    st = strata_comm_sum_i128(comm, &skipped, 1);
    c->skipped = (uint64_t)skipped;
  }
  /* Each sampled row was copied by the one rank that read it into a zeroed
   * slot: an OR of the buffers is every row, bit for bit. */
  if (st == STRATA_OK && sample) st = strata_comm_or(comm, sample->x, sample->m * sample->d * sizeof *sample->x);
  if (st == STRATA_OK && sample2) st = strata_comm_or(comm, sample2->x, sample2->m * sample2->d * sizeof *sample2->x);
  if (st == STRATA_OK && sample && sample->w) st = strata_comm_or(comm, sample->w, sample->m * sizeof *sample->w);
  if (st == STRATA_OK && sample2 && sample2->w) st = strata_comm_or(comm, sample2->w, sample2->m * sizeof *sample2->w);
  /* Several ranks: the sketch tree's nodes meet on rank 0 (the same
   * fixed merge tree as one process), which reads the medians and
   * quartiles and gives them to every rank. */
  if (st == STRATA_OK && c->sketch) st = strata_qtree_gather(&c->tree, comm);
  int reader = strata_comm_rank(comm) == 0;
  if (st == STRATA_OK && c->sketch && reader) st = strata_qtree_finish(&c->tree, c->sketch);
  if (st == STRATA_OK && c->sketch && reader)
    for (size_t j = 0; j < d; j++) {
      c->medians[j] = strata_qsketch_quantile(&c->sketch[j], 0.5);
      for (int q = 0; q < 3; q++) c->quart[3 * j + q] = strata_qsketch_quantile_linear(&c->sketch[j], 0.25 * (q + 1));
    }
  if (c->sketch && strata_comm_size(comm) > 1) {
    st = strata_comm_agree(comm, st);
    if (st == STRATA_OK) st = strata_comm_bcast(comm, c->medians, d * sizeof *c->medians, 0);
    if (st == STRATA_OK) st = strata_comm_bcast(comm, c->quart, 3 * d * sizeof *c->quart, 0);
  }
  return st;
}

void strata_fit_stats_free(strata_fit_stats *c) {
  free(c->total); free(c->skipped_t);
  strata_moments_set_free(&c->parts);
  free(c->sorted);
  if (c->tree.lock) strata_qtree_free(&c->tree);
  strata_qsketch_array_free(c->sketch, c->d);
  free(c->medians);
  free(c->quart);
  free(c->tbuf);
  if (c->weighted) strata_wmoments_set_free(&c->wparts);
  free(c->weight);
}

size_t strata_fit_auto_init_sample(size_t n, size_t k) {
  size_t m = 40 * k;
  if (m < 20000) m = 20000;
  return m < n ? m : n;
}

int strata_fit_auto_kmeans_parallel(size_t n, size_t d, size_t k, uint64_t mem_limit, size_t *sample) {
  double per_row = (double)(d + 2 * (2 + (size_t)floor(log((double)k)))) * sizeof(float);
  double room = (double)mem_limit / 4.0 / per_row;
  size_t want = 40 * k < n ? 40 * k : n;
  if ((double)want <= room) return 0;
  size_t m = room < 1000.0 ? 1000 : (size_t)room;
  *sample = m < n ? m : n;
  return 1;
}

double strata_fit_tol_abs(const strata_fit_stats *c, const strata_scaler *sc, double tol) {
  double var_sum = 0.0;
  for (size_t j = 0; j < c->d; j++)
    var_sum += strata_colacc_var(&c->total[j]) * sc->inv[j] * sc->inv[j];
  return tol * var_sum / (double)c->d;
}

void strata_fit_sum_bounds(const strata_fit_stats *c, const strata_scaler *sc, double *bound) {
  for (size_t j = 0; j < c->d; j++) {
    const strata_colacc *a = &c->total[j];
    double lo = a->n ? fabs((a->min - sc->shift[j]) * sc->inv[j]) : 0.0;
    double hi = a->n ? fabs((a->max - sc->shift[j]) * sc->inv[j]) : 0.0;
    double imp = isfinite(sc->impute[j]) ? fabs((sc->impute[j] - sc->shift[j]) * sc->inv[j]) : 0.0;
    bound[j] = fmax(fmax(lo, hi), imp);
  }
}
