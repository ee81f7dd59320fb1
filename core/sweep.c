/* strata_sweep: every k of a range in one job (see strata.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "error.h"
#include "fit_prepare.h"
#include "kmeans_init.h"
#include "lloyd.h"
#include "metrics.h"
#include "pass.h"
#include "sample.h"
#include "scaler.h"
#include "scheduler.h"

/* The silhouette sample draws its own rows, apart from the init sample. */
#define SIL_SEED_SALT 0x9e3779b97f4b7c15ull
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

/* What a model is doing in the next shared pass.  With several restarts
 * per k, each run waits after its final assignment (K_WAIT) until every run
 * of its k has one; the lowest inertia goes on to the dispersion pass, the
 * others end there. */
typedef enum { K_ITER, K_FINAL, K_WAIT, K_DISP, K_DONE } k_state;

typedef struct {
  size_t k;
  const strata_kernels *kern;
  strata_lloyd *lloyd;
  double *centers, *next, *means; /* k×d scaled */
  k_state state;
  int iterations, converged;
  double inertia, within;
  int64_t *sizes;
  double *dist_sum;               /* k */
} k_fit;

typedef struct {
  strata_sweep_result pub;
  strata_sweep_k *items;
  char reason[320];
} sweep_out;

void strata_sweep_free(strata_sweep_result *r) {
  if (!r) return;
  sweep_out *o = (sweep_out *)r;
  for (size_t i = 0; o->items && i < r->n_results; i++) {
    free((void *)o->items[i].sizes);
    free((void *)o->items[i].centroids);
  }
  free(o->items);
  free(o);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static strata_status check_params(const strata_sweep_params *p) {
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
            "sweep initialises with k-means++ or random, not given centroids");
  RETURN_IF(f->labels_path || f->model_path, STRATA_ERR_USAGE, "sweep writes no labels or model file");
  RETURN_IF(f->max_iter < 1, STRATA_ERR_USAGE, "max-iter must be at least 1 (got %d)", f->max_iter);
  RETURN_IF(!(f->tol >= 0.0) || !isfinite(f->tol), STRATA_ERR_USAGE, "tol must be a finite number >= 0 (got %g)",
            f->tol);
  RETURN_IF(f->threads < 0, STRATA_ERR_USAGE, "threads must be >= 0 (got %d)", f->threads);
  RETURN_IF(!(f->categorical_weight > 0.0) || !isfinite(f->categorical_weight), STRATA_ERR_USAGE,
            "categorical weight must be a positive number (got %g)", f->categorical_weight);
  RETURN_IF((unsigned)f->scale > STRATA_SCALE_NONE, STRATA_ERR_USAGE, "unknown scale method");
  RETURN_IF((unsigned)f->missing > STRATA_MISSING_MEDIAN, STRATA_ERR_USAGE, "unknown missing rule");
  return STRATA_OK;
}

/* The CPU table for k: the scheduler's choice as strata_fit makes it, or
 * its CPU fallback when that is a device (a shared pass feeds CPU tables). */
static strata_status choose_kernels(const strata_fit_params *p, const strata_sample *s, uint64_t rows, size_t d,
                                    size_t k, const strata_kernels **out) {
  strata_backend_choice choice;
  memset(&choice, 0, sizeof choice);
  FORWARD_IF_ERROR(strata_scheduler_choose(p->backend, s->x, s->m, rows, d, k, p->threads, &choice));
  const strata_kernels *kern = choice.kern;
  if (kern->run.run_open) {
    RETURN_IF(p->backend && strcmp(p->backend, "auto") != 0, STRATA_ERR_USAGE,
              "sweep runs on the CPU tables; --backend %s is a device", p->backend);
    kern = choice.fallback ? choice.fallback : strata_kernels_for_shape("auto", d, k);
  }
  *out = kern;
  return STRATA_OK;
}

/* The sample's labels against k's final centroids, with k's kernel table
 * (the table the data passes used, so the labels are the same). */
