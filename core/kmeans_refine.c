/* The swap refinement after Lloyd (strata_refine, kmeans_refine.h).
 *
 * Lloyd stops in a local optimum whose typical defect, on data with real
 * clusters, is two centroids sharing one cluster while one centroid covers
 * two: no Lloyd step can move a centroid across the gap.  A swap undoes
 * that: one centroid is removed and one added where the data is worst
 * served.
 *
 * The search runs on the in-memory init sample (refine_sample.h), never on
 * the full data.  A trial draws 2 + ln k candidates by k-means++
 * (probability by squared distance to the nearest centroid); one
 * evaluation per candidate gives the exact change of the sample's inertia
 * for every possible removal at once, from each row's nearest and
 * second-nearest distances, and visits only the clusters whose rows the
 * candidate could serve.  The best candidate moves once to the mean of the
 * rows it would serve; its REMOVALS cheapest removals are then judged after
 * one Lloyd update of the clusters the swap touches, and the best is kept
 * when it lowers the sample's inertia by enough (MIN_GAIN).  A
 * kept swap rescans only the rows whose two nearest centroids can have
 * changed.  After the search, when a swap was kept, Lloyd runs on the
 * sample to near convergence, then on the full data to convergence from the
 * sample's centroids (the estimator's own
 * passes), and the result is kept only if its inertia is below the plain
 * run's; else the plain centroids come back (one pass).
 *
 * Budget: the search stops after `patience` trials in a row without a kept
 * swap, after `trials`, or when its distance computations (row × centroid)
 * reach half those of the fit before it (Lloyd's passes and the seeding's); the
 * sample's Lloyd may add a quarter of that, and the full data's Lloyd run
 * makes at most the plain run's iterations.
 * Measured in docs/PERFORMANCE.md: 45 of 50 SIPU runs find every cluster
 * (19 without), at 1.1-1.5x the time of a plain fit.
 *
 * Every choice depends on per-row float64 distances, sums in a fixed
 * order, counts and seeded draws, so the result is the same for any thread
 * count and chunk size; the kept centroids are always ones a full pass
 * measured, so the inertia is never above plain Lloyd's from the same
 * init. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "fit.h"
#include "kmeans_refine.h"
#include "refine_sample.h"
#include "rng.h"

/* A swap must lower the sample's inertia by at least min(MIN_GAIN,
 * MIN_GAIN_K / k) of it: below that a "swap" is mostly the Lloyd update of
 * the clusters it touched (the sample's optimum is not the full data's),
 * and accepting it would only spend the budget.  Measured on the SIPU sets
 * (docs/PERFORMANCE.md): 1e-6 kept 5-15 times more swaps at k = 100 and
 * found no more clusters; 1e-3 of the inertia (a tenth of a mean cluster's
 * at k = 100) found all that 1e-6 did.  The k term keeps the bar below a
 * cluster's worth at large k. */
#define MIN_GAIN 1e-3
#define MIN_GAIN_K 0.1
/* Work the search may always spend: a small table's fit is mostly fixed
 * costs (start, statistics, backend choice), about 2^26 distances' worth. */
#define FLOOR_WORK ((uint64_t)1 << 26)
/* Lloyd on the sample after the search, before the full data's. */
#define SAMPLE_ITER 100
#define SAMPLE_TOL 1e-6
/* Removals judged with the Lloyd update per trial: the candidate's REMOVALS
 * cheapest by the plain swap (on overlapping clusters a swap pays only
 * once the neighbours have moved). */
#define REMOVALS 3

void strata_refine_budget(size_t k, int *trials, int *patience) {
  *trials = k < 2 ? 0 : (int)(4 * k + 20);
  *patience = k < 2 ? 0 : (int)(20 + k / 4);
}

/* Candidates per trial: greedy k-means++'s 2 + ln k. */
static int candidates(size_t k) { return 2 + (int)log((double)k); }

typedef struct {
  strata_refine_sample *s;
  double *cand, *try;     /* d each */
  double *next, *best;    /* k×d each: the centroids after a trial's update, the best trial's */
  double *sum;            /* k×d scratch */
  double *block;          /* the allocation of next, best and sum */
  double *mass;           /* k scratch */
  unsigned char *used;    /* k */
  unsigned char *changed, *best_changed; /* k each */
} search_work;

