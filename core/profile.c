/* strata_profile_compute: per-segment column statistics in original units,
 * in one streaming pass (see the profile section of strata.h).
 *
 * The pass runs on raw values (no scaler), because the profile describes
 * the data as the analyst knows it.  Without a labels file each block is
 * scaled here with the model's scaler (its missing rule included) and
 * assigned with the same CPU kernels strata_assign uses (a Gaussian
 * mixture: the arg max of its responsibilities, core/gmm_em.c); with one, the
 * block's segments are read from it.  Each block then groups its rows by
 * segment, accumulates column statistics and sorts each (segment, feature)
 * column into a leaf of the sketches' merge tree; statistics and sketches
 * reduce order-free (reduce.h, quantile.h), so results depend on neither
 * threads, chunk size nor timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "dataset.h"
#include "ctx.h"
#include "error.h"
#include "gmm.h"
#include "kernels.h"
#include "pass.h"
#include "profile_describe.h"
#include "quantile.h"
#include "radix_sort.h"
#include "reduce.h"
#include "scaler.h"
#include "stats.h"

typedef struct {
  strata_colacc *acc;  /* (k+1)×d: segment c at c·d, the population at k·d */
  strata_moments *part; /* (k+1)×d: this thread's partial over its blocks */
  int64_t *sizes;      /* k+1: the block's rows per segment, then rows without one */
  int64_t *total;      /* k+1: this thread's, over its blocks */
  int32_t *seg;        /* B: segment of each raw row of the block, -1 none */
  int32_t *lab;        /* B: kernel labels of the kept rows */
  float *buf;          /* B×d: scaled rows, then the rows grouped by segment */
  uint16_t *kept;      /* B */
  size_t *start;       /* k+2: first grouped row of each segment */
  float *sorted;       /* 2·B·d: finite values sorted per (segment, feature), then population */
  size_t *soff;        /* (k+1)·d + 1: offsets into sorted */
  double *tmp;         /* 2·d */
  float *tmp_sort;     /* B: the radix sort's buffer */
  strata_scratch scratch;
  strata_xacc *weight; /* k: this thread's row weights per segment (ds weighted), else NULL */
  double *bw;          /* k: one block's, with weight */
} prof_thread;

typedef struct {
  size_t k, d;
  const strata_kernels *kern;  /* NULL with a labels file */
  const strata_scaler *sc;
  float *cf, *cnorm;
  strata_gmm_prep gmm;         /* a mixture model's (gparams not NULL): labels are the arg max */
  double *gparams;
  strata_dataset *labels;      /* the labels file's segment column, or NULL */
  const char *labels_path;
  prof_thread *t;
  int threads;
  strata_colacc *acc;          /* (k+1)×d, the threads' partials finished */
  int64_t *sizes;              /* k+1 */
  strata_qtree tree;           /* the blocks' sketches, merged along the fixed tree */
  strata_qsketch *qs;          /* (k+1)×d, what the tree gives */
  int weighted;                /* ds has row weights: segment weights too */
  double *weight;              /* k, the threads' (and ranks') totals, when weighted */
  const char *weight_column;
} profiler;

static strata_status check_features(const strata_model_info *mi, const strata_dataset *ds) {
  size_t d = strata_dataset_cols(ds);
  RETURN_IF(d != (size_t)mi->d, STRATA_ERR_COLUMN,
            "'%s' presents %zu feature columns but the model has %d", strata_dataset_path(ds), d,
            mi->d);
  for (size_t j = 0; j < d; j++)
    RETURN_IF(strcmp(strata_dataset_col_name(ds, j), mi->features[j]) != 0, STRATA_ERR_COLUMN,
              "column %zu of '%s' is '%s' but the model expects '%s'", j, strata_dataset_path(ds),
              strata_dataset_col_name(ds, j), mi->features[j]);
  return STRATA_OK;
}

/* ---- the pass ---- */

