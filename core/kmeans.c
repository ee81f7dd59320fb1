/* strata_fit: statistics pass, scaler, initialisation, Lloyd iterations,
 * restarts, the final assignment and the model. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_features.h"
#include "dataset.h"
#include "error.h"
#include "fit_prepare.h"
#include "kmeans_init.h"
#include "labels_writer.h"
#include "lineage.h"
#include "lloyd.h"
#include "model.h"
#include "model_file.h"
#include "output_file.h"
#include "pass.h"
#include "quantile.h"
#include "sample.h"
#include "scaler.h"
#include "scheduler.h"

/* STRATA_ISA is validated once per process; say what became of it once. */
static void strata_log_isa_note(void) {
  static int said = 0;
  const char *note = strata_cpu_isa_note();
  if (said || !note) return;
  said = 1;
  strata_isa_override o = strata_cpu_info_get()->override_status;
  strata_log(o == STRATA_ISA_OVERRIDE_APPLIED ? STRATA_LOG_INFO : STRATA_LOG_WARN, "%s", note);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static strata_status check_params(const strata_fit_params *p) {
  RETURN_IF(p->k < 1, STRATA_ERR_USAGE, "k must be at least 1 (got %d)", p->k);
  RETURN_IF(p->n_init < 1, STRATA_ERR_USAGE, "n-init must be at least 1 (got %d)", p->n_init);
  RETURN_IF(p->max_iter < 1, STRATA_ERR_USAGE, "max-iter must be at least 1 (got %d)", p->max_iter);
  RETURN_IF(!(p->tol >= 0.0) || !isfinite(p->tol), STRATA_ERR_USAGE,
            "tol must be a finite number >= 0 (got %g)", p->tol);
  RETURN_IF(p->threads < 0, STRATA_ERR_USAGE, "threads must be >= 0 (got %d)", p->threads);
  RETURN_IF(p->init == STRATA_INIT_GIVEN && !p->init_centroids, STRATA_ERR_USAGE,
            "init from given centroids needs init_centroids");
  RETURN_IF(!(p->categorical_weight > 0.0) || !isfinite(p->categorical_weight), STRATA_ERR_USAGE,
            "categorical weight must be a positive number (got %g)", p->categorical_weight);
  RETURN_IF((unsigned)p->scale > STRATA_SCALE_NONE, STRATA_ERR_USAGE, "unknown scale method");
  RETURN_IF((unsigned)p->missing > STRATA_MISSING_MEDIAN, STRATA_ERR_USAGE, "unknown missing rule");
  return STRATA_OK;
}

/* ---------------------------------------------------------------- fit */

typedef struct {
  const strata_fit_params *p;
  size_t n, d, k, kept;
  double tol_abs;
  strata_pass *pass;
  strata_lloyd *lloyd;
  double *centers, *next;      /* k×d float64, scaled */
  strata_iter_stats *iters;    /* max_iter */
  int n_iters, converged;
  int final_stats;        /* the final assignment gathers strata_lloyd_want_stats */
  double inertia;
  int64_t *sizes;
} fit_run;

static void report(const strata_fit_params *p, strata_progress pr) {
  if (p->progress) p->progress(&pr, p->progress_user);
}

/* Lloyd iterations from r->centers until convergence or max_iter, then the
 * final assignment against the final centroids. */
static strata_status lloyd_run(fit_run *r, int run, strata_labels_writer *writer) {
  const strata_fit_params *p = r->p;
  size_t k = r->k;
  r->n_iters = 0;
  r->converged = 0;
  int strict = 0, relocated = 0;
  const strata_lloyd_result *res = NULL;
  strata_lloyd_pause_stats(r->lloyd, r->final_stats);
  for (int it = 1; it <= p->max_iter; it++) {
    double t0 = now_seconds();
    strata_lloyd_set_centroids(r->lloyd, r->centers);
    FORWARD_IF_ERROR(strata_lloyd_pass(r->lloyd, NULL, &res));
    strata_lloyd_step step;
    FORWARD_IF_ERROR(strata_lloyd_update(r->lloyd, (strata_lloyd_result *)res, r->centers, r->next,
                                         r->tol_abs, &step));
    relocated = step.relocated;
    double shift = step.shift;
    double *tmp = r->centers; r->centers = r->next; r->next = tmp;
    double secs = now_seconds() - t0;
    strata_iter_stats *s = &r->iters[r->n_iters++];
    *s = (strata_iter_stats){res->inertia, shift, res->relocations, secs,
                             secs > 0 ? (double)res->rows / secs : 0.0};
    report(p, (strata_progress){STRATA_STAGE_ITER, run, p->n_init, it, p->max_iter, res->inertia,
                                shift, res->relocations, secs, s->rows_per_second});
    if (step.converged) { strict = step.strict; r->converged = 1; break; }
  }
  if (strict && !relocated && !writer && !r->final_stats) {
    /* Labels did not move, so the new centroids equal the ones just used:
     * the last pass already is the final assignment. */
    r->inertia = res->inertia;
    memcpy(r->sizes, res->counts, k * sizeof *r->sizes);
    return STRATA_OK;
  }
  strata_lloyd_set_centroids(r->lloyd, r->centers);
  strata_lloyd_pause_stats(r->lloyd, 0);
  FORWARD_IF_ERROR(strata_lloyd_pass(r->lloyd, writer, &res));
  r->inertia = res->inertia;
  memcpy(r->sizes, res->counts, k * sizeof *r->sizes);
  return STRATA_OK;
}

static void iso_time_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
  strata_sample sample;
  strata_scaler scaler;
  fit_run run;
  double *best_centers;
  int64_t *best_sizes;
  strata_iter_stats *best_iters;
  strata_labels_writer *writer;
  strata_output_file model_out; /* begun early: an unwritable path fails before the work */
  strata_model *model;
  strata_fit_stats sc;
  int *parent_seg;        /* k, with a parent model */
  double *parent_dist;    /* k */
} fit_state;

