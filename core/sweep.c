/* strata_sweep: every k of a range in one job (see strata.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "ctx.h"
#include "error.h"
#include "estimator.h"
#include "fit.h"
#include "metrics.h"
#include "scheduler.h"
#include "sweep.h"

/* The knee is recommended while its silhouette is this close to the best. */
#define SIL_SLACK 0.05

void strata_sweep_params_init(strata_sweep_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  strata_fit_params_init(&p->fit);
  p->k_min = 2;
  p->k_max = 10;
  p->silhouette_sample = 10000;
}

/* One model of the sweep (a k and a restart), as a job of the shared
 * passes (core/fit.c).  With several restarts per k, each run waits after
 * its final assignment (STRATA_JOB_WAIT) until every run of its k has one;
 * the lowest inertia goes on to the dispersion pass (STRATA_JOB_EXTRA), the
 * others end there. */
typedef struct {
  size_t k;
  const strata_kernels *kern;
  double *means;                  /* k×d scaled */
  double inertia, within;          /* weighted with row weights */
  int64_t *sizes;
  double *mass;                   /* k: the rows' summed weights (their count without weights) */
  double *dist_sum;               /* k */
} k_fit;

void strata_sweep_free(strata_sweep_result *r) {
  if (!r) return;
  strata_sweep_out *o = (strata_sweep_out *)r;
  for (size_t i = 0; o->items && i < r->n_results; i++) {
    free((void *)o->items[i].sizes);
    free((void *)o->items[i].centroids);
  }
  free(o->items);
  free(o);
}

strata_status strata_sweep_out_new(size_t n, strata_sweep_out **out) {
  *out = NULL;
  strata_sweep_out *o = calloc(1, sizeof *o);
  RETURN_IF(!o, STRATA_ERR_NOMEM, "out of memory");
  o->items = calloc(n ? n : 1, sizeof *o->items);
  if (!o->items) {
    free(o);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    strata_sweep_k *it = &o->items[i];
    it->inertia = it->silhouette = it->calinski_harabasz = it->davies_bouldin = NAN;
    it->bic = it->aic = it->stability = NAN;
    it->algorithm = "kmeans";
  }
  o->pub.n_results = n;
  o->pub.results = o->items;
  o->pub.n_algorithms = 1;
  o->pub.reason = o->reason;
  *out = o;
  return STRATA_OK;
}

strata_status strata_sweep_check_params(const strata_sweep_params *p) {
  const strata_fit_params *f = &p->fit;
  if (p->ks && p->nk) {
    for (size_t i = 0; i < p->nk; i++) {
      RETURN_IF(p->ks[i] < 1, STRATA_ERR_USAGE, "k must be at least 1 (got %d)", p->ks[i]);
      RETURN_IF(i > 0 && p->ks[i] <= p->ks[i - 1], STRATA_ERR_USAGE,
                "k values must be increasing and distinct (%d after %d)", p->ks[i], p->ks[i - 1]);
    }
  } else {
    RETURN_IF(p->k_min < 1, STRATA_ERR_USAGE, "k range must start at 1 or more (got %d)", p->k_min);
    RETURN_IF(p->k_max < p->k_min, STRATA_ERR_USAGE, "empty k range %d:%d (the end is below the start)",
              p->k_min, p->k_max);
  }
  RETURN_IF(f->n_init < 1 || f->n_init > 1000, STRATA_ERR_USAGE, "n_init must be 1 to 1000 (got %d)", f->n_init);
  RETURN_IF(f->init != STRATA_INIT_KMEANSPP && f->init != STRATA_INIT_RANDOM, STRATA_ERR_USAGE,
            "sweep initialises with k-means++ or random (not k-means|| or given centroids)");
  RETURN_IF(f->labels_path || f->model_path, STRATA_ERR_USAGE, "sweep writes no labels or model file");
  FORWARD_IF_ERROR(strata_fit_check_params(f));
  return STRATA_OK;
}

/* The CPU table for k: the scheduler's choice as strata_fit makes it, or
 * its CPU fallback when that is a device (a shared pass feeds CPU tables). */
