/* The swap refinement after Lloyd (strata_refine, kmeans_refine.h).
 *
 * Lloyd stops in a local optimum whose typical defect, on data with real
 * clusters, is two centroids sharing one cluster while one centroid covers
 * two: no Lloyd step can move a centroid across the gap.  A trial swap
 * undoes exactly that: the pair whose merge costs least (Ward's criterion,
 * n_a n_b / (n_a + n_b) ||c_a - c_b||^2, from the counts of the kept
 * state) is merged into its weighted mean, and the freed centroid is drawn
 * where the data is worst served: a greedy k-means++ step on the init
 * sample against the other k - 1 centroids.  A few Lloyd passes follow
 * (the estimator's own e_step and m_step: no second Lloyd), and the trial
 * is kept only when one of its passes has a lower inertia than the kept
 * state; a rejected trial bars its removed centroid until the next kept
 * swap, so the next trial tries the next-cheapest merge.
 *
 * Every choice depends on exact inertias and counts (the order-free
 * reducer) and on seeded draws, so the result is the same for any thread
 * count and chunk size.  The kept state is always one a pass measured, so
 * the refined inertia is never above the plain one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "fit.h"
#include "kmeans_refine.h"

/* Passes per trial: the swapped centroids, then after one and two updates
 * (Franti's random swap measures after two k-means iterations). */
#define TRIAL_PASSES 3

typedef struct {
  strata_estimator *e;
  size_t k, d;
  double *kept, *trial, *given; /* k×d each */
  int64_t *kept_counts;         /* k */
  unsigned char *barred;        /* k */
  double kept_inertia;
} refine_state;

/* The pair (a, b) with the cheapest Ward merge among pairs whose smaller
 * member a is not barred; 0 when every candidate is barred. */
static int cheapest_merge(const refine_state *r, size_t *ra, size_t *rb) {
  size_t k = r->k, d = r->d;
  double best = INFINITY;
  int found = 0;
  for (size_t a = 0; a < k; a++)
    for (size_t b = a + 1; b < k; b++) {
      /* The smaller cluster moves; the lower index on a tie. */
      size_t lo = r->kept_counts[b] < r->kept_counts[a] ? b : a, hi = lo == a ? b : a;
      if (r->barred[lo]) continue;
      double na = (double)r->kept_counts[lo], nb = (double)r->kept_counts[hi], q = 0.0;
      for (size_t j = 0; j < d; j++) {
        double t = r->kept[lo * d + j] - r->kept[hi * d + j];
        q += t * t;
      }
      double cost = na + nb > 0.0 ? na * nb / (na + nb) * q : 0.0;
      if (cost < best) {
        best = cost;
        *ra = lo;
        *rb = hi;
        found = 1;
      }
    }
  return found;
}

/* The trial centroids: a merged into b, a redrawn by k-means++ against the
 * other k - 1.  STRATA_ERR_DATA: the sample has no row away from them. */
static strata_status swap_centroids(refine_state *r, const strata_init_job *job, size_t a, size_t b) {
  size_t k = r->k, d = r->d;
  double na = (double)r->kept_counts[a], nb = (double)r->kept_counts[b];
  memcpy(r->trial, r->kept, k * d * sizeof *r->trial);
  if (na + nb > 0.0)
    for (size_t j = 0; j < d; j++)
      r->trial[b * d + j] = (na * r->kept[a * d + j] + nb * r->kept[b * d + j]) / (na + nb);
  size_t g = 0;
  for (size_t c = 0; c < k; c++)
    if (c != a) memcpy(r->given + g++ * d, r->trial + c * d, d * sizeof *r->given);
  FORWARD_IF_ERROR(strata_init_kmeanspp_from(job, r->given, k - 1));
  memcpy(r->trial + a * d, r->given + (k - 1) * d, d * sizeof *r->trial);
  return STRATA_OK;
}

/* One pass on the estimator's current centroids; keeps them (with their
 * counts) when their inertia is below the kept one. */
static strata_status measure(refine_state *r, int *improved) {
  strata_estimator *e = r->e;
  strata_estep_mode mode = STRATA_ESTEP_ITERATE;
  FORWARD_IF_ERROR(e->ops->e_step(&e, 1, &mode, NULL));
  const strata_lloyd_result *res = strata_kmeans_last_result(e);
  if (res->inertia < r->kept_inertia) {
    r->kept_inertia = res->inertia;
    memcpy(r->kept, e->ops->params(e), r->k * r->d * sizeof *r->kept);
    memcpy(r->kept_counts, res->counts, r->k * sizeof *r->kept_counts);
    *improved = 1;
  }
  return STRATA_OK;
}

