/* The fit orchestrator: what every fit does around its estimator
 * (core/estimator.h), written once for strata_fit (core/kmeans.c),
 * strata_sweep (core/sweep.c) and, through strata_fit on in-memory
 * resamples, strata_stability (core/stability.c).
 *
 *   strata_fit_data_check/_prepare/_open_pass   the statistics pass (also
 *       filling the samples), the scaler and the scaled pass, once;
 *   strata_fit_loop_run   the iterate loop of any number of estimator
 *       instances on shared passes (each block read and scaled once per
 *       pass for all of them), with per-iteration statistics and progress;
 *       cancellation is checked by every pass (core/pass.c);
 *   strata_fit_restarts   restarts of one instance, keeping the lowest
 *       objective (the first on a tie). */
#ifndef STRATA_FIT_H
#define STRATA_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "estimator.h"
#include "fit_prepare.h"
#include "pass.h"
#include "sample.h"
#include "scaler.h"

/* What every estimator instance of one job shares (read only once
 * prepared). */
struct strata_fit_data {
  const strata_ctx *ctx;     /* threads, log, cancellation, backend */
  const strata_fit_params *p;
  strata_dataset *ds;
  size_t n, d;
  uint64_t kept;             /* rows the fit uses (n minus dropped rows) */
  const char **names;        /* d column names (borrowed from ds) */
  int *groups;               /* d: categorical group of each column, -1 numeric */
  strata_transform *tf;      /* d transforms before scaling (p->transforms), or NULL */
  strata_fit_stats sc;
  strata_sample sample;      /* the init sample (empty with given centroids) */
  strata_sample sample2;     /* a second sample (sweep's silhouette), or empty */
  strata_scaler scaler;
  double tol_abs;            /* tol as a bound on the squared shift */
  strata_pass *pass;         /* scaled, kept in memory when it fits */
  double *bound;             /* d: largest |scaled value| per column (strata_lloyd_want_sums) */
  const double *row_weights; /* a direct fit (core/fit_direct.h) of weighted rows: the kept rows'
                                weights, in the order of its rows; else NULL */
  double t_start;            /* when the job began (strata_fit_now) */
};

/* The checks every fit's parameters pass (max_iter, tol,
 * categorical_weight, scale, missing); the caller checks k, n_init, init. */
strata_status strata_fit_check_params(const strata_fit_params *p);

/* Monotonic seconds, for the timings that progress and models report. */
double strata_fit_now(void);

/* Hands pr to p's progress callback, if any. */
void strata_fit_report(const strata_fit_params *p, strata_progress pr);

/* Fills f's shape (n, d, names, groups) from ds and checks that kmax
 * clusters can be fitted on it.  f OUT (zeroed here), ctx, ds and p IN,
 * borrowed by f. */
strata_status strata_fit_data_check(strata_fit_data *f, const strata_ctx *ctx, strata_dataset *ds,
                                    const strata_fit_params *p, size_t kmax);

/* The statistics pass and what follows: samples (init_sample rows for
 * kmax clusters unless with_init_sample is 0; sample2_rows rows drawn
 * with sample2_seed when not 0), the kept-row checks, the scaler, tol_abs,
 * progress (STRATA_STAGE_STATS, reported with n_init). */
typedef struct {
  size_t kmax;
  int with_init_sample;
  size_t sample2_rows;
  uint64_t sample2_seed;
  int n_init;  /* for the progress report */
} strata_fit_data_opts;
strata_status strata_fit_data_prepare(strata_fit_data *f, const strata_fit_data_opts *o);

/* The scaled pass (in memory when it fits p->mem_limit) and the bounds. */
strata_status strata_fit_data_open_pass(strata_fit_data *f);

void strata_fit_data_free(strata_fit_data *f);

/* ---- the iterate loop ---- */

typedef enum {
  STRATA_JOB_ITER,  /* iterating: e_step, m_step */
  STRATA_JOB_FINAL, /* the final assignment is the next pass */
  STRATA_JOB_WAIT,  /* finished; the caller decides (after_pass) */
  STRATA_JOB_EXTRA, /* one more pass the caller asked for (extra_before/after) */
  STRATA_JOB_DONE
} strata_job_state;