static void fit_state_free(fit_state *f) {
  strata_sample_free(&f->sample);
  strata_scaler_free(&f->scaler);
  strata_lloyd_free(f->run.lloyd);
  strata_pass_free(f->run.pass);
  free(f->run.centers); free(f->run.next); free(f->run.iters); free(f->run.sizes);
  free(f->best_centers); free(f->best_sizes); free(f->best_iters);
  strata_fit_stats_free(&f->sc);
  free(f->parent_seg); free(f->parent_dist);
  strata_labels_writer_abort(f->writer);
  strata_output_abort(&f->model_out);
  strata_model_free(f->model);
}

static strata_status build_model(fit_state *f, strata_dataset *ds, const strata_fit_params *p,
                                 const char *backend, const char *backend_reason) {
  fit_run *r = &f->run;
  size_t k = r->k, d = r->d;
  strata_model *m = f->model = strata_model_alloc((int)k, (int)d);
  RETURN_IF(!m, STRATA_ERR_NOMEM, "out of memory");
  int ok = 1;
  for (size_t j = 0; j < d; j++) {
    ok &= strata_model_set_string(&m->features[j], strata_dataset_col_name(ds, j));
    m->scale_shift[j] = f->scaler.shift[j];
    m->scale_factor[j] = f->scaler.factor[j];
    m->impute[j] = f->scaler.impute[j];
  }
  for (size_t j = 0; j < d; j++) m->feature_group[j] = strata_dataset_col_group(ds, j);
  m->info.categorical_weight = p->categorical_weight;
  size_t ng = strata_dataset_groups(ds);
  if (ng > 0) {
    const char **gn = malloc(ng * sizeof *gn);
    RETURN_IF(!gn, STRATA_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < ng; g++) gn[g] = strata_dataset_group_name(ds, g);
    ok &= strata_model_set_categorical(m, gn, (int)ng);
    free(gn);
  }
  memcpy(m->centroids, f->best_centers, k * d * sizeof(double));
  for (size_t c = 0; c < k; c++)
    strata_scaler_invert(&f->scaler, m->centroids + c * d, m->centroids_original + c * d);
  memcpy(m->sizes, f->best_sizes, k * sizeof(int64_t));
  static const char *const init_names[] = {"k-means++", "random", "file"};
  char created[32];
  iso_time_now(created, sizeof created);
  ok &= strata_model_set_string(&m->init, init_names[p->init]);
  ok &= strata_model_set_string(&m->scale, strata_scale_name(p->scale));
  ok &= strata_model_set_string(&m->missing, strata_missing_name(p->missing));
  ok &= strata_model_set_string(&m->backend, backend);
  ok &= strata_model_set_string(&m->backend_reason, backend_reason);
  ok &= strata_model_set_string(&m->mode, strata_pass_caching(r->pass) ? "in-core" : "streaming");
  ok &= strata_model_set_string(&m->input_file, strata_dataset_path(ds));
  ok &= strata_model_set_string(&m->input_location, strata_dataset_location(ds));
  ok &= strata_model_set_string(&m->version, strata_version());
  ok &= strata_model_set_string(&m->created, created);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

/* After the restarts: numbers the kept centres after the parent's (if any),
 * then the pass that writes the labels when they were held back and
 * measures each segment's mean distance, unless the kept run's last pass
 * already did (stats_in_run). */
static strata_status final_pass(fit_state *f, const strata_fit_params *p, int late, int stats_in_run,
                                double *mean_distance) {
  fit_run *r = &f->run;
  size_t k = r->k;
  if (p->parent) {
    f->parent_seg = malloc(k * sizeof *f->parent_seg);
    f->parent_dist = malloc(k * sizeof *f->parent_dist);
    RETURN_IF(!f->parent_seg || !f->parent_dist, STRATA_ERR_NOMEM, "out of memory");
    FORWARD_IF_ERROR(strata_lineage_renumber(strata_model_get_info(p->parent), &f->scaler, k,
                                             f->best_centers, f->best_sizes, f->parent_seg,
                                             f->parent_dist));
  }
  const strata_lloyd_result *res = strata_lloyd_last_result(r->lloyd);
  if (!stats_in_run) {
    double t0 = now_seconds();
    FORWARD_IF_ERROR(strata_lloyd_want_stats(r->lloyd, 0));
    strata_lloyd_set_centroids(r->lloyd, f->best_centers);
    FORWARD_IF_ERROR(strata_lloyd_pass(r->lloyd, late ? f->writer : NULL, &res));
    if (late && f->writer)
      report(p, (strata_progress){.stage = STRATA_STAGE_LABELS, .n_init = p->n_init,
                                  .seconds = now_seconds() - t0});
  }
  for (size_t c = 0; c < k; c++)
    mean_distance[c] = res->counts[c] > 0 ? res->dist_sum[c] / (double)res->counts[c] : NAN;
  if (p->parent)
    strata_lineage_mark_replaced(strata_model_get_info(p->parent), k, mean_distance, f->parent_seg,
                                 f->parent_dist);
  return STRATA_OK;
}

/* The lineage and the training reference into the model. */
static strata_status record_lineage(fit_state *f, const strata_fit_params *p, const double *mean_distance) {
  strata_model *m = f->model;
  size_t d = f->run.d;
  double *mean = malloc(d * sizeof *mean), *sd = malloc(d * sizeof *sd);
  int ok = mean && sd;
  for (size_t j = 0; ok && j < d; j++) {
    mean[j] = f->sc.total[j].n ? f->sc.total[j].mean : NAN;
    sd[j] = sqrt(strata_colacc_var(&f->sc.total[j]));
  }
  ok = ok && strata_model_set_reference(m, mean, sd, mean_distance);
  if (ok && p->warm_start) ok = strata_model_set_string(&m->init, "warm-start");
  if (ok && p->parent)
    ok = strata_model_set_lineage(m, p->parent_path ? p->parent_path : "",
                                  strata_model_get_info(p->parent)->created, f->parent_seg,
                                  f->parent_dist);
  free(mean);
  free(sd);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

/* Writes the model (if asked) and finishes the labels under temporary
 * names, then renames both: a failure anywhere leaves neither behind. */
static strata_status commit_outputs(fit_state *f, const strata_fit_params *p) {
  strata_output_file labels = {0};
  strata_output_file *model = &f->model_out;
  strata_status st = STRATA_OK;
  if (p->model_path) GOTO_IF_ERROR(st, strata_model_write(f->model, model), fail);
  if (f->writer) {
    strata_labels_writer *w = f->writer;
    f->writer = NULL;
    GOTO_IF_ERROR(st, strata_labels_writer_finish(w, &labels), fail);
  }
  if (p->model_path) GOTO_IF_ERROR(st, strata_output_commit(model), fail);
  if (labels.tmp_path) GOTO_IF_ERROR(st, strata_output_commit(&labels), fail);
  return STRATA_OK;
fail:
  strata_output_abort(model);
  strata_output_abort(&labels);
  return st;
}

strata_status strata_fit(strata_dataset *ds, const strata_fit_params *p, strata_model **out) {
  RETURN_IF(!ds || !p || !out, STRATA_ERR_USAGE, "strata_fit: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_fit_params"));
  FORWARD_IF_ERROR(check_params(p));
  FORWARD_IF_ERROR(strata_lineage_check(p, ds));
  double t_start = now_seconds();
  FORWARD_IF_ERROR(strata_scheduler_check_name(p->backend));
  strata_log_isa_note();
  /* An explicit backend is resolved now, so that one that cannot run here
   * (no OpenCL device, a build failure) fails before the data is read; auto
   * waits for the init sample to calibrate on. */
  strata_backend_choice choice;
  memset(&choice, 0, sizeof choice);
  if (p->backend && strcmp(p->backend, "auto") != 0 && strata_dataset_cols(ds) > 0)
    FORWARD_IF_ERROR(strata_scheduler_choose(p->backend, NULL, 0, strata_dataset_rows(ds),
                                             strata_dataset_cols(ds), (size_t)p->k, p->threads,
                                             &choice));
  const strata_kernels *kern = choice.kern;

  fit_state f;
  memset(&f, 0, sizeof f);
  fit_run *r = &f.run;
  r->p = p;
  r->n = strata_dataset_rows(ds);
  r->d = strata_dataset_cols(ds);
  r->k = (size_t)p->k;
  size_t n = r->n, d = r->d, k = r->k;
  const char **names = malloc((d ? d : 1) * sizeof *names);
  int *groups = malloc((d ? d : 1) * sizeof *groups);
  if (!names || !groups) {
    free(names);
    free(groups);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t j = 0; j < d; j++) {
    names[j] = strata_dataset_col_name(ds, j);
    groups[j] = strata_dataset_col_group(ds, j);
  }
  strata_status st = STRATA_OK;

  if (n == 0) {
    st = strata_fail(STRATA_ERR_DATA, "dataset '%s' is empty (0 rows)", strata_dataset_path(ds));
    goto done;
  }
  if (d == 0) {
    st = strata_fail(STRATA_ERR_DATA, "dataset '%s' has no numeric columns", strata_dataset_path(ds));
    goto done;
  }
  if (k > n) {
    st = strata_fail(STRATA_ERR_DATA, "k = %zu exceeds the number of rows (%zu)", k, n);
    goto done;
  }

  /* 1. statistics pass (also fills the init sample) and the scaler */
  double t0 = now_seconds();
  if (p->init != STRATA_INIT_GIVEN) {
    size_t m = p->init_sample ? p->init_sample : strata_fit_auto_init_sample(n, k);
    GOTO_IF_ERROR(st, strata_sample_choose(&f.sample, n, m, d, p->seed), done);
  }
  GOTO_IF_ERROR(st, strata_fit_stats_pass(&f.sc, ds, p, names,
                                          p->init == STRATA_INIT_GIVEN ? NULL : &f.sample, NULL), done);
  r->kept = n - f.sc.skipped;
  if (r->kept == 0) {
    st = strata_fail(STRATA_ERR_DATA, "no rows left: every row of '%s' has a missing value",
                     strata_dataset_path(ds));
    goto done;
  }
  if (k > r->kept) {
    st = strata_fail(STRATA_ERR_DATA, "k = %zu exceeds the number of rows (%zu after dropping "
                     "%llu with missing values)", k, r->kept, (unsigned long long)f.sc.skipped);
    goto done;
  }
  GOTO_IF_ERROR(st, strata_scaler_fit(&f.scaler, d, names, p->scale, p->missing, f.sc.total, f.sc.medians,
                                      groups, p->categorical_weight), done);
  r->tol_abs = strata_fit_tol_abs(&f.sc, &f.scaler, p->tol);
  report(p, (strata_progress){.stage = STRATA_STAGE_STATS, .n_init = p->n_init,
                              .seconds = now_seconds() - t0,
                              .rows_per_second = (double)n / (now_seconds() - t0 + 1e-12)});
  if (p->init != STRATA_INIT_GIVEN) GOTO_IF_ERROR(st, strata_sample_finish(&f.sample, &f.scaler), done);
  if (!kern) {
    GOTO_IF_ERROR(st, strata_scheduler_choose(p->backend, f.sample.x, f.sample.m, r->kept, d, k,
                                              p->threads, &choice), done);
    kern = choice.kern;
  }
  /* k-means++ works on the in-memory sample in 512-row items from every
   * thread at once; a device would take them one synchronous round trip at
   * a time, slower than the CPU, so init stays on the CPU. */
  const strata_kernels *init_kern =
      !kern->run.run_open ? kern : choice.fallback ? choice.fallback : strata_kernels_for_shape("auto", d, k);

  /* 2. the pass over scaled data, kept in memory when it fits */
  uint64_t limit = p->streaming ? 0 : (p->mem_limit ? p->mem_limit : strata_default_mem_limit());
  GOTO_IF_ERROR(st, strata_pass_open(ds, &f.scaler, p->chunk_rows, p->threads, limit, &r->pass), done);
  GOTO_IF_ERROR(st, strata_lloyd_create(kern, r->pass, k, d, n, 1, &r->lloyd), done);
  strata_lloyd_set_fallback(r->lloyd, choice.fallback);
  {
    /* The largest |scaled value| per column bounds every cluster sum. */
    double *bound = malloc(d * sizeof *bound);
    if (!bound) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
    strata_fit_sum_bounds(&f.sc, &f.scaler, bound);
    st = strata_lloyd_want_sums(r->lloyd, bound, r->kept);
    free(bound);
    if (st != STRATA_OK) goto done;
  }
  r->centers = malloc(k * d * sizeof(double));
  r->next = malloc(k * d * sizeof(double));
  r->iters = calloc((size_t)p->max_iter, sizeof *r->iters);
  r->sizes = calloc(k, sizeof *r->sizes);
  f.best_centers = malloc(k * d * sizeof(double));
  f.best_sizes = calloc(k, sizeof *f.best_sizes);
  f.best_iters = calloc((size_t)p->max_iter, sizeof *f.best_iters);
  if (!r->centers || !r->next || !r->iters || !r->sizes || !f.best_centers || !f.best_sizes ||
      !f.best_iters) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d);
    goto done;
  }
  if (p->model_path) GOTO_IF_ERROR(st, strata_output_begin(p->model_path, &f.model_out), done);
  if (p->labels_path)
    GOTO_IF_ERROR(st, strata_labels_writer_open(p->labels_path, n, &f.writer), done);

  /* 3. restarts; labels are written in the kept run's final pass, or, with
   * restarts or a parent (renumbering), in one more pass after them */
  int late = p->n_init > 1 || p->parent;
  int stats_in_run = !late && !kern->run.run_open;
  if (stats_in_run) GOTO_IF_ERROR(st, strata_lloyd_want_stats(r->lloyd, 0), done);
  r->final_stats = stats_in_run;
  double best_inertia = INFINITY;
  int best_run = 0, best_iters = 0, best_converged = 0;
  for (int run = 0; run < p->n_init; run++) {
    t0 = now_seconds();
    strata_init_job job = {init_kern, strata_pass_threads(r->pass), f.sample.x, f.sample.m, d, k,
                           f.sample.m == r->kept, p->seed, run};
    if (p->warm_start) {
      GOTO_IF_ERROR(st, strata_lineage_warm_start(&job, strata_model_get_info(p->parent), &f.scaler,
                                                  r->centers), done);
    } else if (p->init == STRATA_INIT_GIVEN) {
      for (size_t c = 0; c < k; c++)
        strata_scaler_forward(&f.scaler, p->init_centroids + c * d, r->centers + c * d);
    } else if (f.sample.m < k) {
      st = strata_fail(STRATA_ERR_DATA, "the init sample holds %zu complete rows, fewer than k = %zu",
                       f.sample.m, k);
      goto done;
    } else if (p->init == STRATA_INIT_RANDOM) {
      GOTO_IF_ERROR(st, strata_init_random(&job, r->centers), done);
    } else {
      GOTO_IF_ERROR(st, strata_init_kmeanspp(&job, r->centers), done);
    }
    report(p, (strata_progress){.stage = STRATA_STAGE_INIT, .run = run, .n_init = p->n_init,
                                .seconds = now_seconds() - t0});
    /* With one restart the final assignment also writes the labels. */
    GOTO_IF_ERROR(st, lloyd_run(r, run, late ? NULL : f.writer), done);
    if (r->inertia < best_inertia) {
      best_inertia = r->inertia;
      best_run = run;
      best_iters = r->n_iters;
      best_converged = r->converged;
      memcpy(f.best_centers, r->centers, k * d * sizeof(double));
      memcpy(f.best_sizes, r->sizes, k * sizeof(int64_t));
      memcpy(f.best_iters, r->iters, (size_t)r->n_iters * sizeof *r->iters);
    }
  }
  double *mean_distance = calloc(k, sizeof *mean_distance);
  if (!mean_distance) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
  st = final_pass(&f, p, late, stats_in_run, mean_distance);

  /* 4. the model; the labels file appears only once everything worked */
  if (st == STRATA_OK) st = build_model(&f, ds, p, kern->name, choice.reason);
  if (st == STRATA_OK) st = record_lineage(&f, p, mean_distance);
  free(mean_distance);
  if (st != STRATA_OK) goto done;
  strata_model *m = f.model;
  m->info.inertia = best_inertia;
  m->info.iterations = best_iters;
  m->info.converged = best_converged;
  m->info.n_init = p->n_init;
  m->info.best_init = best_run;
  m->info.seed = p->seed;
  m->info.tol = p->tol;
  m->info.max_iter = p->max_iter;
  m->info.rows = r->kept;
  m->info.rows_dropped = f.sc.skipped;
  if (!strata_model_set_iter_stats(m, f.best_iters, best_iters)) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  m->info.seconds = now_seconds() - t_start;
  strata_model_sync_info(m);
  GOTO_IF_ERROR(st, commit_outputs(&f, p), done);
  *out = m;
  f.model = NULL;
done:
  free(names);
  free(groups);
  fit_state_free(&f);
  return st;
}
