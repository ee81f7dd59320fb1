/* strata_fit: the k-means estimator (core/estimator_kmeans.c) through the
 * fit orchestrator (core/fit.c), then the final assignment, the lineage
 * and the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "comm.h"
#include "cpu_features.h"
#include "dataset.h"
#include "ctx.h"
#include "error.h"
#include "estimator.h"
#include "fit.h"
#include "fit_direct.h"
#include "fit_model.h"
#include "labels_writer.h"
#include "lineage.h"
#include "model.h"
#include "model_file.h"
#include "output_file.h"
#include "pass.h"
#include "scheduler.h"

/* STRATA_ISA is validated once per process; say what became of it once. */
static void strata_log_isa_note(const strata_ctx *ctx) {
  static int said = 0;
  const char *note = strata_cpu_isa_note();
  if (said || !note) return;
  said = 1;
  strata_isa_override o = strata_cpu_info_get()->override_status;
  strata_log(ctx, o == STRATA_ISA_OVERRIDE_APPLIED ? STRATA_LOG_INFO : STRATA_LOG_WARN, "%s", note);
}

/* "unknown algorithm 'X' (this build fits: kmeans, ...)" */
static strata_status unknown_algorithm(const char *name) {
  char list[256] = "";
  size_t used = 0;
  for (const char *const *a = strata_algorithms(); *a && used < sizeof list; a++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *a);
  return strata_fail(STRATA_ERR_USAGE, "unknown algorithm '%s' (this build fits: %s)", name, list);
}

static strata_status check_params(const strata_fit_params *p) {
  if (p->algorithm && !strata_estimator_find(p->algorithm)) return unknown_algorithm(p->algorithm);
  RETURN_IF(p->k < 1, STRATA_ERR_USAGE, "k must be at least 1 (got %d)", p->k);
  RETURN_IF(p->soft && (!p->algorithm || strcmp(p->algorithm, "gmm") != 0), STRATA_ERR_USAGE,
            "per-segment probabilities (--soft) need --algorithm gmm");
  RETURN_IF(p->soft && !p->labels_path, STRATA_ERR_USAGE,
            "per-segment probabilities (--soft) go into the labels file: give --labels");
  RETURN_IF(p->distance_threshold != 0.0 && (!p->algorithm || strcmp(p->algorithm, "ward") != 0),
            STRATA_ERR_USAGE, "a distance threshold cuts a dendrogram: it needs algorithm ward");
  RETURN_IF(p->ward_mode != STRATA_WARD_EXACT && (!p->algorithm || strcmp(p->algorithm, "ward") != 0),
            STRATA_ERR_USAGE, "a ward mode (exact, twostep, auto) needs algorithm ward");
  RETURN_IF(p->eps_auto && (!p->algorithm || strcmp(p->algorithm, "dbscan") != 0), STRATA_ERR_USAGE,
            "eps auto (the k-distance knee) needs algorithm dbscan");
  RETURN_IF(p->n_init < 1, STRATA_ERR_USAGE, "n-init must be at least 1 (got %d)", p->n_init);
  RETURN_IF(p->init == STRATA_INIT_GIVEN && !p->init_centroids, STRATA_ERR_USAGE,
            "init from given centroids needs init_centroids");
  int ckpt = p->checkpoint_path || p->resume_path;
  RETURN_IF(ckpt && p->algorithm && strcmp(p->algorithm, "kmeans") != 0, STRATA_ERR_USAGE,
            "checkpoint and resume are for k-means fits (algorithm %s)", p->algorithm);
  RETURN_IF(p->checkpoint_every < 0, STRATA_ERR_USAGE, "checkpoint-every must be at least 0 (got %d)",
            p->checkpoint_every);
  RETURN_IF(p->checkpoint_every > 0 && !p->checkpoint_path, STRATA_ERR_USAGE,
            "checkpoint-every needs a checkpoint file");
  return strata_fit_check_params(p);
}