static strata_status sample_labels(const k_fit *kf, const strata_sample *s, int32_t *labels) {
  size_t k = kf->k, d = s->d;
  float *cf = malloc(k * d * sizeof *cf), *cnorm = malloc(k * sizeof *cnorm);
  size_t sbytes = kf->kern->lloyd.scratch_bytes(&kf->kern->ctx, STRATA_BLOCK_ROWS, d, k);
  strata_scratch sc = {sbytes ? aligned_alloc(64, (sbytes + 63) / 64 * 64) : NULL, sbytes};
  strata_status st = STRATA_OK;
  if (!cf || !cnorm || (sbytes && !sc.ptr)) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (size_t c = 0; c < k; c++) {
    double q = 0.0;
    for (size_t j = 0; j < d; j++) {
      float v = (float)kf->centers[c * d + j];
      cf[c * d + j] = v;
      q += (double)v * v;
    }
    cnorm[c] = (float)q;
  }
  for (size_t r0 = 0; r0 < s->m; r0 += STRATA_BLOCK_ROWS) {
    size_t rows = s->m - r0 < STRATA_BLOCK_ROWS ? s->m - r0 : STRATA_BLOCK_ROWS;
    kf->kern->lloyd.assign_reduce(&kf->kern->ctx, s->x + r0 * d, rows, d, d, cf, cnorm, k, labels + r0, NULL, NULL, sc);
  }
done:
  free(cf);
  free(cnorm);
  free(sc.ptr);
  return st;
}

/* The recommendation and its one-sentence reason (the rule in strata.h). */
static void recommend(sweep_out *o) {
  strata_sweep_result *r = &o->pub;
  const strata_sweep_k *it = o->items;
  int best = -1, knee = -1;
  for (size_t i = 0; i < r->n_results; i++) {
    if (isfinite(it[i].silhouette) && (best < 0 || it[i].silhouette > it[best].silhouette)) best = (int)i;
    if (it[i].k == r->knee_k) knee = (int)i;
  }
  char *buf = o->reason;
  size_t n = sizeof o->reason;
  if (knee >= 0 && best == knee) {
    r->recommended_k = it[knee].k;
    snprintf(buf, n, "k = %d: the inertia curve bends there (knee) and its silhouette %.3f is the highest",
             it[knee].k, it[knee].silhouette);
  } else if (knee >= 0 && best >= 0 && isfinite(it[knee].silhouette) &&
             it[knee].silhouette >= it[best].silhouette - SIL_SLACK) {
    r->recommended_k = it[knee].k;
    snprintf(buf, n,
             "k = %d: the inertia curve bends there (knee) and its silhouette %.3f is within %.2f of the "
             "best (%.3f at k = %d)",
             it[knee].k, it[knee].silhouette, SIL_SLACK, it[best].silhouette, it[best].k);
  } else if (knee >= 0 && best >= 0) {
    r->recommended_k = it[best].k;
    snprintf(buf, n,
             "k = %d: its silhouette %.3f is the highest; the inertia knee at k = %d separates the "
             "segments less well (silhouette %.3f)",
             it[best].k, it[best].silhouette, it[knee].k, it[knee].silhouette);
  } else if (best >= 0) {
    r->recommended_k = it[best].k;
    snprintf(buf, n, "k = %d: its silhouette %.3f is the highest (the inertia curve shows no clear knee)",
             it[best].k, it[best].silhouette);
  } else if (knee >= 0) {
    r->recommended_k = it[knee].k;
    snprintf(buf, n, "k = %d: the inertia curve bends there (knee); no silhouette was computed", it[knee].k);
  } else if (r->n_results == 1) {
    r->recommended_k = it[0].k;
    snprintf(buf, n, "k = %d: the only value fitted", it[0].k);
  } else {
    r->recommended_k = 0;
    snprintf(buf, n, "no recommendation: the inertia curve shows no knee and no silhouette was computed");
  }
  r->reason = buf;
}

typedef struct {
  size_t nk, d;
  int runs;          /* restarts per k (n_init) */
  int *ks;
  int *best;         /* nk: the run kept for each k */
  const char **names;
  int *groups;
  strata_fit_stats sc;
  strata_sample init, sil;
  strata_scaler scaler;
  strata_pass *pass;
  k_fit *fits;
  strata_lloyd **active;
  size_t *active_fit;
  const strata_lloyd_result **res;
  int32_t *sil_labels;
} sweep_state;

