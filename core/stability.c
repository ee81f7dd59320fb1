/* strata_stability: clustering stability by resampling (Hennig 2007, the
 * method of R's fpc::clusterboot).
 *
 * Everything works on one seeded sample of the rows held in memory
 * (sample_rows, read in one streaming pass).  The reference clustering is a
 * fit on the whole sample; each run refits on a resample of it through the
 * ordinary strata_fit path (an in-memory dataset; any method with a k:
 * kmeans, gmm, ward) and then labels every sample row with its own model
 * (core/model_predict.h: nearest centroid, a mixture's most probable
 * component), so that runs are compared on the same
 * points (adjusted Rand index between every pair of runs).  A reference
 * segment's Jaccard in a run is its best match among the run's clusters,
 * both restricted to the distinct rows the resample holds, as clusterboot
 * does.  Runs are sequential and each fit uses the threads; the labelling
 * and the pairwise indices are per-row / per-pair work merged in a fixed
 * order, so results do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "comm.h"
#include "cursor.h"
#include "dataset.h"
#include "ctx.h"
#include "error.h"
#include "fit.h"
#include "model_predict.h"
#include "pass.h"
#include "rng.h"
#include "sample.h"

#define DEFAULT_SAMPLE_ROWS 100000
/* Keeps the resampling draws apart from every other use of the seed. */
#define RESAMPLE_STREAM 0x57ab1e00ULL

enum { VERDICT_STABLE, VERDICT_PATTERNS, VERDICT_UNSTABLE, VERDICT_DISSOLVED };
static const char *const verdict_names[] = {"stable", "patterns", "unstable", "dissolved"};

typedef struct {
  strata_stability_result pub; /* first: the handle the caller sees */
  strata_stability_segment *segments;
  double *jaccard;
} result;

void strata_stability_params_init(strata_stability_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  strata_fit_params_init(&p->fit);
  p->runs = 20;
  p->method = STRATA_RESAMPLE_BOOTSTRAP;
  p->fraction = 0.8;
  p->sample_rows = DEFAULT_SAMPLE_ROWS;
  p->stable = 0.75;
  p->unstable = 0.6;
  p->dissolved = 0.5;
}

static int verdict_of(double m, double stable, double unstable, double dissolved) {
  if (m >= stable) return VERDICT_STABLE;
  if (m >= unstable) return VERDICT_PATTERNS;
  if (m > dissolved) return VERDICT_UNSTABLE;
  return VERDICT_DISSOLVED; /* NaN included */
}

const char *strata_stability_verdict(double jaccard_mean, double stable, double unstable, double dissolved) {
  return verdict_names[verdict_of(jaccard_mean, stable, unstable, dissolved)];
}

void strata_stability_free(strata_stability_result *r) {
  if (!r) return;
  result *res = (result *)r;
  free(res->segments);
  free(res->jaccard);
  free(res);
}

static strata_status check_params(const strata_dataset *ds, const strata_stability_params *p) {
  const strata_fit_params *f = &p->fit;
  size_t n = strata_dataset_rows(ds);
  RETURN_IF(f->k < 1, STRATA_ERR_USAGE, "k must be at least 1 (got %d)", f->k);
  /* Runs are compared by the labels each model gives the sample: a method
   * with a k (dbscan finds its own number of segments). */
  RETURN_IF(f->algorithm && strcmp(f->algorithm, "kmeans") != 0 && strcmp(f->algorithm, "gmm") != 0 &&
                strcmp(f->algorithm, "ward") != 0,
            STRATA_ERR_USAGE, "stability measures kmeans, gmm or ward (a method with a k), not '%s'",
            f->algorithm);
  RETURN_IF(p->runs < 2, STRATA_ERR_USAGE, "runs must be at least 2 (got %d)", p->runs);
  RETURN_IF(p->method != STRATA_RESAMPLE_BOOTSTRAP && p->method != STRATA_RESAMPLE_SUBSAMPLE, STRATA_ERR_USAGE,
            "unknown resampling method %d", (int)p->method);
  RETURN_IF(p->method == STRATA_RESAMPLE_SUBSAMPLE && !(p->fraction > 0.0 && p->fraction < 1.0), STRATA_ERR_USAGE,
            "subsample fraction must be above 0 and below 1 (got %g)", p->fraction);
  RETURN_IF(!(p->dissolved >= 0.0 && p->dissolved <= p->unstable && p->unstable <= p->stable && p->stable <= 1.0),
            STRATA_ERR_USAGE,
            "thresholds must satisfy 0 <= dissolved <= unstable <= stable <= 1 (got %g, %g, %g)", p->dissolved,
            p->unstable, p->stable);
  RETURN_IF(f->init == STRATA_INIT_GIVEN, STRATA_ERR_USAGE,
            "stability needs a random initialisation (k-means++ or random), not given centroids");
  RETURN_IF(n == 0, STRATA_ERR_DATA, "dataset '%s' is empty (0 rows)", strata_dataset_path(ds));
  RETURN_IF((size_t)f->k > n, STRATA_ERR_DATA, "k = %d exceeds the number of rows (%zu)", f->k, n);
  RETURN_IF(p->sample_rows && (size_t)f->k > p->sample_rows, STRATA_ERR_USAGE,
            "k = %d exceeds the sample of %zu rows", f->k, p->sample_rows);
  return STRATA_OK;
}

