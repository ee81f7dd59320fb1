/* Weighted k-means++ and Lloyd on a small point set (kmeans_weighted.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "kmeans_weighted.h"
#include "rng.h"

#define ITEM 512
#define MAX_TRIALS 64
/* Weighted Lloyd iterations after a swap. */
#define SWAP_ITERS 5

typedef struct {
  const strata_weighted_job *job;
  size_t nitems;
  void **scratch;   /* per thread: ITEM×MAX_TRIALS floats, then the kernel's */
  size_t kbytes;    /* the kernel's part */
} work;

static void work_free(work *w) {
  if (w->scratch)
    for (int t = 0; t < w->job->threads; t++) free(w->scratch[t]);
  free(w->scratch);
}

static strata_status work_init(work *w, const strata_weighted_job *job) {
  memset(w, 0, sizeof *w);
  w->job = job;
  w->nitems = (job->m + ITEM - 1) / ITEM;
  const strata_kernels *kern = job->kern;
  size_t a = kern->lloyd.scratch_bytes(&kern->ctx, ITEM, job->d, MAX_TRIALS);
  size_t b = kern->lloyd.scratch_bytes(&kern->ctx, ITEM, job->d, job->k);
  w->kbytes = a > b ? a : b;
  w->scratch = calloc((size_t)job->threads, sizeof *w->scratch);
  RETURN_IF(!w->scratch, STRATA_ERR_NOMEM, "out of memory");
  for (int t = 0; t < job->threads; t++) {
    w->scratch[t] = aligned_alloc(64, ((size_t)ITEM * MAX_TRIALS * sizeof(float) + w->kbytes + 63) / 64 * 64);
    RETURN_IF(!w->scratch[t], STRATA_ERR_NOMEM, "out of memory");
  }
  return STRATA_OK;
}

/* dist[j*m + i] = ||x_i - cand_j||^2 for every point. */
static void distances(work *w, const float *cand, size_t trials, float *dist) {
  const strata_weighted_job *job = w->job;
  size_t m = job->m, d = job->d;
  const strata_kernels *kern = job->kern;
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads)
  for (size_t it = 0; it < w->nitems; it++) {
    size_t r0 = it * ITEM, rows = m - r0 < ITEM ? m - r0 : ITEM;
    float *tmp = w->scratch[omp_get_thread_num()];
    strata_scratch sc = {(char *)tmp + (size_t)ITEM * MAX_TRIALS * sizeof(float), w->kbytes};
    kern->seed.dist2_to_points(&kern->ctx, job->x + r0 * d, rows, d, d, cand, trials, tmp, sc);
    for (size_t j = 0; j < trials; j++) memcpy(dist + j * m + r0, tmp + j * rows, rows * sizeof *tmp);
  }
}

/* A point drawn with probability w_i * closest_i / total, in point order. */
static size_t draw(strata_rng *rng, const double *w, const float *closest, size_t m, double total) {
  double r = strata_rng_uniform(rng) * total, acc = 0.0;
  size_t last = 0;
  for (size_t i = 0; i < m; i++) {
    double v = w[i] * (closest ? closest[i] : 1.0f);
    if (!(v > 0.0)) continue;
    last = i;
    acc += v;
    if (acc > r) return i;
  }
  return last; /* rounding left r past the end */
}

static strata_status too_few(const strata_weighted_job *job) {
  if (job->init_sample)
    return strata_fail(STRATA_ERR_DATA,
                       "the init sample of %zu rows has fewer than k = %zu distinct rows of positive weight", job->m,
                       job->k);
  return strata_fail(STRATA_ERR_DATA,
                     "k-means|| found fewer than k = %zu distinct rows among its %zu candidates "
                     "(the data may have fewer distinct rows; try --init k-means++)",
                     job->k, job->m);
}

