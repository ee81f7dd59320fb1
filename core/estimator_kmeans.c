/* k-means as an estimator (core/estimator.h): Lloyd passes (core/lloyd_pass.c)
 * as the E-step, the update of core/lloyd_update.c as the M-step, the
 * seeding of core/kmeans_init.c.  Mini-batch k-means (algorithm
 * "minibatch") is the same estimator whose ITERATE passes read one batch
 * of blocks and whose M-step is core/minibatch.c's; its model is a k-means
 * model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "estimator.h"
#include "fit.h"
#include "kmeans_init.h"
#include "kmeans_parallel.h"
#include "kmeans_refine.h"
#include "kmeans_weighted.h"
#include "lineage.h"
#include "lloyd.h"
#include "minibatch.h"
#include "rng.h"

typedef struct {
  strata_estimator base;
  const strata_kernels *kern, *init_kern;
  const strata_fit_data *data;
  strata_lloyd *lloyd;
  int shared;
  double *centers, *next;        /* k×d scaled: the parameters and the update's output */
  strata_lloyd_step step;        /* of the latest m_step */
  strata_minibatch *mb;          /* algorithm minibatch, else NULL */
} kmeans;

static kmeans *as_kmeans(strata_estimator *e) { return (kmeans *)e; }
static const kmeans *as_kmeans_c(const strata_estimator *e) { return (const kmeans *)e; }

static void km_free(strata_estimator *e) {
  if (!e) return;
  kmeans *km = as_kmeans(e);
  strata_lloyd_free(km->lloyd);
  if (km->mb) strata_minibatch_free(km->mb);
  free(km->mb);
  free(km->centers);
  free(km->next);
  free(km);
}

static strata_status km_create(const strata_fit_data *data, const strata_estimator_opts *o,
                               strata_estimator **out) {
  *out = NULL;
  size_t k = o->k, d = data->d;
  kmeans *km = calloc(1, sizeof *km);
  RETURN_IF(!km, STRATA_ERR_NOMEM, "out of memory");
  km->base = (strata_estimator){&strata_estimator_kmeans, k, d};
  km->kern = o->kern;
  km->init_kern = o->init_kern ? o->init_kern : o->kern;
  km->data = data;
  km->shared = o->shared;
  strata_status st = strata_lloyd_create(o->kern, data->pass, k, d, data->n, o->track_labels, &km->lloyd);
  if (st == STRATA_OK) {
    strata_lloyd_set_fallback(km->lloyd, o->fallback);
    if (strata_pass_weighted(data->pass)) st = strata_lloyd_want_weights(km->lloyd, data->sc.wmax);
    if (st == STRATA_OK) st = strata_lloyd_want_sums(km->lloyd, data->bound, data->kept);
  }
  if (st == STRATA_OK) {
    km->centers = malloc(k * d * sizeof *km->centers);
    km->next = malloc(k * d * sizeof *km->next);
    if (!km->centers || !km->next) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d);
  }
  if (st != STRATA_OK) {
    km_free(&km->base);
    return st;
  }
  *out = &km->base;
  return STRATA_OK;
}

/* Seeding on the init sample for restart `run`. */
static strata_init_job init_job(const kmeans *km, const strata_fit_data *data, int run) {
  const strata_sample *s = &data->sample;
  return (strata_init_job){data->ctx, km->init_kern, strata_pass_threads(data->pass), s->x, s->m, km->base.d,
                           km->base.k, s->m == data->kept, data->p->seed, run, 0};
}

/* k-means|| from a first centre drawn from the init sample (the same
 * rows whatever the ranks). */
static strata_status init_parallel(kmeans *km, const strata_fit_data *data, int run) {
  const strata_sample *s = &data->sample;
  size_t d = km->base.d;
  RETURN_IF(s->m == 0, STRATA_ERR_DATA, "the init sample holds no complete row");
  strata_rng rng;
  strata_rng_seed(&rng, data->p->seed, 0x3000 + (uint64_t)run);
  size_t at = 0;
  if (s->w) { /* row weights: the first centre drawn in proportion to weight */
    double total = 0.0, acc = 0.0;
    for (size_t i = 0; i < s->m; i++) total += s->w[i];
    RETURN_IF(!(total > 0.0), STRATA_ERR_DATA, "the init sample's rows all have weight 0");
    double u = strata_rng_uniform(&rng) * total;
    for (size_t i = 0; i < s->m; i++) {
      if (!(s->w[i] > 0.0f)) continue;
      at = i; /* rounding may leave u past the end: the last row of weight */
      if ((acc += s->w[i]) > u) break;
    }
  } else {
    at = strata_rng_below(&rng, s->m);
  }
  const float *first = s->x + at * d;
  double bound = 0.0;
  for (size_t j = 0; j < d; j++) bound = fmax(bound, data->bound[j]);
  strata_kpar_job job = {data->ctx, km->init_kern, data->pass, first, d, km->base.k, data->p->seed, run,
                         bound, (uint64_t)data->n, s->w ? data->sc.wmax : 0.0};
  strata_kpar_info info;
  FORWARD_IF_ERROR(strata_init_kmeans_parallel(&job, km->centers, &info));
  strata_log(data->ctx, STRATA_LOG_INFO, "k-means|| (restart %d): %d rounds, %zu candidates, %d passes", run,
             info.rounds, info.candidates, info.passes);
  return STRATA_OK;
}