/* ---------------------------------------------------------------- fit */

typedef struct {
  double t_start;
  strata_fit_data data;
  strata_estimator *est;
  strata_fit_best best;
  strata_labels_writer *writer;
  strata_output_file model_out; /* begun early: an unwritable path fails before the work */
  strata_model *model;
  int *parent_seg;        /* k, with a parent model */
  double *parent_dist;    /* k */
  strata_checkpoint *resume;  /* the checkpoint taken up, or NULL */
  strata_fingerprint fp;      /* with a checkpoint or a resume */
} fit_state;

static void fit_state_free(fit_state *f) {
  if (f->est) f->est->ops->free(f->est);
  strata_fit_best_free(&f->best);
  strata_fit_data_free(&f->data);
  free(f->parent_seg); free(f->parent_dist);
  strata_labels_writer_abort(f->writer);
  strata_output_abort(&f->model_out);
  strata_model_free(f->model);
  strata_checkpoint_free(f->resume);
  strata_fingerprint_free(&f->fp);
}

/* The refinement as resolved: only an estimator with one refines. */
static strata_status set_refine(strata_model *m, const strata_fit_params *p, const strata_estimator *est) {
  int swap = est->ops->refine && strata_fit_refines(p);
  RETURN_IF(!strata_model_set_string(&m->refine, swap ? "swap" : "none"), STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

/* Everything a model records but the estimator's own parameters. */
static strata_status build_model(fit_state *f, const strata_fit_params *p, const char *backend,
                                 const char *backend_reason) {
  FORWARD_IF_ERROR(strata_fit_model_new(&f->data, p, f->est->k, backend, backend_reason, &f->model));
  f->model->info.inertia = f->best.objective; /* describe may say otherwise (a mixture's) */
  FORWARD_IF_ERROR(f->est->ops->describe(f->est, f->best.params, &f->data, f->model));
  FORWARD_IF_ERROR(set_refine(f->model, p, f->est));
  memcpy(f->model->sizes, f->best.sizes, f->est->k * sizeof(int64_t));
  return STRATA_OK;
}

/* After the restarts: numbers the kept centres after the parent's (if any),
 * then the pass that writes the labels when they were held back and
 * measures each segment's mean distance, unless the kept run's last pass
 * already did (stats_in_run). */
static strata_status final_pass(fit_state *f, const strata_fit_params *p, int late, int stats_in_run,
                                double *mean_distance) {
  strata_estimator *est = f->est;
  size_t k = est->k;
  if (p->parent) {
    f->parent_seg = malloc(k * sizeof *f->parent_seg);
    f->parent_dist = malloc(k * sizeof *f->parent_dist);
    RETURN_IF(!f->parent_seg || !f->parent_dist, STRATA_ERR_NOMEM, "out of memory");
    /* Every estimator's parameters begin with its k×d centres. */
    FORWARD_IF_ERROR(strata_lineage_renumber(strata_model_get_info(p->parent), &f->data.scaler, k,
                                             f->best.params, f->best.sizes, f->parent_seg, f->parent_dist));
  }
  if (!stats_in_run) {
    double t0 = strata_fit_now();
    FORWARD_IF_ERROR(est->ops->want_reference(est));
    est->ops->set_params(est, f->best.params);
    strata_estep_mode final = STRATA_ESTEP_FINAL;
    FORWARD_IF_ERROR(est->ops->e_step(&est, 1, &final, late ? f->writer : NULL));
    if (late && f->writer)
      strata_fit_report(p, (strata_progress){.stage = STRATA_STAGE_LABELS, .n_init = p->n_init,
                                  .seconds = strata_fit_now() - t0});
  }
  est->ops->reference(est, mean_distance);
  if (p->parent)
    strata_lineage_mark_replaced(strata_model_get_info(p->parent), k, mean_distance, f->parent_seg,
                                 f->parent_dist);
  return STRATA_OK;
}

/* The lineage and the training reference into the model. */
static strata_status record_lineage(fit_state *f, const strata_fit_params *p, const double *mean_distance) {
  strata_model *m = f->model;
  FORWARD_IF_ERROR(strata_fit_model_reference(m, &f->data, mean_distance));
  int ok = 1;
  if (p->warm_start) ok = strata_model_set_string(&m->init, "warm-start");
  if (ok && p->parent)
    ok = strata_model_set_lineage(m, p->parent_path ? p->parent_path : "",
                                  strata_model_get_info(p->parent)->created, f->parent_seg,
                                  f->parent_dist);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

/* k-means++ asked for with an automatic sample, whose sample would not fit
 * the memory limit at 40 rows per cluster: k-means|| instead, on rank 0's
 * measure of the memory (the ranks must agree). */
static strata_status choose_init(const strata_ctx *ctx, const strata_fit_data *data, strata_fit_params *q) {
  if (q->init != STRATA_INIT_KMEANSPP || q->init_sample || q->warm_start) return STRATA_OK;
  uint64_t limit = q->mem_limit ? q->mem_limit : strata_default_mem_limit();
  uint64_t pick[2] = {0, 0};
  size_t sample = 0;
  pick[0] = (uint64_t)strata_fit_auto_kmeans_parallel(data->n, data->d, (size_t)q->k, limit, &sample);
  pick[1] = sample;
  const strata_comm *comm = strata_ctx_comm(ctx);
  if (strata_comm_size(comm) > 1) FORWARD_IF_ERROR(strata_comm_bcast(comm, pick, sizeof pick, 0));
  if (!pick[0]) return STRATA_OK;
  q->init = STRATA_INIT_KMEANS_PARALLEL;
  q->init_sample = (size_t)pick[1];
  strata_log(ctx, STRATA_LOG_INFO,
             "init k-means||: k-means++'s sample of 40 rows per segment (k = %d, %zu columns) would take more than "
             "a quarter of the memory limit of %.3g GB",
             q->k, data->d, (double)limit / 1e9);
  return STRATA_OK;
}

static strata_status run_fit(fit_state *f, const strata_ctx *ctx, strata_dataset *ds, strata_fit_params *p,
                             const strata_labels_memory *mem, strata_backend_choice *choice, strata_model **out) {
  const char *algorithm = p->algorithm ? p->algorithm : "kmeans";
  const strata_estimator_ops *ops = strata_estimator_find(algorithm); /* known: check_params */
  /* k-means' (mini-batch too) and the mixtures' passes combine their exact partial sums
   * across ranks (core/reduce.c, core/gmm_pass.c); Ward and DBSCAN would
   * fit each rank's rows alone. */
  int ranks = strata_comm_size(strata_ctx_comm(ctx));
  /* Ward's two-step mode is k-means micro-clusters, then Ward on their
   * means on every rank alike; auto would weigh each rank's memory alone. */
  if (ranks > 1 && ops == &strata_estimator_ward) {
    RETURN_IF(p->ward_mode == STRATA_WARD_EXACT, STRATA_ERR_USAGE,
              "exact Ward holds every row in one process (%d ranks): give --ward-mode twostep, or run it as one "
              "process", ranks);
    p->ward_mode = STRATA_WARD_TWOSTEP;
  }
  RETURN_IF(ranks > 1 && ops != &strata_estimator_kmeans && ops != &strata_estimator_gmm &&
                ops != &strata_estimator_minibatch && ops != &strata_estimator_ward, STRATA_ERR_USAGE,
            "algorithm %s does not run across MPI ranks yet (%d ranks); run it as one process", ops->name, ranks);
  if (ops->direct) return strata_fit_direct(&f->data, ctx, ds, p, ops->name, ops->direct, mem, out);
  strata_fit_data *data = &f->data;
  size_t k = (size_t)p->k;
  FORWARD_IF_ERROR(strata_fit_data_check(data, ctx, ds, p, k));
  size_t d = data->d;
  if (ops == &strata_estimator_kmeans && !strata_dataset_weights(ds)) FORWARD_IF_ERROR(choose_init(ctx, data, p));

  /* 1. statistics pass (also fills the init sample) and the scaler */
  int refines = ops->refine && strata_fit_refines(p);
  strata_fit_data_opts o = {.kmax = k, .with_init_sample = p->init != STRATA_INIT_GIVEN || refines,
                            .n_init = p->n_init};
  FORWARD_IF_ERROR(strata_fit_data_prepare(data, &o));
  if (!choice->kern)
    FORWARD_IF_ERROR(strata_scheduler_choose(ctx, strata_ctx_backend(ctx), data->sample.x, data->sample.m,
                                             data->kept, d, k, choice));
  FORWARD_IF_ERROR(strata_scheduler_agree(ctx, d, k, choice));
  const strata_kernels *kern = choice->kern;
  /* k-means++ works on the in-memory sample in 512-row items from every
   * thread at once; a device would take them one synchronous round trip at
   * a time, slower than the CPU, so init stays on the CPU. */
  const strata_kernels *init_kern =
      !kern->run.run_open ? kern : choice->fallback ? choice->fallback : strata_kernels_for_shape("auto", d, k);
  /* A batch is a few blocks: a device round trip per batch would cost more
   * than the CPU's work, so auto keeps mini-batches on the CPU. */
  if (ops == &strata_estimator_minibatch && kern->run.run_open && strcmp(strata_ctx_backend(ctx), "auto") == 0)
    kern = init_kern;
  /* The device runs reduce unweighted rows only: auto keeps weighted fits
   * on the CPU (an explicit device is refused when the passes begin). */
  if (strata_dataset_weights(ds) && kern->run.run_open && strcmp(strata_ctx_backend(ctx), "auto") == 0)
    kern = init_kern;

  /* 2. the pass over scaled data, kept in memory when it fits */
  FORWARD_IF_ERROR(strata_fit_data_open_pass(data));
  strata_estimator_opts eo = {.k = k, .kern = kern, .fallback = choice->fallback, .init_kern = init_kern,
                              .track_labels = 1};
  FORWARD_IF_ERROR(ops->create(data, &eo, &f->est));
  /* Several ranks: rank 0 writes the model and the labels file, which the
   * others send their rows (and --soft's probabilities) to; whether every
   * rank could start is agreed. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  strata_status ost = STRATA_OK;
  if (p->model_path && strata_comm_rank(comm) == 0) ost = strata_output_begin(p->model_path, &f->model_out);
  if (ost == STRATA_OK && mem) {
    ost = strata_labels_writer_memory(data->n, mem->segment, mem->distance, &f->writer);
  } else if (ost == STRATA_OK && p->labels_path) {
    size_t first = strata_pass_first_row(data->pass);
    ost = strata_labels_writer_open_ranks_soft(p->labels_path, data->n, p->soft ? k : 0, comm, first,
                                               first + strata_pass_rows(data->pass), &f->writer);
  }
  FORWARD_IF_ERROR(strata_comm_agree(comm, ost));

  /* 3. restarts; labels are written in the kept run's final pass, or, with
   * restarts, a parent (renumbering) or a refinement (which moves the
   * centroids after that pass), in one more pass after them.  A checkpoint
   * is taken at iteration boundaries, a resume takes one up. */
  strata_checkpointer saver = {ctx, p->checkpoint_path, p->checkpoint_every, &f->fp, kern->name,
                               ops->n_params(f->est), k, -1, -1};
  strata_fit_checkpoint hooks = {NULL, p->checkpoint_path ? strata_checkpoint_boundary : NULL, &saver};
  if (f->resume) {
    FORWARD_IF_ERROR(strata_fingerprint_data(&f->fp, data));
    FORWARD_IF_ERROR(strata_checkpoint_match(ctx, f->resume, &f->fp));
    FORWARD_IF_ERROR(strata_checkpoint_state(f->resume, ops->n_params(f->est), k, &hooks.resume));
  } else if (p->checkpoint_path) {
    FORWARD_IF_ERROR(strata_fingerprint_data(&f->fp, data));
  }
  int late = p->n_init > 1 || p->parent || refines;
  int stats_in_run = !late && !kern->run.run_open;
  if (stats_in_run) FORWARD_IF_ERROR(ops->want_reference(f->est));
  FORWARD_IF_ERROR(strata_fit_restarts(data, f->est, late ? NULL : f->writer, stats_in_run,
                                       hooks.resume || hooks.boundary ? &hooks : NULL, &f->best));
  double *mean_distance = calloc(k, sizeof *mean_distance);
  RETURN_IF(!mean_distance, STRATA_ERR_NOMEM, "out of memory");
  strata_status st = final_pass(f, p, late, stats_in_run, mean_distance);

  /* 4. the model; the labels file appears only once everything worked */
  /* A mixture's passes are plain C (core/gmm_pass.c) whatever table the
   * seeding used: the model says so rather than name kernels it never ran. */
  int plain = ops == &strata_estimator_gmm;
  if (st == STRATA_OK)
    st = build_model(f, p, plain ? "ref" : kern->name,
                     plain ? "a Gaussian mixture's E-step is plain C (no SIMD or device kernels yet)" : choice->reason);
  if (st == STRATA_OK) st = record_lineage(f, p, mean_distance);
  free(mean_distance);
  FORWARD_IF_ERROR(st);
  strata_model *m = f->model;
  m->info.iterations = f->best.iterations;
  m->info.converged = f->best.converged;
  m->info.n_init = p->n_init;
  m->info.best_init = f->best.run;
  m->info.refine_trials = f->best.refine.trials;
  m->info.refine_swaps = f->best.refine.swaps;
  m->info.seed = p->seed;
  m->info.tol = p->tol;
  m->info.max_iter = p->max_iter;
  if (ops == &strata_estimator_minibatch) { /* whole blocks, at most every block (core/minibatch.c) */
    uint64_t per = (p->batch_rows + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
    uint64_t all = (data->n + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS;
    m->info.batch_rows = (per < all ? per : all) * STRATA_BLOCK_ROWS;
  }
  m->info.rows = data->kept;
  m->info.rows_dropped = data->sc.skipped;
  RETURN_IF(!strata_model_set_iter_stats(m, f->best.iters, f->best.iterations), STRATA_ERR_NOMEM,
            "out of memory");
  m->info.seconds = strata_fit_now() - f->t_start;
  if (hooks.resume) {
    m->info.resumed_run = hooks.resume->run;
    m->info.resumed_iteration = hooks.resume->iterations;
  }
  strata_model_sync_info(m);
  /* Arithmetic that overflowed (extreme values or weights) must not become a
   * model that puts every row in one segment. */
  FORWARD_IF_ERROR(strata_model_check_values(m, STRATA_ERR_DATA, "the fit overflowed: model dataset"));
  FORWARD_IF_ERROR(strata_fit_commit(p, m, &f->model_out, &f->writer));
  /* The fit is complete: its checkpoint describes nothing left to do. */
  if (p->checkpoint_path && strata_comm_rank(comm) == 0) unlink(p->checkpoint_path);
  *out = m;
  f->model = NULL;
  return STRATA_OK;
}

static strata_status fit(const strata_ctx *ctx, strata_dataset *ds, const strata_fit_params *p,
                         const strata_labels_memory *mem, strata_model **out) {
  RETURN_IF(!ds || !p || !out, STRATA_ERR_USAGE, "strata_fit: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_fit_params"));
  FORWARD_IF_ERROR(check_params(p));
  FORWARD_IF_ERROR(strata_lineage_check(p, ds));
  fit_state f;
  memset(&f, 0, sizeof f);
  f.t_start = strata_fit_now();
  const char *backend = strata_ctx_backend(ctx);
  FORWARD_IF_ERROR(strata_scheduler_check_name(backend));
  strata_log_isa_note(ctx);
  /* An explicit backend is resolved now, so that one that cannot run here
   * (no OpenCL device, a build failure) fails before the data is read; auto
   * waits for the init sample to calibrate on. */
  strata_backend_choice choice;
  memset(&choice, 0, sizeof choice);
  strata_status st = STRATA_OK;
  /* A checkpoint is read and matched against the input and the parameters
   * before any pass; a resume runs the backend the checkpoint ran (auto's
   * measurement may choose another table from one process to the next). */
  if (p->checkpoint_path || p->resume_path) st = strata_fingerprint_input(&f.fp, ds, p);
  /* The checkpoint's directory must take it before the work starts; this
   * also removes the temporary checkpoint a killed run left there. */
  if (st == STRATA_OK && p->checkpoint_path) {
    strata_output_file probe = {0};
    strata_status pst = STRATA_OK;
    if (strata_comm_rank(strata_ctx_comm(ctx)) == 0) pst = strata_output_begin(p->checkpoint_path, &probe);
    strata_output_abort(&probe);
    st = strata_comm_agree(strata_ctx_comm(ctx), pst);
  }
  if (st == STRATA_OK && p->resume_path) st = strata_checkpoint_load(ctx, p->resume_path, &f.resume);
  if (st == STRATA_OK && f.resume) st = strata_checkpoint_match(ctx, f.resume, &f.fp);
  if (st == STRATA_OK && f.resume && strcmp(backend, "auto") == 0) backend = strata_checkpoint_backend(f.resume);
  if (st == STRATA_OK && strcmp(backend, "auto") != 0 && strata_dataset_cols(ds) > 0)
    st = strata_scheduler_choose(ctx, backend, NULL, 0, strata_dataset_rows(ds), strata_dataset_cols(ds),
                                 (size_t)p->k, &choice);
  if (st == STRATA_OK && f.resume && choice.kern && strcmp(choice.kern->name, strata_checkpoint_backend(f.resume)) != 0)
    st = strata_fail(STRATA_ERR_USAGE, "checkpoint '%s' was made with backend %s; resume it with --backend %s or auto",
                     p->resume_path, strata_checkpoint_backend(f.resume), strata_checkpoint_backend(f.resume));
  /* run_fit may resolve the automatic init (choose_init) in a copy. */
  strata_fit_params q = *p;
  if (st == STRATA_OK) st = run_fit(&f, ctx, ds, &q, mem, &choice, out);
  fit_state_free(&f);
  return st;
}

strata_status strata_fit(const strata_ctx *ctx, strata_dataset *ds, const strata_fit_params *p,
                         strata_model **out) {
  return fit(ctx, ds, p, NULL, out);
}

strata_status strata_fit_memory(const strata_ctx *ctx, strata_dataset *ds, const strata_fit_params *p,
                                int32_t *segment, float *distance, strata_model **out) {
  RETURN_IF(!ds || !p || !out || (!segment && strata_dataset_rows(ds) > 0), STRATA_ERR_USAGE,
            "strata_fit_memory: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_fit_params"));
  RETURN_IF(p->labels_path || p->soft, STRATA_ERR_USAGE,
            "strata_fit_memory: the labels go to the caller's arrays, not a labels file (labels_path, soft)");
  /* Under several ranks each would hold only its own rows' labels. */
  RETURN_IF(strata_comm_size(strata_ctx_comm(ctx)) > 1, STRATA_ERR_USAGE,
            "strata_fit_memory runs as one process (%d ranks); use strata_fit with a labels file",
            strata_comm_size(strata_ctx_comm(ctx)));
  strata_labels_memory mem = {segment, distance};
  return fit(ctx, ds, p, &mem, out);
}
