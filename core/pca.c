/* strata_pca_fit: the passes (statistics for the z-score when there is no
 * model, then the covariance with the sample taken on the way), the
 * eigen-decomposition, and the projection of the sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "model.h"
#include "pass.h"
#include "pca.h"
#include "sample.h"
#include "scaler.h"
#include "stats.h"

void strata_pca_params_init(strata_pca_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->sample = 10000;
}

/* The public struct first, so that strata_pca_free can find the owner. */
typedef struct {
  strata_pca pub;
  double *mean, *components, *variance, *ratio, *shift, *factor, *scores;
  int32_t *segment;
  char **names;
  strata_sample sample;
} pca_owned;

void strata_pca_free(strata_pca *pca) {
  if (!pca) return;
  pca_owned *o = (pca_owned *)pca;
  free(o->mean);
  free(o->components);
  free(o->variance);
  free(o->ratio);
  free(o->shift);
  free(o->factor);
  free(o->scores);
  free(o->segment);
  strata_sample_free(&o->sample);
  if (o->names)
    for (int j = 0; j < pca->d; j++) free(o->names[j]);
  free(o->names);
  free(o);
}

/* ---- pass callbacks: per-thread scratch and partials (reduce.h) ---- */

typedef struct {
  size_t d;
  int T;
  const strata_scaler *sc;    /* NULL in the statistics pass */
  strata_sample *sample;      /* filled from raw blocks, in whichever pass runs first */
  strata_colacc *col;         /* statistics pass: the total, d */
  strata_moments_set col_t;   /* its per-thread partials */
  strata_cov cov, *cov_t;     /* covariance pass: the total; T blocks' scratch */
  strata_cov_sum *sum_t;      /* T partials */
  float *scaled;              /* T × block×d */
  uint16_t *kept;             /* T × block */
  double *work;               /* T × block×d */
  uint64_t dropped;
  uint64_t *dropped_t;        /* T */
  /* a wide table (pca_gram): every row scaled in place, by input row */
  float *rows;                /* n×d */
  uint16_t *rows_kept;        /* n: each block's kept offsets */
  uint32_t *block_m;          /* per block: rows kept */
} pca_ctx;

static strata_status stats_block(void *vctx, const strata_block *b, int t) {
  pca_ctx *c = vctx;
  if (c->sample) strata_sample_take(c->sample, b->x, NULL, b->row0, b->m);
  strata_moments_set_add(&c->col_t, t, b->x, b->m, 1, &c->dropped_t[t]);
  return STRATA_OK;
}

static strata_status cov_block(void *vctx, const strata_block *b, int t) {
  pca_ctx *c = vctx;
  if (c->sample) strata_sample_take(c->sample, b->x, NULL, b->row0, b->m);
  size_t off = (size_t)t * STRATA_BLOCK_ROWS;
  float *x = c->scaled + off * c->d;
  size_t m = 0;
  FORWARD_IF_ERROR(strata_scaler_apply(c->sc, b->x, b->m, b->row0, x, c->kept + off, &m));
  c->dropped_t[t] += b->m - m;
  FORWARD_IF_ERROR(strata_cov_block(&c->cov_t[t], x, m, c->work + off * c->d));
  strata_cov_sum_add(&c->sum_t[t], &c->cov_t[t]);
  return STRATA_OK;
}

/* A wide table's block, scaled into its own rows' place. */
static strata_status gram_block(void *vctx, const strata_block *b, int t) {
  pca_ctx *c = vctx;
  if (c->sample) strata_sample_take(c->sample, b->x, NULL, b->row0, b->m);
  size_t m = 0;
  FORWARD_IF_ERROR(strata_scaler_apply(c->sc, b->x, b->m, b->row0, c->rows + b->row0 * c->d, c->rows_kept + b->row0, &m));
  c->dropped_t[t] += b->m - m;
  c->block_m[b->index] = (uint32_t)m;
  return STRATA_OK;
}

/* The covariance pass's total: the partials combined (in any order). */
static void cov_total(pca_ctx *c) {
  for (int t = 1; t < c->T; t++) strata_cov_sum_combine(&c->sum_t[0], &c->sum_t[t]);
  strata_cov_sum_finish(&c->sum_t[0], &c->cov);
}