static strata_status km_init(strata_estimator *e, const strata_fit_data *data, int run) {
  kmeans *km = as_kmeans(e);
  if (km->mb) strata_minibatch_restart(km->mb, run);
  const strata_fit_params *p = data->p;
  size_t k = e->k, d = e->d;
  const strata_sample *s = &data->sample;
  strata_init_job job = init_job(km, data, run);
  if (p->warm_start)
    return strata_lineage_warm_start(&job, strata_model_get_info(p->parent), &data->scaler, km->centers);
  if (p->init == STRATA_INIT_GIVEN) {
    for (size_t c = 0; c < k; c++)
      strata_scaler_forward(&data->scaler, p->init_centroids + c * d, km->centers + c * d);
    return STRATA_OK;
  }
  if (p->init == STRATA_INIT_KMEANS_PARALLEL) return init_parallel(km, data, run);
  RETURN_IF(s->m < k, STRATA_ERR_DATA, "the init sample holds %zu complete rows, fewer than k = %zu", s->m, k);
  /* Weighted rows: draws in proportion to the weight (k-means++: weight
   * times squared distance), as scikit-learn's with sample_weight. */
  if (s->w)
    return strata_kmeans_weighted_init(data->ctx, km->init_kern, strata_pass_threads(data->pass), s->x, s->w, s->m, d,
                                       k, p->seed, run, p->init == STRATA_INIT_RANDOM, km->centers);
  if (p->init == STRATA_INIT_RANDOM) return strata_init_random(&job, km->centers);
  return strata_init_kmeanspp(&job, km->centers);
}

static strata_status km_e_step(strata_estimator *const *es, size_t n, const strata_estep_mode *modes,
                               strata_labels_writer *writer) {
  const strata_lloyd_result *res = NULL;
  if (n == 1 && !as_kmeans(es[0])->shared) {
    kmeans *km = as_kmeans(es[0]);
    if (km->mb) {
      strata_lloyd_set_batch(km->lloyd, modes[0] == STRATA_ESTEP_FINAL ? NULL : strata_minibatch_draw(km->mb),
                             km->mb->per_batch);
      if (modes[0] != STRATA_ESTEP_FINAL) writer = NULL;
    }
    /* The reference statistics cost a square root and a scatter per row:
     * only the final assignment gathers them. */
    strata_lloyd_pause_stats(km->lloyd, modes[0] != STRATA_ESTEP_FINAL);
    strata_lloyd_set_centroids(km->lloyd, km->centers);
    strata_status st = strata_lloyd_pass(km->lloyd, writer, &res);
    strata_lloyd_set_batch(km->lloyd, NULL, 0);
    return st;
  }
  RETURN_IF(writer, STRATA_ERR_INTERNAL, "a shared pass writes no labels");
  strata_lloyd **ls = malloc(n * sizeof *ls);
  const strata_lloyd_result **rs = malloc(n * sizeof *rs);
  strata_status st = STRATA_OK;
  if (!ls || !rs) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; st == STRATA_OK && i < n; i++) {
    kmeans *km = as_kmeans(es[i]);
    strata_lloyd_set_centroids(km->lloyd, km->centers);
    ls[i] = km->lloyd;
  }
  if (st == STRATA_OK) st = strata_lloyd_pass_multi(ls, n, rs);
  free(ls);
  free(rs);
  return st;
}

/* A mini-batch step: centres moved in place (next keeps the ones the
 * batch ran on); never the final assignment. */