/* The segment of each raw row of the block. */
static strata_status block_segments(profiler *P, prof_thread *t, const strata_block *b) {
  size_t k = P->k, d = P->d;
  if (P->labels) {
    float *f = t->buf; /* B floats: the segment column as read */
    FORWARD_IF_ERROR(strata_dataset_read(P->labels, b->row0, b->nraw, f));
    for (size_t i = 0; i < b->nraw; i++) {
      float v = f[i];
      RETURN_IF(!(v == -1.0f || (v >= 0.0f && v < (float)k && v == floorf(v))), STRATA_ERR_FORMAT,
                "the labels file '%s' has segment %g at row %zu, but the model has segments 0..%zu",
                P->labels_path, (double)v, b->row0 + i, k - 1);
      t->seg[i] = (int32_t)v;
    }
    return STRATA_OK;
  }
  size_t m = 0;
  FORWARD_IF_ERROR(strata_scaler_apply(P->sc, b->x, b->nraw, b->row0, t->buf, t->kept, &m));
  if (P->gparams)
    FORWARD_IF_ERROR(strata_gmm_predict(&P->gmm, P->gparams, t->buf, m, t->lab));
  else
    P->kern->lloyd.assign_reduce(&P->kern->ctx, t->buf, m, d, d, P->cf, P->cnorm, k, t->lab, NULL, NULL, t->scratch);
  if (m < b->nraw)
    for (size_t i = 0; i < b->nraw; i++) t->seg[i] = -1;
  for (size_t i = 0; i < m; i++) t->seg[m < b->nraw ? t->kept[i] : i] = t->lab[i];
  return STRATA_OK;
}

/* The finite values of column j of rows×d x, sorted, into out; returns
 * their count.  -0 is stored as +0 so that equal values have one pattern. */
static size_t sort_finite_column(const float *x, size_t rows, size_t d, size_t j, float *out,
                                 float *tmp) {
  size_t n = 0;
  for (size_t i = 0; i < rows; i++) {
    float v = x[i * d + j];
    if (isfinite(v)) out[n++] = v == 0.0f ? 0.0f : v;
  }
  strata_radix_sort_floats(out, n, tmp);
  return n;
}

/* The block's sorted columns as a leaf of the merge tree. */
static strata_status leaf_add(profiler *P, const prof_thread *t, size_t index) {
  size_t kd = (P->k + 1) * P->d;
  strata_qsketch *leaf = strata_qsketch_array_new(kd);
  RETURN_IF(!leaf, STRATA_ERR_NOMEM, "out of memory for the quantile sketches");
  strata_status st = STRATA_OK;
  for (size_t q = 0; q < kd && st == STRATA_OK; q++)
    st = strata_qsketch_add_sorted(&leaf[q], t->sorted + t->soff[q], t->soff[q + 1] - t->soff[q]);
  if (st != STRATA_OK) {
    strata_qsketch_array_free(leaf, kd);
    return st;
  }
  return strata_qtree_add(&P->tree, index, leaf);
}

static strata_status profile_block(void *ctx, const strata_block *b, int thread) {
  profiler *P = ctx;
  prof_thread *t = &P->t[thread];
  size_t k = P->k, d = P->d;
  FORWARD_IF_ERROR(block_segments(P, t, b));
  /* Group the raw rows by segment (counting sort, row order kept within). */
  memset(t->sizes, 0, (k + 1) * sizeof *t->sizes);
  for (size_t i = 0; i < b->nraw; i++) t->sizes[t->seg[i] >= 0 ? (size_t)t->seg[i] : k]++;
  t->start[0] = 0;
  for (size_t c = 0; c < k; c++) t->start[c + 1] = t->start[c] + (size_t)t->sizes[c];
  size_t kept = t->start[k];
  size_t *next = t->soff; /* k positions, borrowed before soff is filled */
  memcpy(next, t->start, k * sizeof *next);
  for (size_t i = 0; i < b->nraw; i++)
    if (t->seg[i] >= 0)
      memcpy(t->buf + next[t->seg[i]]++ * d, b->x + i * d, d * sizeof *t->buf);
  /* Column statistics and sorted columns: segments, then the population. */
  strata_colacc_reset(t->acc, (k + 1) * d);
  size_t pos = 0;
  for (size_t c = 0; c <= k; c++) {
    size_t r0 = c < k ? t->start[c] : 0, rows = c < k ? t->start[c + 1] - r0 : kept;
    const float *x = t->buf + r0 * d;
    if (rows) strata_colacc_block(t->acc + c * d, x, rows, d, 0, NULL, t->tmp);
    for (size_t j = 0; j < d; j++) {
      t->soff[c * d + j] = pos;
      pos += sort_finite_column(x, rows, d, j, t->sorted + pos, t->tmp_sort);
    }
  }
  t->soff[(k + 1) * d] = pos;
  strata_moments_add(t->part, t->acc, (k + 1) * d);
  for (size_t c = 0; c <= k; c++) t->total[c] += t->sizes[c];
  if (P->weighted) {
    /* The block's weight per segment in row order, then exactly. */
    memset(t->bw, 0, k * sizeof *t->bw);
    for (size_t i = 0; i < b->nraw; i++)
      if (t->seg[i] >= 0) t->bw[t->seg[i]] += b->w[i];
    for (size_t c = 0; c < k; c++)
      if (t->bw[c] != 0.0) strata_xacc_add(&t->weight[c], t->bw[c]);
  }
  return leaf_add(P, t, b->index);
}