/* The candidate of one trial: the best of L k-means++ draws by the plain
 * swap, moved once to the mean of what it serves; leaves the sample's
 * e and gain evaluated for it.  0 when no draw can be made. */
static int draw_candidate(search_work *w, strata_rng *rng) {
  strata_refine_sample *s = w->s;
  size_t d = s->d, a = 0;
  double delta = INFINITY;
  int L = candidates(s->k), last_is_best = 0;
  for (int l = 0; l < L; l++) {
    size_t row = strata_refine_sample_draw(s, strata_rng_uniform(rng));
    for (size_t j = 0; j < d; j++) w->try[j] = (double)s->x[row * d + j];
    double dl;
    size_t al = strata_refine_sample_eval(s, w->try, &dl);
    last_is_best = dl < delta;
    if (last_is_best) {
      delta = dl;
      a = al;
      memcpy(w->cand, w->try, d * sizeof *w->cand);
    }
  }
  if (!(delta < INFINITY)) return 0;
  double dl;
  if (!last_is_best) strata_refine_sample_eval(s, w->cand, &dl);
  if (!strata_refine_sample_captured_mean(s, a, w->try)) return 1;
  strata_refine_sample_eval(s, w->try, &dl);
  if (dl < delta) {
    memcpy(w->cand, w->try, d * sizeof *w->cand);
    return 1;
  }
  strata_refine_sample_eval(s, w->cand, &dl);
  return 1;
}

/* One trial: the candidate against its REMOVALS cheapest removals, each
 * judged after one Lloyd update; keeps the best if it pays. */
static int trial(search_work *w, strata_rng *rng) {
  strata_refine_sample *s = w->s;
  size_t k = s->k;
  if (!draw_candidate(w, rng)) return 0;
  double best = INFINITY;
  memset(w->used, 0, k);
  for (int q = 0; q < REMOVALS && (size_t)q < k; q++) {
    size_t a = 0;
    double g = INFINITY;
    for (size_t c = 0; c < k; c++)
      if (!w->used[c] && s->gain[c] < g) {
        g = s->gain[c];
        a = c;
      }
    w->used[a] = 1;
    double u = strata_refine_sample_update_delta(s, a, w->cand, w->next, w->changed, w->sum, w->mass);
    if (u < best) {
      best = u;
      double *t = w->best;
      w->best = w->next;
      w->next = t;
      unsigned char *f = w->best_changed;
      w->best_changed = w->changed;
      w->changed = f;
    }
  }
  double bar = MIN_GAIN_K / (double)k < MIN_GAIN ? MIN_GAIN_K / (double)k : MIN_GAIN;
  if (!(best < -bar * s->inertia)) return 0;
  strata_refine_sample_set(s, w->best, w->best_changed);
  return 1;
}

/* The search on the sample; centroids left in s->c. */
static strata_status search(strata_refine_sample *s, const strata_fit_data *data, const strata_init_job *job,
                            int run, uint64_t limit, strata_refine_result *out) {
  size_t k = s->k, d = s->d;
  int max_trials, patience;
  strata_refine_budget(k, &max_trials, &patience);
  search_work w = {.s = s};
  w.cand = malloc(2 * d * sizeof *w.cand);
  w.next = w.block = malloc(3 * k * d * sizeof *w.next);
  w.mass = malloc(k * sizeof *w.mass);
  w.used = malloc(3 * k);
  strata_status st = STRATA_OK;
  if (!w.cand || !w.block || !w.mass || !w.used) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the refinement at k = %zu, d = %zu", k, d);
    goto done;
  }
  w.try = w.cand + d;
  w.changed = w.used + k;
  w.best_changed = w.used + 2 * k;
  w.best = w.next + k * d;
  w.sum = w.next + 2 * k * d;
  strata_rng rng;
  /* A stream per restart, apart from the restarts' own. */
  strata_rng_seed(&rng, job->seed, ((uint64_t)1 << 40) + (uint64_t)run);
  int fails = 0;
  for (int t = 0; t < max_trials && fails < patience && s->work < limit && s->inertia > 0.0; t++) {
    st = strata_check_cancel(data->ctx);
    if (st != STRATA_OK) break;
    out->trials++;
    if (trial(&w, &rng)) {
      out->swaps++;
      fails = 0;
    } else {
      fails++;
    }
  }