static strata_status choose_kernels(const strata_ctx *ctx, const strata_sample *s, uint64_t rows, size_t d,
                                    size_t k, const strata_kernels **out) {
  strata_backend_choice choice;
  memset(&choice, 0, sizeof choice);
  const char *backend = strata_ctx_backend(ctx);
  FORWARD_IF_ERROR(strata_scheduler_choose(ctx, backend, s->x, s->m, rows, d, k, &choice));
  const strata_kernels *kern = choice.kern;
  if (kern->run.run_open) {
    RETURN_IF(strcmp(backend, "auto") != 0, STRATA_ERR_USAGE,
              "sweep runs on the CPU tables; --backend %s is a device", backend);
    kern = choice.fallback ? choice.fallback : strata_kernels_for_shape("auto", d, k);
  }
  *out = kern;
  return STRATA_OK;
}

/* The recommendation and its one-sentence reason (the rule in strata.h). */
int strata_sweep_pick_k(const strata_sweep_k *it, size_t n, int knee_k, char *buf, size_t len) {
  int best = -1, knee = -1;
  for (size_t i = 0; i < n; i++) {
    if (isfinite(it[i].silhouette) && (best < 0 || it[i].silhouette > it[best].silhouette)) best = (int)i;
    if (it[i].k == knee_k) knee = (int)i;
  }
  if (knee >= 0 && best == knee) {
    snprintf(buf, len, "k = %d: the inertia curve bends there (knee) and its silhouette %.3f is the highest",
             it[knee].k, it[knee].silhouette);
    return knee;
  }
  if (knee >= 0 && best >= 0 && isfinite(it[knee].silhouette) &&
      it[knee].silhouette >= it[best].silhouette - SIL_SLACK) {
    snprintf(buf, len,
             "k = %d: the inertia curve bends there (knee) and its silhouette %.3f is within %.2f of the "
             "best (%.3f at k = %d)",
             it[knee].k, it[knee].silhouette, SIL_SLACK, it[best].silhouette, it[best].k);
    return knee;
  }
  if (knee >= 0 && best >= 0) {
    snprintf(buf, len,
             "k = %d: its silhouette %.3f is the highest; the inertia knee at k = %d separates the "
             "segments less well (silhouette %.3f)",
             it[best].k, it[best].silhouette, it[knee].k, it[knee].silhouette);
    return best;
  }
  if (best >= 0) {
    snprintf(buf, len, "k = %d: its silhouette %.3f is the highest (the inertia curve shows no clear knee)",
             it[best].k, it[best].silhouette);
    return best;
  }
  if (knee >= 0) {
    snprintf(buf, len, "k = %d: the inertia curve bends there (knee); no silhouette was computed", it[knee].k);
    return knee;
  }
  if (n == 1) {
    snprintf(buf, len, "k = %d: the only value fitted", it[0].k);
    return 0;
  }
  snprintf(buf, len, "no recommendation: the inertia curve shows no knee and no silhouette was computed");
  return -1;
}

static void recommend(strata_sweep_out *o) {
  strata_sweep_result *r = &o->pub;
  int i = strata_sweep_pick_k(o->items, r->n_results, r->knee_k, o->reason, sizeof o->reason);
  r->recommended_k = i >= 0 ? o->items[i].k : 0;
  r->recommended_algorithm = i >= 0 ? "kmeans" : NULL;
  r->reason = o->reason;
}

typedef struct {
  size_t nk, d;
  int runs;          /* restarts per k (n_init) */
  int *ks;
  int *best;         /* nk: the run kept for each k */
  strata_fit_data data; /* sample: the init sample; sample2: the silhouette sample */
  k_fit *fits;       /* nk × runs, k after k */
  strata_fit_job *jobs; /* likewise; jobs[i].user = &fits[i] */
  double bound_sq;   /* ||x - mean||² <= sum (2 bound_j)² */
  int32_t *sil_labels;
} sweep_state;

static void sweep_state_free(sweep_state *s) {
  for (size_t i = 0; s->fits && i < s->nk * (size_t)s->runs; i++) {
    k_fit *f = &s->fits[i];
    free(f->means); free(f->sizes); free(f->mass); free(f->dist_sum);
    if (s->jobs && s->jobs[i].est) s->jobs[i].est->ops->free(s->jobs[i].est);
  }
  free(s->fits);
  free(s->jobs);
  free(s->sil_labels);
  strata_fit_data_free(&s->data);
  free(s->ks);
  free(s->best);
}

