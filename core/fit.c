/* The fit orchestrator (see fit.h): the preparation, the iterate loop on
 * shared passes and the restarts, once for every estimator and caller. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "error.h"
#include "fit.h"
#include "transform_fit.h"

double strata_fit_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

strata_status strata_fit_check_params(const strata_fit_params *p) {
  RETURN_IF(p->max_iter < 1, STRATA_ERR_USAGE, "max-iter must be at least 1 (got %d)", p->max_iter);
  RETURN_IF(!(p->tol >= 0.0) || !isfinite(p->tol), STRATA_ERR_USAGE,
            "tol must be a finite number >= 0 (got %g)", p->tol);
  RETURN_IF(!(p->categorical_weight > 0.0) || !(p->categorical_weight <= STRATA_MAX_CATEGORICAL_WEIGHT),
            STRATA_ERR_USAGE, "categorical weight must be above 0 and at most %g (got %g)",
            STRATA_MAX_CATEGORICAL_WEIGHT, p->categorical_weight);
  RETURN_IF((unsigned)p->scale > STRATA_SCALE_ROBUST, STRATA_ERR_USAGE, "unknown scale method");
  RETURN_IF((unsigned)p->missing > STRATA_MISSING_MEDIAN, STRATA_ERR_USAGE, "unknown missing rule");
  RETURN_IF((unsigned)p->refine > STRATA_REFINE_SWAP, STRATA_ERR_USAGE, "unknown refinement");
  return STRATA_OK;
}

void strata_fit_report(const strata_fit_params *p, strata_progress pr) {
  if (p->progress) p->progress(&pr, p->progress_user);
}

strata_status strata_fit_data_check(strata_fit_data *f, const strata_ctx *ctx, strata_dataset *ds,
                                    const strata_fit_params *p, size_t kmax) {
  memset(f, 0, sizeof *f);
  f->t_start = strata_fit_now();
  f->ctx = ctx;
  f->p = p;
  f->ds = ds;
  f->n = strata_dataset_rows(ds);
  size_t n = f->n, d = f->d = strata_dataset_cols(ds);
  f->names = malloc((d ? d : 1) * sizeof *f->names);
  f->groups = malloc((d ? d : 1) * sizeof *f->groups);
  RETURN_IF(!f->names || !f->groups, STRATA_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < d; j++) {
    f->names[j] = strata_dataset_col_name(ds, j);
    f->groups[j] = strata_dataset_col_group(ds, j);
  }
  RETURN_IF(n == 0, STRATA_ERR_DATA, "dataset '%s' is empty (0 rows)", strata_dataset_path(ds));
  RETURN_IF(d == 0, STRATA_ERR_DATA, "dataset '%s' has no numeric columns", strata_dataset_path(ds));
  RETURN_IF(kmax > n, STRATA_ERR_DATA, "k = %zu exceeds the number of rows (%zu)", kmax, n);
  /* A bad transform spec is a usage error before any data is read. */
  FORWARD_IF_ERROR(strata_transforms_parse(p->transforms, d, f->names, f->groups, &f->tf));
  /* A chunk is held three times (two read buffers, one scaled): a chunk
   * size the memory limit cannot hold is a usage error, not a late "out of
   * memory". */
  if (p->chunk_rows) {
    uint64_t limit = p->mem_limit ? p->mem_limit : strata_default_mem_limit();
    uint64_t rows = p->chunk_rows < n ? p->chunk_rows : n;
    double bytes = 3.0 * (double)rows * (double)d * sizeof(float);
    RETURN_IF(bytes > (double)limit, STRATA_ERR_USAGE,
              "a chunk of %zu rows needs %.3g GB of buffers for %zu columns, more than the memory limit of "
              "%.3g GB (chunk rows, memory limit)", (size_t)rows, bytes / 1e9, d, (double)limit / 1e9);
  }
  return STRATA_OK;
}