done:
  free(w.cand);
  free(w.block);
  free(w.mass);
  free(w.used);
  return st;
}

strata_status strata_kmeans_refine(strata_estimator *e, const strata_fit_data *data, const strata_init_job *job,
                                   int run, int lloyd_passes, strata_refine_result *out) {
  size_t k = e->k, d = e->d;
  memset(out, 0, sizeof *out);
  if (k < 2 || job->m <= k) return STRATA_OK;
  /* The converged run: its last pass was on its final centroids. */
  const strata_lloyd_result *res = strata_kmeans_last_result(e);
  double plain_inertia = res->inertia;
  double *plain = malloc(k * d * sizeof *plain);
  RETURN_IF(!plain, STRATA_ERR_NOMEM, "out of memory");
  memcpy(plain, e->ops->params(e), k * d * sizeof *plain);
  strata_refine_sample s;
  strata_status st = strata_refine_sample_init(&s, job->x, data->sample.w, job->m, d, k, job->threads, plain);
  if (st != STRATA_OK) {
    free(plain);
    return st;
  }
  /* Half the distance work the fit did before (Lloyd's passes and the
   * k-means++ seeding's 2 + ln k candidates per centre on the sample), and
   * FLOOR_WORK: with the confirming run, a refined fit stays near twice a
   * plain one (case B, overlapping blobs at k = 64, reaches the limit). */
  uint64_t limit = ((uint64_t)(lloyd_passes > 1 ? lloyd_passes : 1) * (uint64_t)data->kept * (uint64_t)k +
                    (uint64_t)candidates(k) * (uint64_t)job->m * (uint64_t)k) / 2 + FLOOR_WORK;
  st = search(&s, data, job, run, limit, out);
  if (st != STRATA_OK || out->swaps == 0) goto done; /* nothing moved on the full data */

  /* Lloyd on the sample first: on overlapping clusters a swap moves many
   * centroids a little, and each full pass saved is worth n / m sample
   * passes.  Stops when the sample's inertia drops by less than
   * SAMPLE_TOL of it, or at the budget. */
  {
    double *next = malloc(k * d * sizeof *next);
    if (!next) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
      goto done;
    }
    for (int it = 0; it < SAMPLE_ITER && s.work < limit + limit / 4; it++) {
      double before = s.inertia;
      if (!strata_refine_sample_lloyd(&s, next) || !(s.inertia < before * (1.0 - SAMPLE_TOL))) break;
    }
    free(next);
  }

  /* Lloyd on the full data from the sample's centroids, through the
   * orchestrator's loop, for at most as many iterations as the plain run
   * made: on overlapping clusters a swapped state can take as long to
   * converge as the first, and a refined fit stays within about twice a
   * plain one.  Stopped there, its (lower) inertia is still one a pass
   * measured, and the model says it did not converge. */
  e->ops->set_params(e, s.c);
  strata_fit_loop loop = {.data = data};
  strata_fit_job lj = {.est = e, .state = STRATA_JOB_ITER, .run = run, .max_iter = lloyd_passes > 1 ? lloyd_passes : 1};
  st = strata_fit_loop_run(&loop, &lj, 1);
  strata_fit_loop_free(&loop);
  out->passes += loop.passes;
  if (st != STRATA_OK) goto done;
  res = strata_kmeans_last_result(e);
  if (res->inertia < plain_inertia) {
    out->unconverged = !lj.converged;
    goto done;
  }
  /* Not better on the full data: back to the plain centroids, with one pass
   * so that result() is theirs again. */
  out->swaps = 0;
  e->ops->set_params(e, plain);
  strata_estep_mode mode = STRATA_ESTEP_ITERATE;
  st = e->ops->e_step(&e, 1, &mode, NULL);
  out->passes++;
done:
  strata_refine_sample_free(&s);
  free(plain);
  return st;
}