static strata_status seed(work *wk, double *centers) {
  const strata_weighted_job *job = wk->job;
  size_t m = job->m, d = job->d, k = job->k;
  size_t trials = 2 + (size_t)floor(log((double)k));
  if (trials > MAX_TRIALS) trials = MAX_TRIALS;
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, job->stream);
  float *closest = malloc(m * sizeof *closest), *dist = malloc(trials * m * sizeof *dist);
  float *cand = malloc(trials * d * sizeof *cand);
  size_t *id = malloc(trials * sizeof *id);
  double *pot = malloc(trials * sizeof *pot);
  strata_status st = STRATA_OK;
  if (!closest || !dist || !cand || !id || !pot) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means|| on %zu candidates", m);
    goto done;
  }
  double wsum = 0.0;
  for (size_t i = 0; i < m; i++) wsum += job->w[i];
  size_t first = draw(&rng, job->w, NULL, m, wsum);
  memcpy(cand, job->x + first * d, d * sizeof *cand);
  distances(wk, cand, 1, closest);
  double current = 0.0;
  for (size_t i = 0; i < m; i++) current += job->w[i] * closest[i];
  for (size_t j = 0; j < d; j++) centers[j] = job->x[first * d + j];
  for (size_t c = 1; c < k; c++) {
    if ((c & 63) == 0 && (st = strata_check_cancel(job->ctx)) != STRATA_OK) goto done;
    if (!(current > 0.0)) {
      st = too_few(job);
      goto done;
    }
    for (size_t t = 0; t < trials; t++) {
      id[t] = draw(&rng, job->w, closest, m, current);
      memcpy(cand + t * d, job->x + id[t] * d, d * sizeof *cand);
    }
    distances(wk, cand, trials, dist);
    size_t best = 0;
    for (size_t t = 0; t < trials; t++) {
      double s = 0.0;
      for (size_t i = 0; i < m; i++) s += job->w[i] * fminf(closest[i], dist[t * m + i]);
      pot[t] = s;
      if (s < pot[best]) best = t;
    }
    current = pot[best];
    for (size_t i = 0; i < m; i++) closest[i] = fminf(closest[i], dist[best * m + i]);
    for (size_t j = 0; j < d; j++) centers[c * d + j] = job->x[id[best] * d + j];
  }
done:
  free(closest); free(dist); free(cand); free(id); free(pot);
  return st;
}

/* Weighted Lloyd until no point changes centre; an empty centre stays.
 * *cost OUT: the weighted inertia at the last assignment, float64. */
static strata_status lloyd(work *wk, double *centers, double *cost) {
  const strata_weighted_job *job = wk->job;
  size_t m = job->m, d = job->d, k = job->k;
  const strata_kernels *kern = job->kern;
  float *cf = malloc(k * d * sizeof *cf), *cnorm = malloc(k * sizeof *cnorm);
  int32_t *lab = malloc(m * sizeof *lab), *prev = malloc(m * sizeof *prev);
  double *sum = malloc(k * d * sizeof *sum), *wt = malloc(k * sizeof *wt);
  strata_status st = STRATA_OK;
  if (!cf || !cnorm || !lab || !prev || !sum || !wt) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means|| on %zu candidates", m);
    goto done;
  }
  for (size_t i = 0; i < m; i++) prev[i] = -1;
  for (int iter = 0; iter < job->max_iter; iter++) {
    if ((st = strata_check_cancel(job->ctx)) != STRATA_OK) goto done;
    strata_kernel_centroids(centers, k, d, cf, cnorm);
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads)
    for (size_t it = 0; it < wk->nitems; it++) {
      size_t r0 = it * ITEM, rows = m - r0 < ITEM ? m - r0 : ITEM;
      strata_scratch sc = {(char *)wk->scratch[omp_get_thread_num()] + (size_t)ITEM * MAX_TRIALS * sizeof(float),
                           wk->kbytes};
      kern->lloyd.assign_reduce(&kern->ctx, job->x + r0 * d, rows, d, d, cf, cnorm, k, lab + r0, NULL, NULL, sc);
    }
    size_t moved = 0;
    for (size_t i = 0; i < m; i++) moved += lab[i] != prev[i];
    double total = 0.0;
    for (size_t i = 0; i < m; i++) {
      const double *c = centers + (size_t)lab[i] * d;
      double s = 0.0;
      for (size_t j = 0; j < d; j++) s += (job->x[i * d + j] - c[j]) * (job->x[i * d + j] - c[j]);
      total += job->w[i] * s;
    }
    *cost = total;
    if (moved == 0) break;
    memcpy(prev, lab, m * sizeof *lab);
    memset(sum, 0, k * d * sizeof *sum);
    memset(wt, 0, k * sizeof *wt);
    for (size_t i = 0; i < m; i++) {
      double w = job->w[i];
      if (!(w > 0.0)) continue;
      size_t c = (size_t)lab[i];
      wt[c] += w;
      for (size_t j = 0; j < d; j++) sum[c * d + j] += w * job->x[i * d + j];
    }
    for (size_t c = 0; c < k; c++)
      if (wt[c] > 0.0)
        for (size_t j = 0; j < d; j++) centers[c * d + j] = sum[c * d + j] / wt[c];
  }