/* Sets up fit i (restart `run` of its k): kernels, estimator on the
 * shared pass, init. */
static strata_status start_k(sweep_state *s, const strata_fit_params *p, size_t i, int run) {
  k_fit *f = &s->fits[i];
  strata_fit_job *job = &s->jobs[i];
  size_t k = f->k, d = s->d;
  FORWARD_IF_ERROR(choose_kernels(s->data.ctx, &s->data.sample, s->data.kept, d, k, &f->kern));
  /* No label array: the shift rule alone stops each k at the iteration
   * strata_fit stops at (unchanged labels give a zero shift). */
  strata_estimator_opts eo = {.k = k, .kern = f->kern, .init_kern = f->kern, .shared = 1};
  FORWARD_IF_ERROR(strata_estimator_kmeans.create(&s->data, &eo, &job->est));
  job->run = run;
  job->user = f;
  f->means = malloc(k * d * sizeof *f->means);
  f->sizes = calloc(k, sizeof *f->sizes);
  f->dist_sum = calloc(k, sizeof *f->dist_sum);
  f->mass = calloc(k, sizeof *f->mass);
  RETURN_IF(!f->means || !f->sizes || !f->dist_sum || !f->mass, STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d);
  return job->est->ops->init(job->est, &s->data, run);
}

/* A run's final assignment is in: its inertia, sizes and cluster means. */
static strata_status sweep_finished(strata_fit_loop *loop, strata_fit_job *job) {
  k_fit *f = job->user;
  size_t k = f->k, d = loop->data->d;
  const strata_lloyd_result *res = strata_kmeans_last_result(job->est);
  const double *centers = job->est->ops->params(job->est);
  f->inertia = res->inertia;
  memcpy(f->sizes, res->counts, k * sizeof *f->sizes);
  for (size_t c = 0; c < k; c++) {
    /* weighted: a cluster of rows of weight 0 is empty (its centroid stays) */
    f->mass[c] = res->weight ? res->weight[c] : (double)res->counts[c];
    for (size_t j = 0; j < d; j++)
      f->means[c * d + j] = f->mass[c] > 0.0 ? res->sums[c * d + j] / f->mass[c] : centers[c * d + j];
  }
  job->state = loop->data->p->n_init > 1 ? STRATA_JOB_WAIT : STRATA_JOB_EXTRA;
  return STRATA_OK;
}

/* The dispersion pass of a kept run, for the metrics. */
static strata_status sweep_extra_before(strata_fit_loop *loop, strata_fit_job *job) {
  const sweep_state *s = loop->user;
  return strata_kmeans_want_dispersion(job->est, ((k_fit *)job->user)->means, s->bound_sq);
}

static strata_status sweep_extra_after(strata_fit_loop *loop, strata_fit_job *job) {
  (void)loop;
  k_fit *f = job->user;
  const strata_lloyd_result *res = strata_kmeans_last_result(job->est);
  f->within = 0.0;
  for (size_t c = 0; c < f->k; c++) f->within += res->disp_sq[c];
  memcpy(f->dist_sum, res->disp_dist, f->k * sizeof *f->dist_sum);
  job->est->ops->release_pass(job->est);
  return STRATA_OK;
}

/* Once every run of a k waits, keeps the lowest inertia (the first run on
 * a tie, as strata_fit) for the dispersion pass and ends the others. */
static void pick_runs(sweep_state *s) {
  size_t R = (size_t)s->runs;
  for (size_t i = 0; i < s->nk; i++) {
    strata_fit_job *g = &s->jobs[i * R];
    int waiting = 1;
    for (size_t r = 0; r < R && waiting; r++) waiting = g[r].state == STRATA_JOB_WAIT;
    if (!waiting) continue;
    size_t best = 0;
    for (size_t r = 1; r < R; r++)
      if (s->fits[i * R + r].inertia < s->fits[i * R + best].inertia) best = r;
    for (size_t r = 0; r < R; r++) {
      if (r == best) continue;
      g[r].state = STRATA_JOB_DONE;
      g[r].est->ops->release_pass(g[r].est);
    }
    g[best].state = STRATA_JOB_EXTRA;
    s->best[i] = (int)best;
  }
}