static void ctx_free(pca_ctx *c) {
  free(c->col);
  strata_moments_set_free(&c->col_t);
  strata_cov_free(&c->cov);
  if (c->cov_t)
    for (int t = 0; t < c->T; t++) strata_cov_free(&c->cov_t[t]);
  free(c->cov_t);
  if (c->sum_t)
    for (int t = 0; t < c->T; t++) strata_cov_sum_free(&c->sum_t[t]);
  free(c->sum_t);
  free(c->scaled);
  free(c->kept);
  free(c->work);
  free(c->dropped_t);
  free(c->rows);
  free(c->rows_kept);
  free(c->block_m);
}

/* wide_rows: 0 for the covariance path, else the table's rows (pca_gram). */
static strata_status ctx_init(pca_ctx *c, size_t d, int T, size_t wide_rows) {
  memset(c, 0, sizeof *c);
  c->d = d;
  c->T = T;
  size_t dd = d ? d : 1, blk = (size_t)T * STRATA_BLOCK_ROWS;
  if (wide_rows) {
    size_t nb = (wide_rows + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
    c->col = calloc(dd, sizeof *c->col);
    c->rows = malloc(wide_rows * dd * sizeof *c->rows);
    c->rows_kept = malloc(wide_rows * sizeof *c->rows_kept);
    c->block_m = calloc(nb, sizeof *c->block_m);
    c->dropped_t = calloc((size_t)T, sizeof *c->dropped_t);
    if (!c->col || !c->rows || !c->rows_kept || !c->block_m || !c->dropped_t)
      return strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA of %zu rows × %zu columns", wide_rows, d);
    return strata_moments_set_init(&c->col_t, d, T);
  }
  c->col = calloc(dd, sizeof *c->col);
  c->cov_t = calloc((size_t)T, sizeof *c->cov_t);
  c->sum_t = calloc((size_t)T, sizeof *c->sum_t);
  c->scaled = malloc(blk * dd * sizeof *c->scaled);
  c->kept = malloc(blk * sizeof *c->kept);
  c->work = malloc(blk * dd * sizeof *c->work);
  c->dropped_t = calloc((size_t)T, sizeof *c->dropped_t);
  if (!c->col || !c->cov_t || !c->sum_t || !c->scaled || !c->kept || !c->work || !c->dropped_t)
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA passes");
  FORWARD_IF_ERROR(strata_moments_set_init(&c->col_t, d, T));
  FORWARD_IF_ERROR(strata_cov_init(&c->cov, d));
  for (int t = 0; t < T; t++) {
    FORWARD_IF_ERROR(strata_cov_init(&c->cov_t[t], d));
    FORWARD_IF_ERROR(strata_cov_sum_init(&c->sum_t[t], d));
  }
  return STRATA_OK;
}

static uint64_t take_dropped(pca_ctx *c) {
  uint64_t s = 0;
  for (int t = 0; t < c->T; t++) {
    s += c->dropped_t[t];
    c->dropped_t[t] = 0;
  }
  return s;
}

/* ---- the scaler: the model's, or z-scores from a statistics pass ---- */

static strata_status make_scaler(strata_dataset *ds, const strata_pca_params *p, strata_pass *pass,
                                 pca_ctx *c, const char *const *sc_names, strata_scaler *sc) {
  size_t d = c->d;
  const char *const *names = sc_names;
  if (p->model) {
    const strata_model_info *in = strata_model_get_info(p->model);
    RETURN_IF((size_t)in->d != d, STRATA_ERR_USAGE,
              "strata_pca_fit: the dataset has %zu columns, the model %d features", d, in->d);
    strata_missing miss = STRATA_MISSING_ERROR;
    RETURN_IF(!strata_missing_parse(in->missing, &miss), STRATA_ERR_FORMAT,
              "model has an unknown missing-value rule '%s'", in->missing);
    return strata_scaler_from_model(sc, in, miss);
  }
  (void)ds;
  strata_pass_fns fns = {.block = stats_block, .ctx = c};
  FORWARD_IF_ERROR(strata_pass_run(pass, &fns));
  FORWARD_IF_ERROR(strata_moments_set_total(&c->col_t, c->col));
  (void)take_dropped(c);
  for (size_t j = 0; j < d; j++)
    RETURN_IF(c->col[j].n < 2, STRATA_ERR_DATA, "column '%s' has fewer than 2 complete values",
              strata_dataset_col_name(ds, j));
  return strata_scaler_fit(strata_pass_ctx(pass), sc, d, names, STRATA_SCALE_ZSCORE, STRATA_MISSING_DROP, c->col, NULL,
                           NULL, 1.0, NULL);
}

/* ---- results ---- */

static int nearest(const double *x, const double *centroids, int k, size_t d) {
  int best = 0;
  double bd = INFINITY;
  for (int c = 0; c < k; c++) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
      double t = x[j] - centroids[(size_t)c * d + j];
      s += t * t;
    }
    if (s < bd) {
      bd = s;
      best = c;
    }
  }
  return best;
}