static strata_status mb_m_step(kmeans *km, const strata_lloyd_result *res, strata_estimator_step *out) {
  size_t kd = km->base.k * km->base.d;
  memcpy(km->next, km->centers, kd * sizeof *km->next);
  double shift = 0.0;
  int converged = 0;
  FORWARD_IF_ERROR(strata_minibatch_update(km->mb, res, km->data->pass, km->centers, &shift, &converged));
  km->step = (strata_lloyd_step){shift, 0, converged, 0};
  *out = (strata_estimator_step){res->inertia, shift, 0, res->rows, 0, converged, 0};
  return STRATA_OK;
}

static strata_status km_m_step(strata_estimator *e, strata_estimator_step *out) {
  kmeans *km = as_kmeans(e);
  strata_lloyd_result *res = (strata_lloyd_result *)strata_lloyd_last_result(km->lloyd);
  if (km->mb) return mb_m_step(km, res, out);
  strata_lloyd_step *step = &km->step;
  /* Read before the update: re-seeding an empty cluster edits res. */
  double objective = res->inertia;
  FORWARD_IF_ERROR(strata_lloyd_update(km->lloyd, res, km->centers, km->next, km->data->tol_abs, step));
  double *t = km->centers;
  km->centers = km->next;
  km->next = t;
  /* Unchanged labels (tracked) or an exactly zero shift: the new centroids
   * equal the ones the pass used, so that pass is the final assignment. */
  int unchanged = strata_lloyd_tracks_labels(km->lloyd) ? step->strict : step->shift == 0.0;
  *out = (strata_estimator_step){objective, step->shift, res->relocations, res->rows, step->relocated,
                                 step->converged, unchanged && !step->relocated};
  return STRATA_OK;
}

static int km_converged(const strata_estimator *e) { return as_kmeans_c(e)->step.converged; }

static strata_status km_want_reference(strata_estimator *e) {
  return strata_lloyd_want_stats(as_kmeans(e)->lloyd, 0);
}

static void km_result(const strata_estimator *e, double *objective, int64_t *sizes) {
  const strata_lloyd_result *res = strata_lloyd_last_result(as_kmeans_c(e)->lloyd);
  *objective = res->inertia;
  memcpy(sizes, res->counts, e->k * sizeof *sizes);
}

static void km_reference(const strata_estimator *e, double *out) {
  const strata_lloyd_result *res = strata_lloyd_last_result(as_kmeans_c(e)->lloyd);
  for (size_t c = 0; c < e->k; c++)
    out[c] = res->counts[c] > 0 ? res->dist_sum[c] / (double)res->counts[c] : NAN;
}

static size_t km_n_params(const strata_estimator *e) { return e->k * e->d; }
static const double *km_params(const strata_estimator *e) { return as_kmeans_c(e)->centers; }
static void km_set_params(strata_estimator *e, const double *params) {
  memcpy(as_kmeans(e)->centers, params, e->k * e->d * sizeof *params);
}

/* With the table the passes used, so that the labels are the ones the data
 * passes give. */
static strata_status km_predict(const strata_estimator *e, const float *x, size_t m, int32_t *labels) {
  const kmeans *km = as_kmeans_c(e);
  size_t k = e->k, d = e->d;
  float *cf = malloc(k * d * sizeof *cf), *cnorm = malloc(k * sizeof *cnorm);
  size_t sbytes = km->kern->lloyd.scratch_bytes(&km->kern->ctx, STRATA_BLOCK_ROWS, d, k);
  strata_scratch sc = {sbytes ? aligned_alloc(64, (sbytes + 63) / 64 * 64) : NULL, sbytes};
  strata_status st = STRATA_OK;
  if (!cf || !cnorm || (sbytes && !sc.ptr)) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  strata_kernel_centroids(km->centers, k, d, cf, cnorm);
  for (size_t r0 = 0; r0 < m; r0 += STRATA_BLOCK_ROWS) {
    size_t rows = m - r0 < STRATA_BLOCK_ROWS ? m - r0 : STRATA_BLOCK_ROWS;
    km->kern->lloyd.assign_reduce(&km->kern->ctx, x + r0 * d, rows, d, d, cf, cnorm, k, labels + r0, NULL, NULL, sc);
  }
done:
  free(cf);
  free(cnorm);
  free(sc.ptr);
  return st;
}

/* Swaps draw on the init sample, which a fit from given centroids lacks. */
static strata_status km_refine(strata_estimator *e, const strata_fit_data *data, int run, int lloyd_passes,
                               strata_refine_result *out) {
  memset(out, 0, sizeof *out);
  if (data->sample.m == 0) return STRATA_OK;
  strata_init_job job = init_job(as_kmeans(e), data, run);
  return strata_kmeans_refine(e, data, &job, run, lloyd_passes, out);
}