static strata_status sweep_after_pass(strata_fit_loop *loop, size_t served, double secs) {
  sweep_state *s = loop->user;
  const strata_fit_params *fp = loop->data->p;
  size_t R = (size_t)s->runs, nf = s->nk * R;
  pick_runs(s);
  strata_log(loop->data->ctx, STRATA_LOG_INFO, "sweep: pass %d served %zu of %zu fits", loop->passes, served, nf);
  if (fp->progress) {
    int done = 0;
    for (size_t i = 0; i < s->nk; i++) {
      int all = 1;
      for (size_t r = 0; r < R && all; r++) all = s->jobs[i * R + r].state == STRATA_JOB_DONE;
      done += all;
    }
    strata_fit_report(fp, (strata_progress){.stage = STRATA_STAGE_SWEEP, .run = done, .n_init = (int)s->nk,
                                            .iteration = loop->passes - 1, .max_iter = fp->max_iter,
                                            .relocations = (int64_t)served, .seconds = secs,
                                            .rows_per_second = secs > 0 ? (double)s->data.n / secs : 0.0});
  }
  return STRATA_OK;
}

/* The run kept for k number i. */
static size_t kept_fit(const sweep_state *s, size_t i) { return i * (size_t)s->runs + (size_t)s->best[i]; }

static strata_status build_result(sweep_state *s, strata_sweep_out **out) {
  size_t nk = s->nk, d = s->d;
  const strata_sample *sil_sample = &s->data.sample2;
  strata_sweep_out *o = NULL;
  FORWARD_IF_ERROR(strata_sweep_out_new(nk, &o));
  double *sil = calloc(nk, sizeof *sil);
  const int32_t **labs = calloc(nk, sizeof *labs);
  size_t *kk = calloc(nk, sizeof *kk);
  double *xs = calloc(nk, sizeof *xs), *ys = calloc(nk, sizeof *ys);
  strata_status st = STRATA_OK;
  if (!sil || !labs || !kk || !xs || !ys) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  /* silhouette of every k >= 2 in one sweep over the sample's pairs */
  size_t nl = 0, m = sil_sample->m;
  if (m > 0) {
    s->sil_labels = malloc(nk * m * sizeof *s->sil_labels);
    if (!s->sil_labels) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the silhouette sample");
      goto done;
    }
    for (size_t i = 0; i < nk && st == STRATA_OK; i++) {
      const strata_estimator *e = s->jobs[kept_fit(s, i)].est;
      if (e->k < 2) continue;
      st = e->ops->predict(e, sil_sample->x, m, s->sil_labels + i * m);
      labs[nl] = s->sil_labels + i * m;
      kk[nl++] = e->k;
    }
    if (st == STRATA_OK)
      st = strata_silhouette_multi(sil_sample->x, sil_sample->w, m, d, labs, kk, nl, strata_ctx_threads(s->data.ctx),
                                   sil);
    if (st != STRATA_OK) goto done;
  }
  size_t l = 0;
  for (size_t i = 0; i < nk; i++) {
    const k_fit *f = &s->fits[kept_fit(s, i)];
    const strata_fit_job *job = &s->jobs[kept_fit(s, i)];
    const double *centers = job->est->ops->params(job->est);
    strata_sweep_k *it = &o->items[i];
    it->k = (int)f->k;
    it->inertia = f->inertia;
    it->iterations = job->iterations;
    it->converged = job->converged;
    it->silhouette = f->k >= 2 && m > 0 ? sil[l++] : NAN;
    it->calinski_harabasz = strata_calinski_harabasz(f->k, d, f->mass, f->means, f->within);
    it->davies_bouldin = strata_davies_bouldin(f->k, d, f->mass, f->means, f->dist_sum);
    int64_t *sizes = malloc(f->k * sizeof *sizes);
    double *cent = malloc(f->k * d * sizeof *cent);
    it->sizes = sizes;
    it->centroids = cent;
    if (!sizes || !cent) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
      goto done;
    }
    memcpy(sizes, f->sizes, f->k * sizeof *sizes);
    for (size_t c = 0; c < f->k; c++) strata_scaler_invert(&s->data.scaler, centers + c * d, cent + c * d);
    xs[i] = (double)f->k;
    ys[i] = f->inertia;
  }
  int knee = strata_knee(xs, ys, nk);
  o->pub.knee_k = knee >= 0 ? o->items[knee].k : 0;
  o->pub.d = d;
  o->pub.rows = s->data.kept;
  o->pub.rows_dropped = s->data.sc.skipped;
  o->pub.silhouette_rows = m;
  o->pub.backend = s->fits[kept_fit(s, nk - 1)].kern->name;
  recommend(o);