static strata_status project_sample(pca_owned *o, const strata_model *model) {
  strata_pca *pub = &o->pub;
  size_t m = o->sample.m, d = (size_t)pub->d;
  o->scores = malloc((m ? m : 1) * (size_t)(pub->ncomp ? pub->ncomp : 1) * sizeof *o->scores);
  double *row = malloc((d ? d : 1) * sizeof *row);
  if (model) o->segment = malloc((m ? m : 1) * sizeof *o->segment);
  strata_status st = STRATA_OK;
  if (!o->scores || !row || (model && !o->segment)) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA sample");
    goto done;
  }
  const strata_model_info *in = model ? strata_model_get_info(model) : NULL;
  for (size_t i = 0; i < m && st == STRATA_OK; i++) {
    for (size_t j = 0; j < d; j++) row[j] = (double)o->sample.x[i * d + j];
    st = strata_pca_project(pub, row, 1, pub->ncomp, o->scores + i * (size_t)pub->ncomp);
    if (in) o->segment[i] = nearest(row, in->centroids, in->k, d);
  }
  pub->sample_count = m;
  pub->sample_index = o->sample.rows;
  pub->sample_scores = o->scores;
  pub->sample_segment = o->segment;
done:
  free(row);
  return st;
}

/* The result from pub->ncomp eigenpairs (values: variances, descending;
 * vectors: ncomp×d), the column means and the total variance; then the
 * sample's projection. */
static strata_status set_result(const strata_ctx *ctx, pca_owned *o, const strata_pca_params *p,
                                const strata_scaler *sc, const double *mean, const double *values,
                                const double *vectors, double total, uint64_t rows) {
  strata_pca *pub = &o->pub;
  size_t d = (size_t)pub->d, nc = (size_t)pub->ncomp;
  o->mean = malloc((d ? d : 1) * sizeof *o->mean);
  o->shift = malloc((d ? d : 1) * sizeof *o->shift);
  o->factor = malloc((d ? d : 1) * sizeof *o->factor);
  o->components = malloc((nc ? nc * d : 1) * sizeof *o->components);
  o->variance = malloc((nc ? nc : 1) * sizeof *o->variance);
  o->ratio = malloc((nc ? nc : 1) * sizeof *o->ratio);
  RETURN_IF(!o->mean || !o->shift || !o->factor || !o->components || !o->variance || !o->ratio, STRATA_ERR_NOMEM,
            "out of memory for the PCA result");
  memcpy(o->mean, mean, d * sizeof *o->mean);
  memcpy(o->shift, sc->shift, d * sizeof *o->shift);
  memcpy(o->factor, sc->factor, d * sizeof *o->factor);
  memcpy(o->components, vectors, nc * d * sizeof *o->components);
  for (size_t c = 0; c < nc; c++) {
    /* Round-off can leave a zero eigenvalue slightly negative. */
    o->variance[c] = values[c] > 0 ? values[c] : 0.0;
    o->ratio[c] = total > 0 ? o->variance[c] / total : 0.0;
  }
  pub->mean = o->mean;
  pub->components = o->components;
  pub->explained_variance = o->variance;
  pub->explained_ratio = o->ratio;
  pub->total_variance = total;
  pub->scale_shift = o->shift;
  pub->scale_factor = o->factor;
  pub->rows = rows;
  if (p->sample > 0) {
    FORWARD_IF_ERROR(strata_sample_finish(&o->sample, sc));
    FORWARD_IF_ERROR(project_sample(o, p->model));
    FORWARD_IF_ERROR(strata_check_cancel(ctx));
  }
  return STRATA_OK;
}