static void sweep_state_free(sweep_state *s) {
  for (size_t i = 0; s->fits && i < s->nk * (size_t)s->runs; i++) {
    k_fit *f = &s->fits[i];
    strata_lloyd_free(f->lloyd);
    free(f->centers); free(f->next); free(f->means); free(f->sizes); free(f->dist_sum);
  }
  free(s->fits);
  free(s->active);
  free(s->active_fit);
  free(s->res);
  free(s->sil_labels);
  strata_pass_free(s->pass);
  strata_scaler_free(&s->scaler);
  strata_sample_free(&s->init);
  strata_sample_free(&s->sil);
  strata_fit_stats_free(&s->sc);
  free(s->ks);
  free(s->best);
  free(s->names);
  free(s->groups);
}

/* Sets up k's model: kernels, Lloyd object on the shared pass, init. */
static strata_status start_k(sweep_state *s, const strata_fit_params *p, k_fit *f, int run, const double *bound,
                             size_t n, uint64_t kept) {
  size_t k = f->k, d = s->d;
  FORWARD_IF_ERROR(choose_kernels(p, &s->init, kept, d, k, &f->kern));
  /* No label array: the shift rule alone stops each k at the iteration
   * strata_fit stops at (unchanged labels give a zero shift). */
  FORWARD_IF_ERROR(strata_lloyd_create(f->kern, s->pass, k, d, n, 0, &f->lloyd));
  FORWARD_IF_ERROR(strata_lloyd_want_sums(f->lloyd, bound, kept));
  f->centers = malloc(k * d * sizeof *f->centers);
  f->next = malloc(k * d * sizeof *f->next);
  f->means = malloc(k * d * sizeof *f->means);
  f->sizes = calloc(k, sizeof *f->sizes);
  f->dist_sum = calloc(k, sizeof *f->dist_sum);
  RETURN_IF(!f->centers || !f->next || !f->means || !f->sizes || !f->dist_sum, STRATA_ERR_NOMEM,
            "out of memory for k = %zu, d = %zu", k, d);
  RETURN_IF(s->init.m < k, STRATA_ERR_DATA, "the init sample holds %zu complete rows, fewer than k = %zu",
            s->init.m, k);
  strata_init_job job = {f->kern, strata_pass_threads(s->pass), s->init.x, s->init.m, d, k,
                         s->init.m == kept, p->seed, run};
  if (p->init == STRATA_INIT_RANDOM) return strata_init_random(&job, f->centers);
  return strata_init_kmeanspp(&job, f->centers);
}

/* Takes the result of the pass k's model just had and moves it on. */
static strata_status advance(k_fit *f, strata_lloyd_result *res, const strata_fit_params *p, double tol_abs,
                             size_t d, int *passes) {
  const k_state after_final = p->n_init > 1 ? K_WAIT : K_DISP;
  size_t k = f->k;
  int final_now = 0;
  switch (f->state) {
    case K_ITER: {
      strata_lloyd_step step;
      FORWARD_IF_ERROR(strata_lloyd_update(f->lloyd, res, f->centers, f->next, tol_abs, &step));
      *passes += step.relocated; /* the farthest-point pass of this k alone */
      double *t = f->centers; f->centers = f->next; f->next = t;
      f->iterations++;
      f->converged = step.converged;
      if (!step.converged && f->iterations < p->max_iter) return STRATA_OK;
      /* Unchanged centroids: the pass just made already is the final one. */
      if (step.shift == 0.0 && !step.relocated) final_now = 1;
      else f->state = K_FINAL;
      if (!final_now) return STRATA_OK;
    }
    /* fall through */
    case K_FINAL:
      f->inertia = res->inertia;
      memcpy(f->sizes, res->counts, k * sizeof *f->sizes);
      for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
          f->means[c * d + j] = res->counts[c] ? res->sums[c * d + j] / (double)res->counts[c]
                                               : f->centers[c * d + j];
      f->state = after_final;
      return STRATA_OK;
    case K_DISP:
      f->within = 0.0;
      for (size_t c = 0; c < k; c++) f->within += res->disp_sq[c];
      memcpy(f->dist_sum, res->disp_dist, k * sizeof *f->dist_sum);
      f->state = K_DONE;
      strata_lloyd_free(f->lloyd);
      f->lloyd = NULL;
      return STRATA_OK;
    case K_WAIT:
    case K_DONE: break;
  }
  return STRATA_OK;
}