done:
  free(cf); free(cnorm); free(lab); free(prev); free(sum); free(wt);
  return st;
}

/* Seedings tried on the candidates, the lowest weighted inertia kept: the
 * candidates are few, and one greedy seeding can still split a heavy
 * cluster where a light far one needed the centre.  Fewer when one costs
 * more than about 1e8 distance terms, so that large k stays cheap next to
 * the passes. */
static int restarts(const strata_weighted_job *job) {
  double one = (double)job->m * (double)job->k * (double)job->d * (2.0 + log((double)job->k));
  int r = one > 0.0 ? (int)(1e9 / one) : 1;
  return r < 1 ? 1 : r > STRATA_WEIGHTED_RESTARTS ? STRATA_WEIGHTED_RESTARTS : r;
}

/* Weighted squared distance of every point to its nearest centre, float64;
 * the total returned. */
static double nearest_cost(const strata_weighted_job *job, const double *centers, double *d2) {
  size_t d = job->d;
  double total = 0.0;
  for (size_t i = 0; i < job->m; i++) {
    double best = INFINITY;
    for (size_t c = 0; c < job->k; c++) {
      double s = 0.0;
      for (size_t j = 0; j < d; j++) s += (job->x[i * d + j] - centers[c * d + j]) * (job->x[i * d + j] - centers[c * d + j]);
      if (s < best) best = s;
    }
    d2[i] = job->w[i] * best;
    total += d2[i];
  }
  return total;
}

/* Random swaps (Franti's random swap) on the points: a centre removed, a
 * point drawn with probability w d² put in its place, a few weighted Lloyd
 * iterations, kept when the weighted inertia drops.  Greedy seeding favours
 * the heavy clusters' spread over a light far cluster; a swap can still
 * move a centre there, as the data's own inertia says it should. */
static strata_status swaps(work *wk, double *centers, double *cost, int trials) {
  const strata_weighted_job *job = wk->job;
  size_t m = job->m, kd = job->k * job->d;
  double *trial = malloc(kd * sizeof *trial), *d2 = malloc(m * sizeof *d2);
  strata_status st = STRATA_OK;
  if (!trial || !d2) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, job->stream ^ 0x5a5a);
  strata_weighted_job one = *job;
  one.max_iter = SWAP_ITERS;
  wk->job = &one;
  double total = nearest_cost(job, centers, d2);
  for (int t = 0; st == STRATA_OK && t < trials && total > 0.0; t++) {
    if ((t & 15) == 0 && (st = strata_check_cancel(job->ctx)) != STRATA_OK) break;
    memcpy(trial, centers, kd * sizeof *trial);
    size_t out = (size_t)strata_rng_below(&rng, job->k);
    double r = strata_rng_uniform(&rng) * total, acc = 0.0;
    size_t in = 0;
    for (size_t i = 0; i < m; i++) {
      if (d2[i] > 0.0) in = i;
      acc += d2[i];
      if (acc > r && d2[i] > 0.0) break;
    }
    for (size_t j = 0; j < job->d; j++) trial[out * job->d + j] = job->x[in * job->d + j];
    double c = INFINITY;
    st = lloyd(wk, trial, &c);
    if (st == STRATA_OK && c < *cost) {
      *cost = c;
      memcpy(centers, trial, kd * sizeof *trial);
      total = nearest_cost(job, centers, d2);
    }
  }
  wk->job = job;