static void km_release_pass(strata_estimator *e) {
  kmeans *km = as_kmeans(e);
  strata_lloyd_free(km->lloyd);
  km->lloyd = NULL;
}

static const double *km_previous_params(const strata_estimator *e) {
  /* m_step swapped the buffers: next holds the centres the pass ran on. */
  return as_kmeans_c(e)->next;
}

/* The label array is what the next pass compares with (relocations, the
 * stable-labels rule): one pass on `previous` gives each row the label
 * the interrupted run's latest pass gave it, bit for bit. */
static strata_status km_resume(strata_estimator *e, const double *params, const double *previous) {
  kmeans *km = as_kmeans(e);
  size_t n = e->k * e->d;
  memcpy(km->centers, params, n * sizeof *params);
  memcpy(km->next, previous, n * sizeof *previous);
  if (!strata_lloyd_tracks_labels(km->lloyd)) return STRATA_OK;
  const strata_lloyd_result *res = NULL;
  strata_lloyd_pause_stats(km->lloyd, 1);
  strata_lloyd_set_centroids(km->lloyd, previous);
  return strata_lloyd_pass(km->lloyd, NULL, &res);
}

static strata_status km_describe(const strata_estimator *e, const double *params, const strata_fit_data *data,
                                 strata_model *m) {
  size_t k = e->k, d = e->d;
  memcpy(m->centroids, params, k * d * sizeof *params);
  for (size_t c = 0; c < k; c++)
    strata_scaler_invert(&data->scaler, m->centroids + c * d, m->centroids_original + c * d);
  RETURN_IF(!strata_model_set_string(&m->estimator, strata_estimator_kmeans.name), STRATA_ERR_NOMEM,
            "out of memory");
  strata_model_sync_info(m);
  return STRATA_OK;
}

/* Mini-batches never track labels (a batch pass sees some rows only). */
static strata_status mb_create(const strata_fit_data *data, const strata_estimator_opts *o, strata_estimator **out) {
  const strata_fit_params *p = data->p;
  RETURN_IF(o->shared, STRATA_ERR_USAGE, "minibatch fits one k at a time (not in a sweep)");
  RETURN_IF(p->batch_rows < 1, STRATA_ERR_USAGE, "batch rows must be at least 1 (got %zu)", p->batch_rows);
  RETURN_IF(o->kern->run.run_open, STRATA_ERR_USAGE,
            "minibatch runs on the CPU kernels (backend %s reads every row per pass)", o->kern->name);
  strata_estimator_opts q = *o;
  q.track_labels = 0;
  FORWARD_IF_ERROR(km_create(data, &q, out));
  kmeans *km = as_kmeans(*out);
  km->base.ops = &strata_estimator_minibatch;
  km->mb = calloc(1, sizeof *km->mb);
  strata_status st = km->mb ? strata_minibatch_init(km->mb, o->k, data->d, data->n, p->batch_rows, p->seed)
                            : strata_fail(STRATA_ERR_NOMEM, "out of memory");
  if (st != STRATA_OK) {
    km_free(*out);
    *out = NULL;
  }
  return st;
}

const strata_estimator_ops strata_estimator_minibatch = {
    .name = "minibatch",
    .create = mb_create,
    .free = km_free,
    .init = km_init,
    .e_step = km_e_step,
    .m_step = km_m_step,
    .converged = km_converged,
    .want_reference = km_want_reference,
    .result = km_result,
    .reference = km_reference,
    .n_params = km_n_params,
    .params = km_params,
    .set_params = km_set_params,
    .predict = km_predict,
    .release_pass = km_release_pass,
    .describe = km_describe,
};

const strata_estimator_ops strata_estimator_kmeans = {
    .name = "kmeans",
    .create = km_create,
    .free = km_free,
    .init = km_init,
    .e_step = km_e_step,
    .m_step = km_m_step,
    .converged = km_converged,
    .want_reference = km_want_reference,
    .result = km_result,
    .reference = km_reference,
    .n_params = km_n_params,
    .params = km_params,
    .set_params = km_set_params,
    .predict = km_predict,
    .refine = km_refine,
    .release_pass = km_release_pass,
    .describe = km_describe,
    .previous_params = km_previous_params,
    .resume = km_resume,
};

const strata_lloyd_result *strata_kmeans_last_result(const strata_estimator *e) {
  return strata_lloyd_last_result(as_kmeans_c(e)->lloyd);
}

strata_status strata_kmeans_want_dispersion(strata_estimator *e, const double *means, double bound_sq) {
  return strata_lloyd_want_dispersion(as_kmeans(e)->lloyd, means, bound_sq);
}