/* Once every run of a k waits, keeps the lowest inertia (the first run on
 * a tie, as strata_fit) for the dispersion pass and ends the others. */
static void pick_runs(sweep_state *s) {
  size_t R = (size_t)s->runs;
  for (size_t i = 0; i < s->nk; i++) {
    k_fit *g = &s->fits[i * R];
    int waiting = 1;
    for (size_t r = 0; r < R && waiting; r++) waiting = g[r].state == K_WAIT;
    if (!waiting) continue;
    size_t best = 0;
    for (size_t r = 1; r < R; r++)
      if (g[r].inertia < g[best].inertia) best = r;
    for (size_t r = 0; r < R; r++) {
      if (r == best) continue;
      g[r].state = K_DONE;
      strata_lloyd_free(g[r].lloyd);
      g[r].lloyd = NULL;
    }
    g[best].state = K_DISP;
    s->best[i] = (int)best;
  }
}

/* The run kept for k number i. */
static const k_fit *kept_fit(const sweep_state *s, size_t i) { return &s->fits[i * (size_t)s->runs + (size_t)s->best[i]]; }

static strata_status build_result(sweep_state *s, const strata_sweep_params *p, uint64_t kept,
                                  strata_sweep_result **out) {
  size_t nk = s->nk, d = s->d;
  sweep_out *o = calloc(1, sizeof *o);
  RETURN_IF(!o, STRATA_ERR_NOMEM, "out of memory");
  o->items = calloc(nk, sizeof *o->items);
  o->pub.n_results = nk;
  o->pub.results = o->items;
  if (!o->items) {
    strata_sweep_free(&o->pub);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
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
  size_t nl = 0, m = s->sil.m;
  if (m > 0) {
    s->sil_labels = malloc(nk * m * sizeof *s->sil_labels);
    if (!s->sil_labels) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the silhouette sample");
      goto done;
    }
    for (size_t i = 0; i < nk && st == STRATA_OK; i++) {
      const k_fit *f = kept_fit(s, i);
      if (f->k < 2) continue;
      st = sample_labels(f, &s->sil, s->sil_labels + i * m);
      labs[nl] = s->sil_labels + i * m;
      kk[nl++] = f->k;
    }
    if (st == STRATA_OK)
      st = strata_silhouette_multi(s->sil.x, m, d, labs, kk, nl, p->fit.threads, sil);
    if (st != STRATA_OK) goto done;
  }
  size_t l = 0;
  for (size_t i = 0; i < nk; i++) {
    const k_fit *f = kept_fit(s, i);
    strata_sweep_k *it = &o->items[i];
    it->k = (int)f->k;
    it->inertia = f->inertia;
    it->iterations = f->iterations;
    it->converged = f->converged;
    it->silhouette = f->k >= 2 && m > 0 ? sil[l++] : NAN;
    it->calinski_harabasz = strata_calinski_harabasz(f->k, d, f->sizes, f->means, f->within);
    it->davies_bouldin = strata_davies_bouldin(f->k, d, f->sizes, f->means, f->dist_sum);
    int64_t *sizes = malloc(f->k * sizeof *sizes);
    double *cent = malloc(f->k * d * sizeof *cent);
    it->sizes = sizes;
    it->centroids = cent;
    if (!sizes || !cent) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
      goto done;
    }
    memcpy(sizes, f->sizes, f->k * sizeof *sizes);
    for (size_t c = 0; c < f->k; c++) strata_scaler_invert(&s->scaler, f->centers + c * d, cent + c * d);
    xs[i] = (double)f->k;
    ys[i] = f->inertia;
  }
  int knee = strata_knee(xs, ys, nk);
  o->pub.knee_k = knee >= 0 ? o->items[knee].k : 0;
  o->pub.d = d;
  o->pub.rows = kept;
  o->pub.rows_dropped = s->sc.skipped;
  o->pub.silhouette_rows = m;
  o->pub.backend = kept_fit(s, nk - 1)->kern->name;
  recommend(o);