strata_status strata_fit_data_prepare(strata_fit_data *f, const strata_fit_data_opts *o) {
  const strata_fit_params *p = f->p;
  size_t n = f->n, d = f->d, kmax = o->kmax;
  double t0 = strata_fit_now();
  if (o->with_init_sample) {
    size_t m = p->init_sample ? p->init_sample : strata_fit_auto_init_sample(n, kmax);
    FORWARD_IF_ERROR(strata_sample_choose(&f->sample, n, m, d, p->seed));
  }
  if (o->sample2_rows) FORWARD_IF_ERROR(strata_sample_choose(&f->sample2, n, o->sample2_rows, d, o->sample2_seed));
  /* Transforms with parameters from the data take one raw pass first. */
  if (strata_transforms_need_fit(f->tf, d))
    FORWARD_IF_ERROR(strata_transforms_fit(f->ctx, f->ds, p->chunk_rows, p->seed, f->names, f->tf, d));
  f->sc.tf = f->tf;
  FORWARD_IF_ERROR(strata_fit_stats_pass(f->ctx, &f->sc, f->ds, p, f->names, o->with_init_sample ? &f->sample : NULL,
                                         o->sample2_rows ? &f->sample2 : NULL));
  uint64_t kept = f->kept = n - f->sc.skipped;
  RETURN_IF(kept == 0, STRATA_ERR_DATA, "no rows left: every row of '%s' has a missing value",
            strata_dataset_path(f->ds));
  RETURN_IF(kmax > kept, STRATA_ERR_DATA,
            "k = %zu exceeds the number of rows (%zu after dropping %llu with missing values)", kmax,
            (size_t)kept, (unsigned long long)f->sc.skipped);
  /* Nothing to impute from: a mean or median of no values is no value, and
   * the column would silently become a constant. */
  for (size_t j = 0; j < d; j++)
    RETURN_IF(f->sc.total[j].n == 0 && (p->missing == STRATA_MISSING_MEAN || p->missing == STRATA_MISSING_MEDIAN),
              STRATA_ERR_DATA, "column '%s' has no value in any of the %llu rows (all missing); leave it out "
              "(--features)", f->names[j], (unsigned long long)n);
  FORWARD_IF_ERROR(strata_scaler_fit(f->ctx, &f->scaler, d, f->names, p->scale, p->missing, f->sc.total, f->sc.medians,
                                     f->groups, p->categorical_weight, f->sc.quart));
  FORWARD_IF_ERROR(strata_scaler_set_transforms(&f->scaler, f->tf));
  f->tol_abs = strata_fit_tol_abs(&f->sc, &f->scaler, p->tol);
  double secs = strata_fit_now() - t0;
  strata_fit_report(p, (strata_progress){.stage = STRATA_STAGE_STATS, .n_init = o->n_init, .seconds = secs,
                              .rows_per_second = secs > 0 ? (double)n / secs : 0.0});
  if (o->with_init_sample) FORWARD_IF_ERROR(strata_sample_finish(&f->sample, &f->scaler));
  if (o->sample2_rows) FORWARD_IF_ERROR(strata_sample_finish(&f->sample2, &f->scaler));
  return STRATA_OK;
}

strata_status strata_fit_data_open_pass(strata_fit_data *f) {
  const strata_fit_params *p = f->p;
  uint64_t limit = p->streaming ? 0 : (p->mem_limit ? p->mem_limit : strata_default_mem_limit());
  FORWARD_IF_ERROR(strata_pass_open(f->ctx, f->ds, &f->scaler, p->chunk_rows, limit, &f->pass));
  f->bound = malloc(f->d * sizeof *f->bound);
  RETURN_IF(!f->bound, STRATA_ERR_NOMEM, "out of memory");
  strata_fit_sum_bounds(&f->sc, &f->scaler, f->bound);
  return STRATA_OK;
}