/* The seeded sample, raw values, in file order: one streaming pass.  An
 * infinite value, or a missing one under the rule "error", fails here, so
 * that the message names its row in the file rather than in the sample.
 * Several MPI ranks each read only their own run of whole blocks (as a
 * pass would) into the zeroed sample and OR the buffers: every rank ends
 * with every sampled row, and the file is read once in all.
 * *x OUT (m×d, malloc'ed). */
static strata_status read_sample(const strata_ctx *ctx, strata_dataset *ds, size_t want, const strata_fit_params *f, float **x,
                                 float **w, size_t *m) {
  size_t n = strata_dataset_rows(ds), d = strata_dataset_cols(ds);
  strata_sample s;
  FORWARD_IF_ERROR(strata_sample_choose(&s, n, want, d, f->seed));
  /* Row weights: the sampled rows keep theirs, read beside each chunk. */
  int weighted = strata_dataset_weights(ds) != NULL;
  float *wbuf = NULL;
  const strata_comm *comm = strata_ctx_comm(ctx);
  size_t P = (size_t)strata_comm_size(comm), r = (size_t)strata_comm_rank(comm);
  size_t nb = (n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
  size_t first = P > 1 ? nb * r / P * STRATA_BLOCK_ROWS : 0, end = P > 1 ? nb * (r + 1) / P * STRATA_BLOCK_ROWS : n;
  if (end > n) end = n;
  if (first > end) first = end;
  strata_dataset *view = NULL;
  strata_status st = P > 1 ? strata_dataset_view_rows(ds, first, end, &view) : STRATA_OK;
  strata_dataset *src = view ? view : ds;
  size_t chunk = f->chunk_rows ? f->chunk_rows : strata_dataset_recommend_chunk(src, STRATA_BLOCK_ROWS, 0);
  if (st == STRATA_OK && weighted) {
    st = strata_sample_want_weights(&s);
    if (st == STRATA_OK && !(wbuf = malloc((chunk ? chunk : 1) * sizeof *wbuf)))
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the sample's weights");
  }
  strata_cursor *cur = NULL;
  if (st == STRATA_OK && end > first) st = strata_cursor_open(ctx, src, chunk, 1, &cur);
  strata_chunk c;
  while (st == STRATA_OK && cur && (st = strata_cursor_next(cur, &c)) == STRATA_OK && c.rows > 0) {
    if (weighted) st = strata_dataset_read(strata_dataset_weights(src), c.row0, c.rows, wbuf);
    if (st == STRATA_OK) strata_sample_take(&s, c.data, wbuf, first + c.row0, c.rows);
    if (st == STRATA_OK) st = strata_check_cancel(ctx);
  }
  strata_cursor_close(cur);
  strata_dataset_free(view);
  free(wbuf);
  if (P > 1) {
    st = strata_comm_agree(comm, st);
    if (st == STRATA_OK) st = strata_comm_or(comm, s.x, s.m * d * sizeof *s.x);
    if (st == STRATA_OK && weighted) st = strata_comm_or(comm, s.w, s.m * sizeof *s.w);
  }
  for (size_t i = 0; st == STRATA_OK && i < s.m; i++)
    for (size_t j = 0; j < d && st == STRATA_OK; j++) {
      float v = s.x[i * d + j];
      if (isinf(v))
        st = strata_fail(STRATA_ERR_DATA, "column '%s' has an infinite value at row %llu",
                         strata_dataset_col_name(ds, j), (unsigned long long)s.rows[i]);
      else if (isnan(v) && f->missing == STRATA_MISSING_ERROR)
        st = strata_fail(STRATA_ERR_DATA,
                         "column '%s' has a missing value (NaN) at row %llu; use --missing drop or --missing mean",
                         strata_dataset_col_name(ds, j), (unsigned long long)s.rows[i]);
    }
  /* A bad weight is named here, by its row in the file (the refits check theirs too). */
  for (size_t i = 0; st == STRATA_OK && weighted && i < s.m; i++)
    if (!(s.w[i] >= 0.0f && isfinite(s.w[i])))
      st = strata_fail(STRATA_ERR_DATA, "weight column '%s' has %s at row %llu; weights must be finite and >= 0",
                       strata_dataset_weights_name(ds), isnan(s.w[i]) ? "a missing value (NaN)" : "a negative or infinite value",
                       (unsigned long long)s.rows[i]);
  if (st == STRATA_OK) {
    *x = s.x;
    *w = s.w;
    *m = s.m;
    s.x = NULL;
    s.w = NULL;
  }
  strata_sample_free(&s);
  return st;
}

/* The weights of rows idx[0..q) of w as the row weights of mem, named
 * like ds's. */
static strata_status resample_weights(const strata_dataset *ds, const float *w, const size_t *idx, size_t q,
                                      strata_dataset *mem) {
  float *y = malloc((q ? q : 1) * sizeof *y);
  char **names = calloc(1, sizeof *names);
  if (!y || !names || !(names[0] = strdup(strata_dataset_weights_name(ds)))) {
    free(y);
    free(names);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a resample of %zu rows", q);
  }
  for (size_t i = 0; i < q; i++) y[i] = w[idx[i]];
  strata_dataset *wd = NULL;
  FORWARD_IF_ERROR(strata_dataset_adopt_memory(y, q, 1, names, &wd));
  return strata_dataset_set_weights(mem, wd);
}

/* An in-memory dataset of rows idx[0..q) of x (m×d), named like ds, with
 * their weights w (NULL: none). */
static strata_status resample_dataset(const strata_dataset *ds, const float *x, const float *w, size_t d,
                                      const size_t *idx, size_t q, strata_dataset **out) {
  float *y = malloc((q ? q : 1) * d * sizeof *y);
  char **names = calloc(d, sizeof *names);
  int ok = y && names;
  for (size_t j = 0; ok && j < d; j++) ok = (names[j] = strdup(strata_dataset_col_name(ds, j))) != NULL;
  if (!ok) {
    free(y);
    for (size_t j = 0; names && j < d; j++) free(names[j]);
    free(names);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a resample of %zu rows", q);
  }
  for (size_t i = 0; i < q; i++) memcpy(y + i * d, x + idx[i] * d, d * sizeof *y);
  FORWARD_IF_ERROR(strata_dataset_adopt_memory(y, q, d, names, out));
  /* One-hot columns keep their categorical weighting in the refits. */
  strata_status st = strata_dataset_copy_groups(*out, ds);
  if (st == STRATA_OK && w) st = resample_weights(ds, w, idx, q, *out);
  if (st != STRATA_OK) {
    strata_dataset_free(*out);
    *out = NULL;
  }
  return st;
}

static strata_status fit_labels(const strata_ctx *ctx, strata_dataset *mem, const strata_fit_params *base, uint64_t seed,
                                const float *x, size_t m, int threads, int32_t *labels) {
  strata_fit_params f = *base;
  f.seed = seed;
  f.labels_path = f.model_path = NULL;
  f.progress = NULL;
  strata_model *model = NULL;
  FORWARD_IF_ERROR(strata_fit(ctx, mem, &f, &model));
  /* Every run labels the whole sample by its own model's rule (nearest
   * centroid; a mixture's most probable component). */
  strata_status st = strata_model_predict_raw(strata_model_get_info(model), x, m, threads, labels);
  strata_model_free(model);
  return st;
}

/* Run r's rows of the sample: idx OUT (*q entries), in_run OUT (m): 1 for
 * each distinct row drawn. perm: m scratch entries. */
static void draw(const strata_stability_params *p, size_t m, int r, size_t *idx, size_t *q, uint8_t *in_run,
                 size_t *perm) {
  strata_rng rng;
  strata_rng_seed(&rng, p->fit.seed, RESAMPLE_STREAM + (uint64_t)r);
  memset(in_run, 0, m);
  if (p->method == STRATA_RESAMPLE_BOOTSTRAP) {
    for (size_t i = 0; i < m; i++) {
      idx[i] = (size_t)strata_rng_below(&rng, m);
      in_run[idx[i]] = 1;
    }
    *q = m;
    return;
  }
  size_t want = (size_t)floor(p->fraction * (double)m);
  for (size_t i = 0; i < m; i++) perm[i] = i;
  for (size_t i = 0; i < want; i++) { /* partial Fisher-Yates */
    size_t j = i + (size_t)strata_rng_below(&rng, m - i);
    size_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    in_run[perm[i]] = 1;
  }
  /* File order, as a fit on a subset of the file would see the rows. */
  size_t w = 0;
  for (size_t i = 0; i < m; i++)
    if (in_run[i]) idx[w++] = i;
  *q = w;
}

typedef struct {
  double m2, mean, min, max;
  uint64_t n;
} summary;

static void summary_add(summary *s, double v) {
  if (s->n == 0) s->min = s->max = v;
  s->n++;
  double delta = v - s->mean;
  s->mean += delta / (double)s->n;
  s->m2 += delta * (v - s->mean);
  if (v < s->min) s->min = v;
  if (v > s->max) s->max = v;
}

static double summary_std(const summary *s) { return s->n > 1 ? sqrt(s->m2 / (double)(s->n - 1)) : 0.0; }

/* ARI of every pair of runs, computed in parallel, summarised in pair order. */
static strata_status pairwise_ari(const int32_t *labels, int runs, size_t m, int k, int threads, summary *out) {
  size_t npairs = (size_t)runs * (size_t)(runs - 1) / 2;
  double *ari = malloc(npairs * sizeof *ari);
  size_t *first = malloc(npairs * 2 * sizeof *first);
  if (!ari || !first) {
    free(ari);
    free(first);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  size_t w = 0;
  for (int a = 0; a < runs; a++)
    for (int b = a + 1; b < runs; b++, w++) {
      first[2 * w] = (size_t)a;
      first[2 * w + 1] = (size_t)b;
    }
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (size_t i = 0; i < npairs; i++)
    ari[i] = strata_ari(labels + first[2 * i] * m, k, labels + first[2 * i + 1] * m, k, m, NULL);
  strata_status st = STRATA_OK;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < npairs; i++) {
    if (isnan(ari[i])) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    summary_add(out, ari[i]);
  }
  free(ari);
  free(first);
  return st;
}

static void summarise_segments(result *res, const strata_stability_params *p, const int32_t *ref, size_t m) {
  strata_stability_result *r = &res->pub;
  int k = r->k, worst = VERDICT_STABLE;
  for (int s = 0; s < k; s++) {
    strata_stability_segment *seg = &res->segments[s];
    summary js = {0};
    seg->segment = s;
    seg->size = 0;
    for (size_t i = 0; i < m; i++) seg->size += ref[i] == s;
    for (int run = 0; run < r->runs; run++) {
      double jac = res->jaccard[(size_t)run * (size_t)k + (size_t)s];
      summary_add(&js, jac);
      seg->dissolved += jac <= p->dissolved;
    }
    seg->jaccard_mean = js.mean;
    seg->jaccard_std = summary_std(&js);
    seg->jaccard_min = js.min;
    seg->jaccard_max = js.max;
    int v = verdict_of(js.mean, p->stable, p->unstable, p->dissolved);
    /* A segment lost in more than one run in ten is no stable segment,
     * however well the other runs found it (a few outlying customers are
     * found exactly when drawn, and not at all when not). */
    if (v < VERDICT_UNSTABLE && (double)seg->dissolved > STRATA_STABILITY_MAX_DISSOLVED * (double)r->runs)
      v = VERDICT_UNSTABLE;
    seg->verdict = verdict_names[v];
    if (v > worst) worst = v;
  }
  r->verdict = verdict_names[worst];
}

strata_status strata_stability(const strata_ctx *ctx, strata_dataset *ds, const strata_stability_params *p,
                                strata_stability_result **out) {
  RETURN_IF(!ds || !p || !out, STRATA_ERR_USAGE, "strata_stability: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_stability_params"));
  FORWARD_IF_ERROR(strata_check_size(p->fit.size, sizeof p->fit, "strata_fit_params"));
  FORWARD_IF_ERROR(check_params(ds, p));
  double t0 = strata_fit_now();
  size_t d = strata_dataset_cols(ds), m = 0, q = 0;
  int k = p->fit.k, runs = p->runs, threads = strata_threads_resolve(strata_ctx_threads(ctx));
  float *x = NULL, *w = NULL;
  FORWARD_IF_ERROR(read_sample(ctx, ds, p->sample_rows ? p->sample_rows : DEFAULT_SAMPLE_ROWS, &p->fit, &x, &w, &m));

  result *res = calloc(1, sizeof *res);
  int32_t *ref = malloc(m * sizeof *ref), *labels = malloc((size_t)runs * m * sizeof *labels);
  size_t *idx = malloc(m * sizeof *idx), *perm = malloc(m * sizeof *perm);
  uint8_t *in_run = malloc(m);
  uint64_t *counts = malloc((size_t)k * (size_t)k * sizeof *counts);
  strata_dataset *mem = NULL;
  strata_status st = STRATA_OK;
  if (res) {
    res->segments = calloc((size_t)k, sizeof *res->segments);
    res->jaccard = calloc((size_t)runs * (size_t)k, sizeof *res->jaccard);
  }
  if (!res || !res->segments || !res->jaccard || !ref || !labels || !idx || !perm || !in_run || !counts) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for a stability sample of %zu rows and %d runs", m, runs);
    goto done;
  }

  /* The reference clustering: the whole sample, the seed itself. */
  for (size_t i = 0; i < m; i++) idx[i] = i;
  GOTO_IF_ERROR(st, resample_dataset(ds, x, w, d, idx, m, &mem), done);
  st = fit_labels(ctx, mem, &p->fit, p->fit.seed, x, m, threads, ref);
  strata_dataset_free(mem);
  mem = NULL;
  if (st != STRATA_OK) goto done;

  for (int r = 0; r < runs; r++) {
    draw(p, m, r, idx, &q, in_run, perm);
    if (q < (size_t)k) {
      st = strata_fail(STRATA_ERR_DATA, "a subsample of %zu rows is smaller than k = %d (raise --fraction or "
                       "--sample)", q, k);
      goto done;
    }
    GOTO_IF_ERROR(st, resample_dataset(ds, x, w, d, idx, q, &mem), done);
    int32_t *lr = labels + (size_t)r * m;
    st = fit_labels(ctx, mem, &p->fit, p->fit.seed + 1 + (uint64_t)r, x, m, threads, lr);
    strata_dataset_free(mem);
    mem = NULL;
    if (st != STRATA_OK) goto done;
    strata_contingency(ref, k, lr, k, m, in_run, counts);
    strata_jaccard_best(counts, k, k, res->jaccard + (size_t)r * (size_t)k);
    if (p->progress) p->progress(r + 1, runs, p->progress_user);
  }

  strata_stability_result *r = &res->pub;
  summary ari;
  GOTO_IF_ERROR(st, pairwise_ari(labels, runs, m, k, threads, &ari), done);
  r->k = k;
  r->runs = runs;
  r->method = p->method == STRATA_RESAMPLE_BOOTSTRAP ? "bootstrap" : "subsample";
  r->fraction = p->method == STRATA_RESAMPLE_BOOTSTRAP ? 1.0 : p->fraction;
  r->rows = strata_dataset_rows(ds);
  r->sample_rows = m;
  r->seed = p->fit.seed;
  r->ari_mean = ari.mean;
  r->ari_std = summary_std(&ari);
  r->ari_min = ari.min;
  r->ari_max = ari.max;
  r->ari_pairs = ari.n;
  r->segments = res->segments;
  r->jaccard = res->jaccard;
  r->stable = p->stable;
  r->unstable = p->unstable;
  r->dissolved = p->dissolved;
  summarise_segments(res, p, ref, m);
  r->seconds = strata_fit_now() - t0;
  r->algorithm = p->fit.algorithm && strcmp(p->fit.algorithm, "gmm") == 0    ? "gmm"
                 : p->fit.algorithm && strcmp(p->fit.algorithm, "ward") == 0 ? "ward"
                                                                              : "kmeans";
done:
  strata_dataset_free(mem);
  free(x);
  free(w);
  free(ref);
  free(labels);
  free(idx);
  free(perm);
  free(in_run);
  free(counts);
  if (st != STRATA_OK) {
    if (res) strata_stability_free(&res->pub);
    return st;
  }
  *out = &res->pub;
  return STRATA_OK;
}