done:
  free(sil); free(labs); free(kk); free(xs); free(ys);
  if (st != STRATA_OK) {
    strata_sweep_free(&o->pub);
    return st;
  }
  *out = &o->pub;
  return STRATA_OK;
}

static strata_status run_sweep(sweep_state *s, strata_dataset *ds, const strata_sweep_params *p,
                               strata_sweep_result **out) {
  const strata_fit_params *fp = &p->fit;
  double t_start = now_seconds();
  size_t n = strata_dataset_rows(ds), d = s->d = strata_dataset_cols(ds);
  size_t nk = s->nk = p->ks && p->nk ? p->nk : (size_t)(p->k_max - p->k_min + 1);
  s->ks = malloc(nk * sizeof *s->ks);
  s->names = malloc((d ? d : 1) * sizeof *s->names);
  s->groups = malloc((d ? d : 1) * sizeof *s->groups);
  size_t R = (size_t)(s->runs = fp->n_init), nf = nk * R;
  s->fits = calloc(nf, sizeof *s->fits);
  s->best = calloc(nk, sizeof *s->best);
  s->active = calloc(nf, sizeof *s->active);
  s->active_fit = calloc(nf, sizeof *s->active_fit);
  s->res = calloc(nf, sizeof *s->res);
  RETURN_IF(!s->ks || !s->names || !s->groups || !s->fits || !s->best || !s->active || !s->active_fit || !s->res,
            STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < nk; i++) s->ks[i] = p->ks && p->nk ? p->ks[i] : p->k_min + (int)i;
  for (size_t j = 0; j < d; j++) {
    s->names[j] = strata_dataset_col_name(ds, j);
    s->groups[j] = strata_dataset_col_group(ds, j);
  }
  size_t kmax = (size_t)s->ks[nk - 1];
  RETURN_IF(n == 0, STRATA_ERR_DATA, "dataset '%s' is empty (0 rows)", strata_dataset_path(ds));
  RETURN_IF(d == 0, STRATA_ERR_DATA, "dataset '%s' has no numeric columns", strata_dataset_path(ds));
  RETURN_IF(kmax > n, STRATA_ERR_DATA, "k = %zu exceeds the number of rows (%zu)", kmax, n);
  FORWARD_IF_ERROR(strata_scheduler_check_name(fp->backend));

  /* 1. one statistics pass for every k: columns, both samples, the scaler */
  size_t m_init = fp->init_sample ? fp->init_sample : strata_fit_auto_init_sample(n, kmax);
  FORWARD_IF_ERROR(strata_sample_choose(&s->init, n, m_init, d, fp->seed));
  if (p->silhouette_sample)
    FORWARD_IF_ERROR(strata_sample_choose(&s->sil, n, p->silhouette_sample, d, fp->seed ^ SIL_SEED_SALT));
  double t0 = now_seconds();
  FORWARD_IF_ERROR(strata_fit_stats_pass(&s->sc, ds, fp, s->names, &s->init,
                                         p->silhouette_sample ? &s->sil : NULL));
  if (fp->progress) {
    double secs = now_seconds() - t0;
    fp->progress(&(strata_progress){.stage = STRATA_STAGE_STATS, .n_init = 1, .seconds = secs,
                                    .rows_per_second = secs > 0 ? (double)n / secs : 0.0},
                 fp->progress_user);
  }
  int passes = 1;
  uint64_t kept = n - s->sc.skipped;
  RETURN_IF(kept == 0, STRATA_ERR_DATA, "no rows left: every row of '%s' has a missing value",
            strata_dataset_path(ds));
  RETURN_IF(kmax > kept, STRATA_ERR_DATA,
            "k = %zu exceeds the number of rows (%zu after dropping %llu with missing values)", kmax,
            (size_t)kept, (unsigned long long)s->sc.skipped);
  FORWARD_IF_ERROR(strata_scaler_fit(&s->scaler, d, s->names, fp->scale, fp->missing, s->sc.total,
                                     s->sc.medians, s->groups, fp->categorical_weight));
  double tol_abs = strata_fit_tol_abs(&s->sc, &s->scaler, fp->tol);
  FORWARD_IF_ERROR(strata_sample_finish(&s->init, &s->scaler));
  if (p->silhouette_sample) FORWARD_IF_ERROR(strata_sample_finish(&s->sil, &s->scaler));

  /* 2. one pass object (in memory when it fits) for every k */
  uint64_t limit = fp->streaming ? 0 : (fp->mem_limit ? fp->mem_limit : strata_default_mem_limit());
  FORWARD_IF_ERROR(strata_pass_open(ds, &s->scaler, fp->chunk_rows, fp->threads, limit, &s->pass));
  double *bound = malloc(d * sizeof *bound);
  RETURN_IF(!bound, STRATA_ERR_NOMEM, "out of memory");
  strata_fit_sum_bounds(&s->sc, &s->scaler, bound);
  double bound_sq = 0.0; /* ||x - mean||² <= sum (2 bound_j)² */
  for (size_t j = 0; j < d; j++) bound_sq += 4.0 * bound[j] * bound[j];
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < nf && st == STRATA_OK; i++) {
    s->fits[i].k = (size_t)s->ks[i / R];
    st = start_k(s, fp, &s->fits[i], (int)(i % R), bound, n, kept);
  }
  free(bound);
  FORWARD_IF_ERROR(st);

  /* 3. shared passes until every k is done: iterations, then the final
   * assignment, then the dispersion pass for the metrics */
  for (;;) {
    size_t na = 0;
    for (size_t i = 0; i < nf; i++) {
      k_fit *f = &s->fits[i];
      if (f->state == K_DONE || f->state == K_WAIT) continue;
      strata_lloyd_set_centroids(f->lloyd, f->centers);
      if (f->state == K_DISP) FORWARD_IF_ERROR(strata_lloyd_want_dispersion(f->lloyd, f->means, bound_sq));
      s->active_fit[na] = i;
      s->active[na++] = f->lloyd;
    }
    if (na == 0) break;
    t0 = now_seconds();
    FORWARD_IF_ERROR(strata_lloyd_pass_multi(s->active, na, s->res));
    passes++;
    for (size_t a = 0; a < na; a++)
      FORWARD_IF_ERROR(advance(&s->fits[s->active_fit[a]], (strata_lloyd_result *)s->res[a], fp, tol_abs, d, &passes));
    pick_runs(s);
    strata_log(STRATA_LOG_INFO, "sweep: pass %d served %zu of %zu fits", passes, na, nf);
    if (fp->progress) {
      int done = 0;
      for (size_t i = 0; i < nk; i++) {
        int all = 1;
        for (size_t r = 0; r < R && all; r++) all = s->fits[i * R + r].state == K_DONE;
        done += all;
      }
      double secs = now_seconds() - t0;
      fp->progress(&(strata_progress){.stage = STRATA_STAGE_SWEEP, .run = done, .n_init = (int)nk,
                                      .iteration = passes - 1, .max_iter = fp->max_iter,
                                      .relocations = (int64_t)na, .seconds = secs,
                                      .rows_per_second = secs > 0 ? (double)n / secs : 0.0},
                   fp->progress_user);
    }
  }
  FORWARD_IF_ERROR(build_result(s, p, kept, out));
  (*out)->data_passes = passes;
  (*out)->seconds = now_seconds() - t_start;
  return STRATA_OK;
}

strata_status strata_sweep(strata_dataset *ds, const strata_sweep_params *p, strata_sweep_result **out) {
  RETURN_IF(!ds || !p || !out, STRATA_ERR_USAGE, "strata_sweep: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_sweep_params"));
  FORWARD_IF_ERROR(strata_check_size(p->fit.size, sizeof p->fit, "strata_fit_params"));
  FORWARD_IF_ERROR(check_params(p));
  sweep_state s;
  memset(&s, 0, sizeof s);
  strata_status st = run_sweep(&s, ds, p, out);
  sweep_state_free(&s);
  return st;
}