/* The threads' partials combined (in any order) and finished; several MPI
 * ranks: their exact partials summed, their sketch nodes merged on rank 0
 * along the same tree, so that rank 0's result is one process's. */
/* The segments' weights: the threads' exact sums, summed across ranks. */
static strata_status profile_weights(profiler *P, const strata_comm *comm) {
  __int128 *w = calloc(P->k * STRATA_XACC_WORDS + 1, sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
  for (size_t c = 0; c < P->k; c++) {
    strata_xacc s = P->t[0].weight[c];
    for (int i = 1; i < P->threads; i++) {
      strata_xacc_carry(&s);
      strata_xacc_combine(&s, &P->t[i].weight[c]);
    }
    strata_xacc_to_words(&s, w + c * STRATA_XACC_WORDS);
  }
  strata_status st = strata_comm_sum_i128(comm, w, P->k * STRATA_XACC_WORDS);
  for (size_t c = 0; st == STRATA_OK && c < P->k; c++) {
    strata_xacc s;
    strata_xacc_from_words(&s, w + c * STRATA_XACC_WORDS);
    P->weight[c] = strata_xacc_round(&s);
  }
  free(w);
  return st;
}

static strata_status profile_total(profiler *P, const strata_comm *comm) {
  size_t kd = (P->k + 1) * P->d;
  for (int i = 1; i < P->threads; i++) strata_moments_combine(P->t[0].part, P->t[i].part, kd);
  FORWARD_IF_ERROR(strata_moments_allreduce(comm, P->t[0].part, kd));
  strata_moments_finish(P->t[0].part, P->acc, kd);
  for (int i = 0; i < P->threads; i++)
    for (size_t c = 0; c <= P->k; c++) P->sizes[c] += P->t[i].total[c];
  if (strata_comm_size(comm) > 1) {
    __int128 *w = malloc((P->k + 1) * sizeof *w);
    strata_status st = strata_comm_agree(comm, w ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory"));
    for (size_t c = 0; st == STRATA_OK && c <= P->k; c++) w[c] = P->sizes[c];
    if (st == STRATA_OK) st = strata_comm_sum_i128(comm, w, P->k + 1);
    for (size_t c = 0; st == STRATA_OK && c <= P->k; c++) P->sizes[c] = (int64_t)w[c];
    free(w);
    FORWARD_IF_ERROR(st);
    if (P->weighted) FORWARD_IF_ERROR(profile_weights(P, comm));
    FORWARD_IF_ERROR(strata_qtree_gather(&P->tree, comm));
    if (strata_comm_rank(comm) > 0) return STRATA_OK; /* rank 0 reports */
  } else if (P->weighted) {
    FORWARD_IF_ERROR(profile_weights(P, comm));
  }
  return strata_qtree_finish(&P->tree, P->qs);
}

/* ---- setup and teardown ---- */

static void profiler_free(profiler *P) {
  for (int i = 0; P->t && i < P->threads; i++) {
    prof_thread *t = &P->t[i];
    free(t->acc); free(t->part); free(t->total); free(t->sizes); free(t->seg); free(t->lab); free(t->buf); free(t->kept);
    free(t->start); free(t->sorted); free(t->soff); free(t->tmp); free(t->tmp_sort);
    free(t->scratch.ptr); free(t->weight); free(t->bw);
  }
  free(P->t);
  free(P->weight);
  strata_qsketch_array_free(P->qs, (P->k + 1) * P->d);
  if (P->tree.lock) strata_qtree_free(&P->tree);
  free(P->acc); free(P->sizes); free(P->cf); free(P->cnorm);
  strata_dataset_free(P->labels);
}

static strata_status profiler_alloc(profiler *P) {
  size_t k = P->k, d = P->d ? P->d : 1, B = STRATA_BLOCK_ROWS, kd = (k + 1) * d;
  int ok = 1;
#define ALLOC(ptr, n) do { (ptr) = calloc((n), sizeof *(ptr)); if (!(ptr)) ok = 0; } while (0)
  ALLOC(P->t, (size_t)P->threads);
  ALLOC(P->acc, kd);
  ALLOC(P->sizes, k + 1);
  ALLOC(P->cf, k * d);
  ALLOC(P->cnorm, k);
  if (P->weighted) ALLOC(P->weight, k ? k : 1);
  size_t sbytes = P->kern ? P->kern->lloyd.scratch_bytes(&P->kern->ctx, B, d, k) : 0;
  for (int i = 0; ok && i < P->threads; i++) {
    prof_thread *t = &P->t[i];
    ALLOC(t->acc, kd);
    ALLOC(t->part, kd);
    ALLOC(t->sizes, k + 1);
    ALLOC(t->total, k + 1);
    ALLOC(t->seg, B);
    ALLOC(t->lab, B);
    ALLOC(t->buf, B * d);
    ALLOC(t->kept, B);
    ALLOC(t->start, k + 2);
    ALLOC(t->sorted, 2 * B * d);
    ALLOC(t->soff, kd + 1 > k ? kd + 1 : k);
    ALLOC(t->tmp, 2 * d);
    ALLOC(t->tmp_sort, B);
    if (P->weighted) ALLOC(t->weight, k ? k : 1);
    if (P->weighted) ALLOC(t->bw, k ? k : 1);
    t->scratch.bytes = sbytes;
    if (sbytes && ok) {
      t->scratch.ptr = aligned_alloc(64, (sbytes + 63) / 64 * 64);
      if (!t->scratch.ptr) ok = 0;
    }
  }
#undef ALLOC
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for the profile (k = %zu, d = %zu)", k, P->d);
  for (int i = 0; i < P->threads; i++) strata_moments_zero(P->t[i].part, kd);
  P->qs = strata_qsketch_array_new(kd);
  RETURN_IF(!P->qs, STRATA_ERR_NOMEM, "out of memory for the profile (k = %zu, d = %zu)", k, P->d);
  return strata_qtree_init(&P->tree, kd);
}

static strata_status open_labels(profiler *P, const char *path, size_t rows) {
  static const char *const seg[] = {"segment"};
  strata_status st = strata_dataset_open(path, "/", seg, 1, &P->labels);
  if (st == STRATA_ERR_COLUMN || st == STRATA_ERR_FORMAT) {
    /* The detail is overwritten by the new one: copy it first. */
    char why[512];
    snprintf(why, sizeof why, "%s", strata_last_error());
    return strata_fail(STRATA_ERR_FORMAT, "'%s' is not a labels file (no /segment column): %s", path, why);
  }
  FORWARD_IF_ERROR(st);
  size_t n = strata_dataset_rows(P->labels);
  RETURN_IF(n != rows, STRATA_ERR_FORMAT,
            "the labels file '%s' has %zu rows but the data has %zu: they are not for the same data",
            path, n, rows);
  P->labels_path = path;
  return STRATA_OK;
}

/* ---- the result ---- */

typedef struct {
  strata_profile pub;
  strata_feature_profile *feat;   /* (k+1)×d: segments, then the population */
  strata_segment_profile *seg;    /* k */
  char **desc;                    /* k */
  char *labels;
  /* Copies of the model's names, so that the profile outlives the model. */
  char **features, **categorical; /* d, n_categorical */
  int *group;                     /* d */
  double *weight;                 /* k, with row weights */
  char *weight_column;
} profile_impl;

void strata_profile_free(strata_profile *p) {
  if (!p) return;
  profile_impl *r = (profile_impl *)p;
  for (int c = 0; r->desc && c < p->k; c++) free(r->desc[c]);
  for (int j = 0; r->features && j < p->d; j++) free(r->features[j]);
  for (int g = 0; r->categorical && g < p->n_categorical; g++) free(r->categorical[g]);
  free(r->desc); free(r->seg); free(r->feat); free(r->labels);
  free(r->features); free(r->categorical); free(r->group);
  free(r->weight); free(r->weight_column);
  free(r);
}

/* Worst-case rank error of a sketch as a fraction of its values: each
 * compaction at level h moves a rank by at most 2^h, and at most n/(K·2^h)
 * of them happen there, so the bound is (top level)/K; 0 while exact. */
static double sketch_rank_error(const strata_qsketch *s) {
  int top = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    if (s->count[h]) top = h;
  return (double)top / STRATA_QSKETCH_K;
}

static void feature_from(strata_feature_profile *f, const strata_colacc *a,
                         const strata_qsketch *q) {
  f->count = a->n;
  f->mean = a->n ? a->mean : NAN;
  f->std = a->n ? sqrt(strata_colacc_var(a)) : NAN;
  f->min = a->n ? a->min : NAN;
  f->max = a->n ? a->max : NAN;
  f->median = strata_qsketch_quantile(q, 0.5);
  f->z = 0.0;
}

static strata_status build_result(const profiler *P, const strata_model_info *mi,
                                  const char *labels_path, strata_profile **out) {
  size_t k = P->k, d = P->d;
  profile_impl *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  r->feat = calloc((k + 1) * (d ? d : 1), sizeof *r->feat);
  r->seg = calloc(k ? k : 1, sizeof *r->seg);
  r->desc = calloc(k ? k : 1, sizeof *r->desc);
  r->features = calloc(d ? d : 1, sizeof *r->features);
  r->group = calloc(d ? d : 1, sizeof *r->group);
  r->categorical = calloc(mi->n_categorical ? (size_t)mi->n_categorical : 1, sizeof *r->categorical);
  strata_profile *p = &r->pub;
  p->k = (int)k; p->d = (int)d;
  p->n_categorical = mi->n_categorical;
  int ok = r->feat && r->seg && r->desc && r->features && r->group && r->categorical;
  if (ok && labels_path) ok = (r->labels = strdup(labels_path)) != NULL;
  if (ok && P->weighted) {
    ok = (r->weight = malloc((k ? k : 1) * sizeof *r->weight)) != NULL &&
         (r->weight_column = strdup(P->weight_column)) != NULL;
    if (ok) memcpy(r->weight, P->weight, k * sizeof *r->weight);
  }
  for (size_t j = 0; ok && j < d; j++) {
    ok = (r->features[j] = strdup(mi->features[j])) != NULL;
    r->group[j] = mi->feature_group[j];
  }
  for (int g = 0; ok && g < mi->n_categorical; g++) ok = (r->categorical[g] = strdup(mi->categorical[g])) != NULL;
  if (!ok) {
    strata_profile_free(p);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  p->features = (const char *const *)r->features;
  p->feature_group = r->group;
  p->categorical = (const char *const *)r->categorical;
  p->labels = r->labels;
  p->rows_dropped = (uint64_t)P->sizes[k];
  double err = 0.0;
  for (size_t q = 0; q < (k + 1) * d; q++) {
    feature_from(&r->feat[q], &P->acc[q], &P->qs[q]);
    double e = sketch_rank_error(&P->qs[q]);
    if (e > err) err = e;
  }
  p->medians_exact = err == 0.0;
  p->median_rank_error = err;
  const strata_feature_profile *pop = r->feat + k * d;
  p->population = pop;
  for (size_t c = 0; c < k; c++) p->rows += (uint64_t)P->sizes[c];
  for (size_t c = 0; c < k; c++) {
    strata_segment_profile *s = &r->seg[c];
    strata_feature_profile *f = r->feat + c * d;
    s->size = P->sizes[c];
    s->share = p->rows ? (double)s->size / (double)p->rows : 0.0;
    s->features = f;
    for (size_t j = 0; j < d; j++)
      f[j].z = !f[j].count ? NAN : pop[j].std > 0 ? (f[j].mean - pop[j].mean) / pop[j].std : 0.0;
    s->ntop = strata_profile_top(f, d, s->top);
    r->desc[c] = s->size ? strata_profile_describe(f, p->features, p->feature_group, s->top, s->ntop)
                         : strdup("no rows in this data");
    if (!r->desc[c]) {
      strata_profile_free(p);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory");
    }
    s->description = r->desc[c];
  }
  p->segments = r->seg;
  if (r->weight) {
    p->weight = r->weight;
    p->weight_column = r->weight_column;
    for (size_t c = 0; c < k; c++) p->weight_total += r->weight[c];
  }
  *out = p;
  return STRATA_OK;
}

strata_status strata_profile_compute(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                     const char *labels_path, size_t chunk_rows, strata_profile **out) {
  RETURN_IF(!m || !ds || !out, STRATA_ERR_USAGE, "strata_profile_compute: NULL argument");
  *out = NULL;
  const strata_model_info *mi = strata_model_get_info(m);
  FORWARD_IF_ERROR(check_features(mi, ds));
  strata_missing missing;
  RETURN_IF(!strata_missing_parse(mi->missing, &missing), STRATA_ERR_FORMAT,
            "model has an unknown missing-value rule '%s'", mi->missing);
  size_t n = strata_dataset_rows(ds), d = (size_t)mi->d, k = (size_t)mi->k;
  profiler P;
  memset(&P, 0, sizeof P);
  P.k = k; P.d = d;
  P.weight_column = strata_dataset_weights_name(ds);
  P.weighted = P.weight_column != NULL;
  strata_scaler sc;
  memset(&sc, 0, sizeof sc);
  strata_pass *pass = NULL;
  const strata_comm *comm = strata_ctx_comm(ctx);
  strata_status st = STRATA_OK;
  if (labels_path) {
    st = open_labels(&P, labels_path, n);
  } else {
    /* The CPU table strata_assign would use (a device backend of the fit
     * falls back to the CPU here: the profile scores block by block). */
    P.kern = strata_kernels_for_shape(mi->backend, d, k);
    if (!P.kern) P.kern = strata_kernels_for_shape(NULL, d, k);
    if (!P.kern) st = strata_fail(STRATA_ERR_BACKEND, "no CPU kernels for d = %zu, k = %zu", d, k);
    if (st == STRATA_OK) st = strata_scaler_from_model(&sc, mi, missing);
    if (st == STRATA_OK) P.sc = &sc;
    if (st == STRATA_OK && mi->weights) st = strata_gmm_from_model(mi, &P.gmm, &P.gparams);
  }
  if (st == STRATA_OK) st = strata_pass_open(ctx, ds, NULL, chunk_rows, 0, &pass);
  if (st == STRATA_OK) {
    P.threads = strata_pass_threads(pass);
    st = profiler_alloc(&P);
  }
  /* Several ranks: every failure is agreed on before and after the pass,
   * so that no rank waits in a collective for one that left. */
  GOTO_IF_ERROR(st, strata_comm_agree(comm, st), done);
  strata_kernel_centroids(mi->centroids, P.k, P.d, P.cf, P.cnorm);
  strata_pass_fns fns = {.block = profile_block, .ctx = &P};
  st = strata_pass_run(pass, &fns);
  GOTO_IF_ERROR(st, strata_comm_agree(comm, st), done);
  GOTO_IF_ERROR(st, profile_total(&P, comm), done);
  __int128 unknown = (__int128)strata_dataset_unknown_categories(ds);
  if (strata_comm_size(comm) > 1) GOTO_IF_ERROR(st, strata_comm_sum_i128(comm, &unknown, 1), done);
  if (unknown > 0)
    strata_log(ctx, STRATA_LOG_WARN, "%llu rows have a category the model has not seen; their "
               "one-hot columns are all zero", (unsigned long long)unknown);
  st = build_result(&P, mi, labels_path, out);
done:
  strata_pass_free(pass);
  if (P.sc) strata_scaler_free(&sc);
  strata_gmm_prep_free(&P.gmm);
  free(P.gparams);
  profiler_free(&P);
  return st;
}