done:
  free(sil); free(labs); free(kk); free(xs); free(ys);
  if (st != STRATA_OK) {
    strata_sweep_free(&o->pub);
    return st;
  }
  *out = o;
  return STRATA_OK;
}

static strata_status run_sweep(sweep_state *s, const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                               strata_sweep_out **out) {
  const strata_fit_params *fp = &p->fit;
  size_t nk = s->nk = p->ks && p->nk ? p->nk : (size_t)(p->k_max - p->k_min + 1);
  s->ks = malloc(nk * sizeof *s->ks);
  size_t R = (size_t)(s->runs = fp->n_init), nf = nk * R;
  s->fits = calloc(nf, sizeof *s->fits);
  s->jobs = calloc(nf, sizeof *s->jobs);
  s->best = calloc(nk, sizeof *s->best);
  RETURN_IF(!s->ks || !s->fits || !s->jobs || !s->best, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < nk; i++) s->ks[i] = p->ks && p->nk ? p->ks[i] : p->k_min + (int)i;
  size_t kmax = (size_t)s->ks[nk - 1];
  FORWARD_IF_ERROR(strata_fit_data_check(&s->data, ctx, ds, fp, kmax));
  size_t d = s->d = s->data.d;
  FORWARD_IF_ERROR(strata_scheduler_check_name(strata_ctx_backend(ctx)));

  /* 1. one statistics pass for every k: columns, both samples, the scaler */
  strata_fit_data_opts o = {.kmax = kmax, .with_init_sample = 1, .sample2_rows = p->silhouette_sample,
                            .sample2_seed = fp->seed ^ STRATA_SWEEP_SIL_SALT, .n_init = 1};
  FORWARD_IF_ERROR(strata_fit_data_prepare(&s->data, &o));

  /* 2. one pass object (in memory when it fits) for every k */
  FORWARD_IF_ERROR(strata_fit_data_open_pass(&s->data));
  for (size_t j = 0; j < d; j++) s->bound_sq += 4.0 * s->data.bound[j] * s->data.bound[j];
  for (size_t i = 0; i < nf; i++) {
    s->fits[i].k = (size_t)s->ks[i / R];
    FORWARD_IF_ERROR(start_k(s, fp, i, (int)(i % R)));
  }

  /* 3. shared passes until every k is done: iterations, then the final
   * assignment, then the dispersion pass for the metrics */
  strata_fit_loop loop = {.data = &s->data, .finished = sweep_finished, .extra_before = sweep_extra_before,
                          .extra_after = sweep_extra_after, .after_pass = sweep_after_pass, .user = s,
                          .passes = 1};
  strata_status st = strata_fit_loop_run(&loop, s->jobs, nf);
  strata_fit_loop_free(&loop);
  FORWARD_IF_ERROR(st);
  FORWARD_IF_ERROR(build_result(s, out));
  (*out)->pub.data_passes = loop.passes;
  (*out)->pub.seconds = strata_fit_now() - s->data.t_start;
  return STRATA_OK;
}

strata_status strata_sweep_kmeans(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                                  strata_sweep_out **out) {
  *out = NULL;
  FORWARD_IF_ERROR(strata_sweep_check_params(p));
  sweep_state s;
  memset(&s, 0, sizeof s);
  strata_status st = run_sweep(&s, ctx, ds, p, out);
  sweep_state_free(&s);
  return st;
}