static strata_status trial(refine_state *r, const strata_init_job *job, size_t a, size_t b, int *kept) {
  strata_estimator *e = r->e;
  FORWARD_IF_ERROR(swap_centroids(r, job, a, b));
  e->ops->set_params(e, r->trial);
  *kept = 0;
  for (int i = 0; i < TRIAL_PASSES; i++) {
    if (i > 0) {
      strata_estimator_step step;
      FORWARD_IF_ERROR(e->ops->m_step(e, &step));
    }
    FORWARD_IF_ERROR(measure(r, kept));
  }
  return STRATA_OK;
}

void strata_refine_budget(size_t k, int *trials, int *patience) {
  /* Measured on the SIPU sets (docs/PERFORMANCE.md): a patience of about
   * 10 + k/8 left one run in five with a cluster missed on S3, S4, A1 and
   * A2; 20 + k/8 found all but one of 45 (Birch2 aside). */
  *trials = k < 2 ? 0 : (int)(2 * k + 8);
  *patience = k < 2 ? 0 : (int)(20 + k / 8);
}

strata_status strata_kmeans_refine(strata_estimator *e, const strata_fit_data *data, const strata_init_job *job,
                                   int run, strata_refine_result *out) {
  size_t k = e->k, d = e->d;
  memset(out, 0, sizeof *out);
  int trials, patience;
  strata_refine_budget(k, &trials, &patience);
  if (trials == 0 || job->m < k) return STRATA_OK;
  refine_state r = {.e = e, .k = k, .d = d};
  r.kept = malloc(k * d * sizeof *r.kept);
  r.trial = malloc(k * d * sizeof *r.trial);
  r.given = malloc(k * d * sizeof *r.given);
  r.kept_counts = malloc(k * sizeof *r.kept_counts);
  r.barred = calloc(k, 1);
  strata_status st = STRATA_OK;
  if (!r.kept || !r.trial || !r.given || !r.kept_counts || !r.barred) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the refinement at k = %zu, d = %zu", k, d);
    goto done;
  }
  /* The converged run: its last pass was on its final centroids. */
  const strata_lloyd_result *res = strata_kmeans_last_result(e);
  r.kept_inertia = res->inertia;
  memcpy(r.kept, e->ops->params(e), k * d * sizeof *r.kept);
  memcpy(r.kept_counts, res->counts, k * sizeof *r.kept_counts);
  strata_init_job tj = *job;
  int fails = 0;
  for (int t = 0; t < trials && fails < patience; t++) {
    GOTO_IF_ERROR(st, strata_check_cancel(data->ctx), done);
    size_t a = 0, b = 0;
    if (!cheapest_merge(&r, &a, &b)) {
      memset(r.barred, 0, k);
      if (!cheapest_merge(&r, &a, &b)) break;
    }
    /* A stream per restart and trial, apart from the restarts' own. */
    tj.stream = ((uint64_t)1 << 40) + ((uint64_t)run << 20) + (uint64_t)t;
    int kept = 0;
    st = trial(&r, &tj, a, b, &kept);
    if (st == STRATA_ERR_DATA) { /* every sample row sits on a centroid: nothing to move to */
      st = STRATA_OK;
      break;
    }
    if (st != STRATA_OK) goto done;
    out->trials++;
    out->passes += TRIAL_PASSES;
    if (kept) {
      out->swaps++;
      fails = 0;
      memset(r.barred, 0, k);
    } else {
      fails++;
      r.barred[a] = 1;
    }
  }
  /* Lloyd to convergence from the kept state, through the orchestrator's
   * loop; its passes only lower the inertia, and the last one is on the
   * centroids it returns, so result() and params() agree afterwards. */
  e->ops->set_params(e, r.kept);
  if (out->swaps > 0) {
    strata_fit_loop loop = {.data = data};
    strata_fit_job lj = {.est = e, .state = STRATA_JOB_ITER, .run = run};
    st = strata_fit_loop_run(&loop, &lj, 1);
    strata_fit_loop_free(&loop);
    if (st != STRATA_OK) goto done;
    out->passes += loop.passes;
    res = strata_kmeans_last_result(e);
    if (!(res->inertia <= r.kept_inertia)) e->ops->set_params(e, r.kept);
    else goto done;
  }
  /* Back on the kept centroids: one pass so that result() is theirs. */
  int ignored = 0;
  GOTO_IF_ERROR(st, measure(&r, &ignored), done);
  out->passes++;
done:
  free(r.kept);
  free(r.trial);
  free(r.given);
  free(r.kept_counts);
  free(r.barred);
  return st;
}