typedef struct {
  strata_estimator *est;
  strata_job_state state;
  int run;                  /* restart index */
  int iterations, converged;
  int max_iter;             /* iterations at most; 0: the parameters' max_iter */
  strata_iter_stats *iters; /* max_iter entries, or NULL */
  void *user;
} strata_fit_job;

typedef struct strata_fit_loop strata_fit_loop;
struct strata_fit_loop {
  const strata_fit_data *data;
  /* A lone job's final assignment writes its labels here (NULL: none). */
  strata_labels_writer *writer;
  /* The final assignment gathers reference statistics, so it is never
   * skipped for the iteration pass that equals it. */
  int final_stats;
  /* Progress STRATA_STAGE_ITER for every iteration of every job. */
  int report_iterations;
  /* A job's final assignment is in: set job->state (DONE when NULL). */
  strata_status (*finished)(strata_fit_loop *loop, strata_fit_job *job);
  /* Around the pass a job in STRATA_JOB_EXTRA takes part in. */
  strata_status (*extra_before)(strata_fit_loop *loop, strata_fit_job *job);
  strata_status (*extra_after)(strata_fit_loop *loop, strata_fit_job *job);
  /* After every shared pass: served jobs took part, seconds it took. */
  strata_status (*after_pass)(strata_fit_loop *loop, size_t served, double seconds);
  /* After an iteration of a job that goes on iterating (NULL: none): the
   * iteration boundary where a checkpoint is taken. */
  strata_status (*iterated)(strata_fit_loop *loop, strata_fit_job *job);
  void *user;
  int passes;               /* INOUT: passes over the data (the update's own included) */
  /* scratch, sized by strata_fit_loop_run */
  strata_estimator **active;
  strata_estep_mode *modes;
  size_t *active_job;
  size_t cap;
};

/* Runs jobs (all of one estimator kind) until none is in ITER, FINAL or
 * EXTRA.  Every pass serves every job that needs one. */
strata_status strata_fit_loop_run(strata_fit_loop *loop, strata_fit_job *jobs, size_t n);
void strata_fit_loop_free(strata_fit_loop *loop);

/* ---- restarts ---- */

/* The best of p->n_init restarts of est; out of the orchestrator for
 * strata_fit.  params (n_params), sizes (k) and iters (max_iter) OUT. */
typedef struct {
  double objective;
  int run, iterations, converged;
  strata_refine_result refine;  /* of the kept run */
  double *params;
  int64_t *sizes;
  strata_iter_stats *iters;
} strata_fit_best;

/* The state at an iteration boundary of restart `run`: what a checkpoint
 * saves and a resume takes up (core/checkpoint.h).  All borrowed. */
typedef struct {
  int run, iterations;            /* iterations done in this run */
  const double *params;           /* n_params: the next pass's parameters */
  const double *previous;         /* n_params: the latest pass's (estimator previous_params) */
  const strata_iter_stats *iters; /* `iterations` entries */
  const strata_fit_best *best;    /* the best of the runs before `run` (objective INFINITY: none) */
} strata_fit_state;

/* Checkpointing hooks for strata_fit_restarts (NULL: none). */
typedef struct {
  const strata_fit_state *resume; /* take up here instead of starting at run 0, or NULL */
  /* Called at every iteration boundary (the job goes on); may save the
   * state and stop the fit with a status (STRATA_STOPPED). */
  strata_status (*boundary)(void *user, const strata_fit_state *state);
  void *user;
} strata_fit_checkpoint;
/* Whether p asks each restart to be refined (strata_refine: AUTO is SWAP
 * except from given centroids or a warm start). */
int strata_fit_refines(const strata_fit_params *p);

/* labels_now: the writer for the final pass of each run (NULL: labels are
 * written by the caller after the restarts); final_stats as in the loop;
 * ck: checkpoint hooks or NULL. */
strata_status strata_fit_restarts(const strata_fit_data *data, strata_estimator *est,
                                  strata_labels_writer *labels_now, int final_stats,
                                  const strata_fit_checkpoint *ck, strata_fit_best *best);
void strata_fit_best_free(strata_fit_best *best);

#endif