static strata_status finish_fit(const strata_ctx *ctx, pca_owned *o, const strata_pca_params *p,
                                const strata_cov *cov, const strata_scaler *sc) {
  size_t d = (size_t)o->pub.d;
  RETURN_IF(cov->n < 2, STRATA_ERR_DATA, "PCA needs at least 2 complete rows, got %llu",
            (unsigned long long)cov->n);
  double *a = malloc((d ? d * d : 1) * sizeof *a);
  double *values = malloc((d ? d : 1) * sizeof *values);
  double *vectors = malloc((d ? d * d : 1) * sizeof *vectors);
  strata_status st = STRATA_OK;
  if (!a || !values || !vectors) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA result");
    goto done;
  }
  double denom = (double)(cov->n - 1), total = 0.0;
  for (size_t i = 0; i < d; i++) {
    for (size_t j = i; j < d; j++) a[i * d + j] = a[j * d + i] = cov->m2[i * d + j] / denom;
    total += a[i * d + i];
  }
  GOTO_IF_ERROR(st, strata_sym_eigen(a, d, values, vectors), done);
  /* LAPACK cannot be interrupted: a signal during it is honoured here, so
   * that the command still ends with an error and no output. */
  GOTO_IF_ERROR(st, strata_check_cancel(ctx), done);
  st = set_result(ctx, o, p, sc, cov->mean, values, vectors, total, cov->n);
done:
  free(a);
  free(values);
  free(vectors);
  return st;
}

/* A wide table's rows, kept ones in input order, through the Gram matrix;
 * at most m - 1 components (the rest have no variance). */