void strata_fit_data_free(strata_fit_data *f) {
  strata_pass_free(f->pass);
  strata_scaler_free(&f->scaler);
  strata_sample_free(&f->sample);
  strata_sample_free(&f->sample2);
  strata_fit_stats_free(&f->sc);
  free(f->names);
  free(f->groups);
  free(f->tf);
  free(f->bound);
  memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------- loop */

/* A job's iteration pass is in: the update, its statistics, the stop rule. */
static strata_status iterate(strata_fit_loop *loop, strata_fit_job *job, double t0) {
  const strata_fit_params *p = loop->data->p;
  strata_estimator *e = job->est;
  strata_estimator_step step;
  FORWARD_IF_ERROR(e->ops->m_step(e, &step));
  loop->passes += step.extra_passes;
  job->iterations++;
  job->converged = step.converged;
  double secs = strata_fit_now() - t0;
  strata_iter_stats s = {step.objective, step.shift, step.relocations, secs,
                         secs > 0 ? (double)step.rows / secs : 0.0};
  if (job->iters) job->iters[job->iterations - 1] = s;
  if (loop->report_iterations)
    strata_fit_report(p, (strata_progress){STRATA_STAGE_ITER, job->run, p->n_init, job->iterations, p->max_iter,
                                step.objective, step.shift, step.relocations, secs, s.rows_per_second});
  int cap = job->max_iter > 0 && job->max_iter < p->max_iter ? job->max_iter : p->max_iter;
  if (!step.converged && job->iterations < cap) return loop->iterated ? loop->iterated(loop, job) : STRATA_OK;
  if (step.final_in_last_pass && !loop->writer && !loop->final_stats) {
    job->state = STRATA_JOB_DONE;
    return loop->finished ? loop->finished(loop, job) : STRATA_OK;
  }
  job->state = STRATA_JOB_FINAL;
  return STRATA_OK;
}

strata_status strata_fit_loop_run(strata_fit_loop *loop, strata_fit_job *jobs, size_t n) {
  if (n == 0) return STRATA_OK;
  if (loop->cap < n) {
    strata_fit_loop_free(loop);
    loop->cap = n;
    loop->active = calloc(n, sizeof *loop->active);
    loop->modes = calloc(n, sizeof *loop->modes);
    loop->active_job = calloc(n, sizeof *loop->active_job);
    RETURN_IF(!loop->active || !loop->modes || !loop->active_job, STRATA_ERR_NOMEM, "out of memory");
  }
  const strata_estimator_ops *ops = jobs[0].est->ops;
  for (;;) {
    size_t na = 0;
    int final_lone = 0;
    for (size_t i = 0; i < n; i++) {
      strata_fit_job *job = &jobs[i];
      if (job->state == STRATA_JOB_DONE || job->state == STRATA_JOB_WAIT) continue;
      if (job->state == STRATA_JOB_EXTRA && loop->extra_before) FORWARD_IF_ERROR(loop->extra_before(loop, job));
      loop->modes[na] = job->state == STRATA_JOB_FINAL ? STRATA_ESTEP_FINAL : STRATA_ESTEP_ITERATE;
      final_lone = n == 1 && job->state == STRATA_JOB_FINAL;
      loop->active_job[na] = i;
      loop->active[na++] = job->est;
    }
    if (na == 0) return STRATA_OK;
    double t0 = strata_fit_now();
    FORWARD_IF_ERROR(ops->e_step(loop->active, na, loop->modes, final_lone ? loop->writer : NULL));
    loop->passes++;
    for (size_t a = 0; a < na; a++) {
      strata_fit_job *job = &jobs[loop->active_job[a]];
      switch (job->state) {
        case STRATA_JOB_ITER: FORWARD_IF_ERROR(iterate(loop, job, t0)); break;
        case STRATA_JOB_FINAL:
          job->state = STRATA_JOB_DONE;
          if (loop->finished) FORWARD_IF_ERROR(loop->finished(loop, job));
          break;
        case STRATA_JOB_EXTRA:
          job->state = STRATA_JOB_DONE;
          if (loop->extra_after) FORWARD_IF_ERROR(loop->extra_after(loop, job));
          break;
        case STRATA_JOB_WAIT:
        case STRATA_JOB_DONE: break;
      }
    }
    if (loop->after_pass) FORWARD_IF_ERROR(loop->after_pass(loop, na, strata_fit_now() - t0));
  }
}

void strata_fit_loop_free(strata_fit_loop *loop) {
  free(loop->active);
  free(loop->modes);
  free(loop->active_job);
  loop->active = NULL;
  loop->modes = NULL;
  loop->active_job = NULL;
  loop->cap = 0;
}

/* ------------------------------------------------------------ restarts */

/* What the loop's iterated hook needs to describe the state. */
typedef struct {
  const strata_fit_checkpoint *ck;
  const strata_fit_best *best;
} restarts_state;

static strata_status restarts_iterated(strata_fit_loop *loop, strata_fit_job *job) {
  const restarts_state *rs = loop->user;
  const strata_estimator *e = job->est;
  strata_fit_state s = {job->run, job->iterations, e->ops->params(e), e->ops->previous_params(e), job->iters,
                        rs->best};
  return rs->ck->boundary(rs->ck->user, &s);
}

/* Whether the first k×d of params (every estimator's begin with its
 * centres) lie within 4 times each column's bound: a run's centres are
 * means of its rows or rows, within the bound; the slack covers rounding
 * and keeps distances to them finite.  bound may be NULL (no check). */
static int centres_in_range(const double *params, size_t k, size_t d, const double *bound) {
  for (size_t i = 0; bound && i < k * d; i++)
    if (!(fabs(params[i]) <= 4.0 * bound[i % d])) return 0;
  return 1;
}

/* Whether no iteration of `it` (n) relocated more than `rows` rows. */
static int relocations_fit(const strata_iter_stats *it, int n, uint64_t rows) {
  for (int i = 0; i < n; i++)
    if ((uint64_t)it[i].relocations > rows) return 0;
  return 1;
}

/* Takes up a checkpoint's state: the best of the runs before it and, for
 * its run, the parameters, what the next pass compares with, and the
 * statistics of the iterations done.  job OUT. */
static strata_status resume_run(const strata_fit_data *data, strata_estimator *est, const strata_fit_state *r,
                                strata_fit_best *best, strata_fit_job *job) {
  const strata_estimator_ops *ops = est->ops;
  size_t np = ops->n_params(est), k = est->k;
  RETURN_IF(!ops->resume, STRATA_ERR_USAGE, "estimator %s cannot resume from a checkpoint", ops->name);
  RETURN_IF(r->iterations < 1 || r->iterations >= data->p->max_iter || r->run >= data->p->n_init, STRATA_ERR_FORMAT,
            "the checkpoint's state (run %d, iteration %d) does not fit n-init %d and max-iter %d", r->run + 1,
            r->iterations, data->p->n_init, data->p->max_iter);
  /* What a checkpoint says must be a state of this fit: its checksum only
   * says that the file is as it was written. */
  RETURN_IF(!relocations_fit(r->iters, r->iterations, data->kept), STRATA_ERR_FORMAT,
            "the checkpoint's iterations relocate more rows than the %llu of this fit: the file is damaged",
            (unsigned long long)data->kept);
  /* Before the first update the previous centres are the initial ones,
   * which a caller may give anywhere. */
  const int given = data->p->init == STRATA_INIT_GIVEN || data->p->warm_start;
  RETURN_IF(!centres_in_range(r->params, k, data->d, data->bound) ||
                (!(given && r->iterations == 1) && !centres_in_range(r->previous, k, data->d, data->bound)),
            STRATA_ERR_FORMAT, "the checkpoint's centres lie outside the range of the data: the file is damaged");
  if (r->best && r->best->objective < INFINITY) {
    /* The kept run becomes the model unless a later run beats it. */
    const strata_fit_best *b = r->best;
    uint64_t total = 0;
    int sizes_ok = 1;
    for (size_t c = 0; c < k && sizes_ok; c++) {
      sizes_ok = b->sizes[c] >= 0 && (uint64_t)b->sizes[c] <= data->kept;
      if (sizes_ok) total += (uint64_t)b->sizes[c];
    }
    RETURN_IF(!sizes_ok || total != data->kept || !(b->objective >= 0.0) || b->iterations > data->p->max_iter ||
                  !relocations_fit(b->iters, b->iterations, data->kept),
              STRATA_ERR_FORMAT,
              "the checkpoint's kept run is not a run of this fit (%d iterations of max-iter %d, inertia %g, %s "
              "%llu rows): the file is damaged",
              b->iterations, data->p->max_iter, b->objective,
              sizes_ok ? "segment sizes summing to" : "a segment size outside",
              (unsigned long long)(sizes_ok ? total : data->kept));
    RETURN_IF(!centres_in_range(b->params, k, data->d, data->bound), STRATA_ERR_FORMAT,
              "the checkpoint's kept centres lie outside the range of the data: the file is damaged");
    best->objective = r->best->objective;
    best->run = r->best->run;
    best->iterations = r->best->iterations;
    best->converged = r->best->converged;
    best->refine = r->best->refine;
    memcpy(best->params, r->best->params, np * sizeof *best->params);
    memcpy(best->sizes, r->best->sizes, k * sizeof *best->sizes);
    memcpy(best->iters, r->best->iters, (size_t)r->best->iterations * sizeof *best->iters);
  }
  FORWARD_IF_ERROR(ops->resume(est, r->params, r->previous));
  job->iterations = r->iterations;
  memcpy(job->iters, r->iters, (size_t)r->iterations * sizeof *job->iters);
  return STRATA_OK;
}

int strata_fit_refines(const strata_fit_params *p) {
  if (p->refine == STRATA_REFINE_AUTO) return p->init != STRATA_INIT_GIVEN && !p->warm_start;
  return p->refine == STRATA_REFINE_SWAP;
}

strata_status strata_fit_restarts(const strata_fit_data *data, strata_estimator *est,
                                  strata_labels_writer *labels_now, int final_stats,
                                  const strata_fit_checkpoint *ck, strata_fit_best *best) {
  const strata_fit_params *p = data->p;
  const strata_estimator_ops *ops = est->ops;
  size_t np = ops->n_params(est), k = est->k;
  memset(best, 0, sizeof *best);
  best->objective = INFINITY;
  best->params = malloc(np * sizeof *best->params);
  best->sizes = calloc(k, sizeof *best->sizes);
  best->iters = calloc((size_t)p->max_iter, sizeof *best->iters);
  strata_iter_stats *iters = calloc((size_t)p->max_iter, sizeof *iters);
  int64_t *sizes = calloc(k, sizeof *sizes);
  restarts_state rs = {ck, best};
  strata_fit_loop loop = {.data = data, .writer = labels_now, .final_stats = final_stats,
                          .report_iterations = 1, .user = &rs};
  if (ck && ck->boundary) loop.iterated = restarts_iterated;
  const strata_fit_state *resume = ck ? ck->resume : NULL;
  strata_status st = STRATA_OK;
  if (!best->params || !best->sizes || !best->iters || !iters || !sizes) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, data->d);
    goto done;
  }
  for (int run = resume ? resume->run : 0; run < p->n_init; run++) {
    double t0 = strata_fit_now();
    strata_fit_job job = {.est = est, .state = STRATA_JOB_ITER, .run = run, .iters = iters};
    if (resume && run == resume->run) {
      GOTO_IF_ERROR(st, resume_run(data, est, resume, best, &job), done);
    } else {
      GOTO_IF_ERROR(st, ops->init(est, data, run), done);
      strata_fit_report(p, (strata_progress){.stage = STRATA_STAGE_INIT, .run = run, .n_init = p->n_init,
                                  .seconds = strata_fit_now() - t0});
    }
    GOTO_IF_ERROR(st, strata_fit_loop_run(&loop, &job, 1), done);
    strata_refine_result refined = {0};
    if (ops->refine && strata_fit_refines(p)) GOTO_IF_ERROR(st, ops->refine(est, data, run, job.iterations, &refined), done);
    double objective;
    ops->result(est, &objective, sizes);
    if (objective < best->objective) {
      best->refine = refined;
      best->objective = objective;
      best->run = run;
      best->iterations = job.iterations;
      best->converged = job.converged && !refined.unconverged;
      memcpy(best->params, ops->params(est), np * sizeof *best->params);
      memcpy(best->sizes, sizes, k * sizeof *sizes);
      memcpy(best->iters, iters, (size_t)job.iterations * sizeof *iters);
    }
  }
done:
  strata_fit_loop_free(&loop);
  free(iters);
  free(sizes);
  return st;
}

void strata_fit_best_free(strata_fit_best *best) {
  free(best->params);
  free(best->sizes);
  free(best->iters);
  memset(best, 0, sizeof *best);
}