done:
  free(trial);
  free(d2);
  return st;
}

/* Swap trials: 50 per centre, fewer when they would pass about 1e9
 * distance terms (each trial is up to SWAP_ITERS assignments of m points to
 * k centres, and an accepted one a float64 cost of as many). */
static int swap_trials(const strata_weighted_job *job) {
  double one = (double)job->m * (double)job->k * (double)job->d * (SWAP_ITERS + 1);
  double t = one > 0.0 ? 1e9 / one : 0.0, cap = 50.0 * (double)job->k;
  return (int)(t < cap ? t : cap);
}

strata_status strata_kmeans_weighted(const strata_weighted_job *job, double *centers) {
  work w;
  size_t kd = job->k * job->d;
  double *trial = malloc(kd * sizeof *trial);
  strata_status st = trial ? work_init(&w, job) : strata_fail(STRATA_ERR_NOMEM, "out of memory");
  if (!trial) return st;
  double best = INFINITY;
  int runs = restarts(job);
  strata_weighted_job one = *job;
  for (int r = 0; st == STRATA_OK && r < runs; r++) {
    one.stream = job->stream + (uint64_t)r * 0x10000;
    w.job = &one;
    double cost = INFINITY;
    st = seed(&w, trial);
    if (st == STRATA_OK) st = lloyd(&w, trial, &cost);
    if (st == STRATA_OK && (cost < best || r == 0)) {
      best = cost;
      memcpy(centers, trial, kd * sizeof *trial);
    }
  }
  w.job = job;
  if (st == STRATA_OK) st = swaps(&w, centers, &best, swap_trials(job));
  /* A swap's few iterations may stop short of a fixed point. */
  if (st == STRATA_OK) st = lloyd(&w, centers, &best);
  work_free(&w);
  free(trial);
  return st;
}

strata_status strata_kmeans_weighted_seed(const strata_weighted_job *job, double *centers) {
  work w;
  strata_status st = work_init(&w, job);
  if (st == STRATA_OK) st = seed(&w, centers);
  work_free(&w);
  return st;
}

strata_status strata_kmeans_weighted_random(const strata_weighted_job *job, double *centers) {
  size_t m = job->m, d = job->d;
  double *w = malloc((m ? m : 1) * sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
  memcpy(w, job->w, m * sizeof *w);
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, job->stream);
  strata_status st = STRATA_OK;
  for (size_t c = 0; c < job->k; c++) {
    double total = 0.0;
    for (size_t i = 0; i < m; i++) total += w[i];
    if (!(total > 0.0)) {
      st = too_few(job);
      break;
    }
    size_t i = draw(&rng, w, NULL, m, total);
    for (size_t j = 0; j < d; j++) centers[c * d + j] = job->x[i * d + j];
    w[i] = 0.0;
  }
  free(w);
  return st;
}

strata_status strata_kmeans_weighted_init(const strata_ctx *ctx, const strata_kernels *kern, int threads,
                                          const float *x, const float *wf, size_t m, size_t d, size_t k,
                                          uint64_t seed, int run, int random, double *centers) {
  double *w = malloc((m ? m : 1) * sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) w[i] = wf[i];
  strata_weighted_job job = {ctx, kern, threads, x, w, m, d, k, seed, 0x6000 + (uint64_t)run, 0, 1};
  strata_status st = random ? strata_kmeans_weighted_random(&job, centers) : strata_kmeans_weighted_seed(&job, centers);
  free(w);
  return st;
}