static strata_status finish_wide(const strata_ctx *ctx, pca_owned *o, const strata_pca_params *p, pca_ctx *c,
                                 size_t n, const strata_scaler *sc) {
  size_t d = c->d, m = 0, nb = (n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
  for (size_t b = 0; b < nb; b++) { /* each block's kept rows lie at its start */
    memmove(c->rows + m * d, c->rows + b * STRATA_BLOCK_ROWS * d, (size_t)c->block_m[b] * d * sizeof *c->rows);
    m += c->block_m[b];
  }
  RETURN_IF(m < 2, STRATA_ERR_DATA, "PCA needs at least 2 complete rows, got %zu", m);
  if ((size_t)o->pub.ncomp > m - 1) o->pub.ncomp = (int)(m - 1);
  size_t nc = (size_t)o->pub.ncomp;
  double *mean = malloc(d * sizeof *mean), *values = malloc(nc * sizeof *values);
  double *vectors = malloc(nc * d * sizeof *vectors), total = 0.0;
  strata_status st = STRATA_OK;
  if (!mean || !values || !vectors) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the PCA result");
  if (st == STRATA_OK) st = strata_pca_gram(c->rows, m, d, nc, c->T, mean, values, vectors, &total);
  if (st == STRATA_OK) st = strata_check_cancel(ctx);
  if (st == STRATA_OK) st = set_result(ctx, o, p, sc, mean, values, vectors, total, m);
  free(mean); free(values); free(vectors);
  return st;
}

/* Bytes the covariance path holds: per thread the exact sums of d(d+1)/2
 * products and a block's scratch, then three d×d matrices. */
static double cov_bytes(size_t d, int T) {
  double dd = (double)d;
  return (double)T * (dd * (dd + 1) / 2 * sizeof(strata_xacc) + dd * dd * sizeof(double) +
                      (double)STRATA_BLOCK_ROWS * dd * (sizeof(float) + sizeof(double))) +
         3.0 * dd * dd * sizeof(double);
}

strata_status strata_pca_fit(const strata_ctx *ctx, strata_dataset *ds, const strata_pca_params *params,
                             strata_pca **out) {
  RETURN_IF(!ds || !out, STRATA_ERR_USAGE, "strata_pca_fit: NULL argument");
  *out = NULL;
  strata_pca_params defaults;
  strata_pca_params_init(&defaults);
  const strata_pca_params *p = params ? params : &defaults;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_pca_params"));
  size_t d = strata_dataset_cols(ds), n = strata_dataset_rows(ds);
  RETURN_IF(d == 0, STRATA_ERR_USAGE, "strata_pca_fit: the dataset has no columns");
  RETURN_IF(p->ncomp < 0 || (size_t)p->ncomp > d, STRATA_ERR_USAGE,
            "strata_pca_fit: ncomp %d is outside 0..%zu (the number of columns)", p->ncomp, d);

  pca_owned *o = calloc(1, sizeof *o);
  RETURN_IF(!o, STRATA_ERR_NOMEM, "out of memory");
  o->pub.d = (int)d;
  o->pub.ncomp = p->ncomp ? p->ncomp : (int)d;
  o->names = calloc(d, sizeof *o->names);
  if (!o->names) {
    free(o);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  o->pub.features = (const char *const *)o->names;
  for (size_t j = 0; j < d; j++)
    if (!(o->names[j] = strdup(strata_dataset_col_name(ds, j)))) {
      strata_pca_free(&o->pub);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory");
    }
  strata_pass *pass = NULL;
  strata_scaler sc;
  memset(&sc, 0, sizeof sc);
  pca_ctx c;
  memset(&c, 0, sizeof c);
  strata_status st;
  GOTO_IF_ERROR(st, strata_pass_open(ctx, ds, NULL, p->chunk_rows, 0, &pass), fail);
  /* No more rows than columns (at most one block): the Gram matrix of the
   * rows, m×m, instead of the d×d covariance and its exact sums. */
  size_t wide = n >= 2 && n <= d && n <= STRATA_BLOCK_ROWS ? n : 0;
  int T = strata_pass_threads(pass);
  uint64_t limit = p->mem_limit ? p->mem_limit : strata_default_mem_limit();
  if (!wide && cov_bytes(d, T) > (double)limit) {
    st = strata_fail(STRATA_ERR_DATA,
                     "PCA of %zu columns over %zu rows needs %.3g GB for its exact covariance (%d threads), "
                     "more than the memory limit of %.3g GB; choose fewer columns (--features) or threads",
                     d, n, cov_bytes(d, T) / 1e9, T, (double)limit / 1e9);
    goto fail;
  }
  GOTO_IF_ERROR(st, ctx_init(&c, d, T, wide), fail);
  if (p->sample > 0) {
    GOTO_IF_ERROR(st, strata_sample_choose(&o->sample, n, p->sample, d, p->seed), fail);
    c.sample = &o->sample;
  }
  GOTO_IF_ERROR(st, make_scaler(ds, p, pass, &c, o->pub.features, &sc), fail);
  /* The statistics pass, when there was one, already took the sample. */
  if (!p->model) c.sample = NULL;
  c.sc = &sc;
  strata_pass_fns fns = {.block = wide ? gram_block : cov_block, .ctx = &c};
  GOTO_IF_ERROR(st, strata_pass_run(pass, &fns), fail);
  o->pub.rows_dropped = take_dropped(&c);
  if (wide) {
    GOTO_IF_ERROR(st, finish_wide(ctx, o, p, &c, n, &sc), fail);
  } else {
    cov_total(&c);
    GOTO_IF_ERROR(st, finish_fit(ctx, o, p, &c.cov, &sc), fail);
  }
  ctx_free(&c);
  strata_scaler_free(&sc);
  strata_pass_free(pass);
  *out = &o->pub;
  return STRATA_OK;
fail:
  ctx_free(&c);
  strata_scaler_free(&sc);
  strata_pass_free(pass);
  strata_pca_free(&o->pub);
  return st;
}

strata_status strata_pca_project(const strata_pca *pca, const double *x, size_t n, int ncomp,
                                 double *out) {
  RETURN_IF(!pca || (!x && n) || (!out && n), STRATA_ERR_USAGE, "strata_pca_project: NULL argument");
  RETURN_IF(ncomp < 1 || ncomp > pca->ncomp, STRATA_ERR_USAGE,
            "strata_pca_project: ncomp %d is outside 1..%d", ncomp, pca->ncomp);
  size_t d = (size_t)pca->d;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < ncomp; c++) {
      const double *v = pca->components + (size_t)c * d;
      double s = 0.0;
      for (size_t j = 0; j < d; j++) s += (x[i * d + j] - pca->mean[j]) * v[j];
      out[i * (size_t)ncomp + (size_t)c] = s;
    }
  return STRATA_OK;
}
