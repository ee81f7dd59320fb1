/* strata_assign: score rows with a saved model's scaler and centroids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assign_dbscan.h"
#include "comm.h"
#include "dataset.h"
#include "drift.h"
#include "ctx.h"
#include "error.h"
#include "gmm.h"
#include "labels_writer.h"
#include "lloyd.h"
#include "model.h"
#include "pass.h"
#include "scaler.h"
#include "scheduler.h"

/* The dataset must present the model's features, in the model's order. */
static strata_status check_features(const strata_model_info *mi, const strata_dataset *ds) {
  size_t d = strata_dataset_cols(ds);
  RETURN_IF(d != (size_t)mi->d, STRATA_ERR_COLUMN,
            "'%s' has %zu feature columns selected but the model has %d", strata_dataset_path(ds),
            d, mi->d);
  for (size_t j = 0; j < d; j++)
    RETURN_IF(strcmp(strata_dataset_col_name(ds, j), mi->features[j]) != 0, STRATA_ERR_COLUMN,
              "column %zu of '%s' is '%s' but the model expects '%s'", j,
              strata_dataset_path(ds), strata_dataset_col_name(ds, j), mi->features[j]);
  return STRATA_OK;
}

strata_status strata_model_open_data(const strata_model *m, const char *path, const char *location,
                                     strata_dataset **out) {
  RETURN_IF(!m || !path || !out, STRATA_ERR_USAGE, "strata_model_open_data: NULL argument");
  *out = NULL;
  const strata_model_info *mi = strata_model_get_info(m);
  size_t d = (size_t)mi->d, ng = (size_t)mi->n_categorical, nnum = 0;
  const char **num = malloc((d ? d : 1) * sizeof *num);
  const char ***cats = calloc(ng ? ng : 1, sizeof *cats);
  size_t *ncats = calloc(ng ? ng : 1, sizeof *ncats);
  strata_status st = STRATA_OK;
  if (!num || !cats || !ncats) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
  for (size_t g = 0; g < ng; g++) {
    cats[g] = malloc((d ? d : 1) * sizeof **cats);
    if (!cats[g]) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
  }
  for (size_t j = 0; j < d; j++) {
    int g = mi->feature_group[j];
    if (g < 0) { num[nnum++] = mi->features[j]; continue; }
    /* The category is what follows "name=" in the feature's name. */
    cats[g][ncats[g]++] = mi->features[j] + strlen(mi->categorical[g]) + 1;
  }
  GOTO_IF_ERROR(st, strata_dataset_open(path, location, num, nnum, out), done);
  if (ng > 0) {
    st = strata_dataset_add_categorical(*out, mi->categorical, ng, (const char *const *const *)cats, ncats);
    if (st != STRATA_OK) { strata_dataset_free(*out); *out = NULL; }
  }
done:
  for (size_t g = 0; cats && g < ng; g++) free(cats[g]);
  free(cats); free(ncats); free(num);
  return st;
}

/* The drift of the pass just run against the model's reference. */
static strata_status pass_drift(const strata_model_info *mi, const strata_scaler *sc,
                                const strata_lloyd_result *res, const strata_drift_thresholds *th,
                                const char *reference, strata_drift **out) {
  size_t k = (size_t)mi->k, d = (size_t)mi->d;
  double *md = malloc(k * sizeof *md), *scaled = malloc(d * sizeof *scaled);
  double *mean = malloc(d * sizeof *mean);
  strata_status st = STRATA_OK;
  if (!md || !scaled || !mean) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the drift report");
    goto done;
  }
  for (size_t c = 0; c < k; c++)
    md[c] = res->counts[c] > 0 ? res->dist_sum[c] / (double)res->counts[c] : NAN;
  /* Means are linear: scaled means back to the units of the training
   * reference (transformed units when the model has transforms). */
  for (size_t j = 0; j < d; j++) scaled[j] = res->cols[j].n ? res->cols[j].mean : NAN;
  strata_scaler_unscale(sc, scaled, mean);
  strata_drift_now now = {(int)k, res->counts, res->rows, md, mean, NULL};
  st = strata_drift_build(mi, reference ? reference : mi->input_file, &now, th, out);
done:
  free(md); free(scaled); free(mean);
  return st;
}

/* Where the labels of an assign go: a labels file, or the caller's arrays. */
typedef struct {
  const char *path;
  int32_t *segment;
  float *distance;
  float *probability; /* memory: a mixture's probabilities (rows×k), or NULL */
  int soft;           /* file: a mixture's probabilities into the labels file too */
  double *loglik;     /* a mixture's mean log-likelihood per row, or NULL */
} assign_sink;

/* The labels file or the caller's arrays, with a mixture's probabilities
 * when asked for. */
static strata_status open_sink(const assign_sink *sink, size_t n, size_t k, strata_labels_writer **w) {
  if (sink->path) return strata_labels_writer_open_soft(sink->path, n, sink->soft ? k : 0, w);
  return strata_labels_writer_memory_soft(n, k, sink->segment, sink->distance, sink->probability, w);
}

static strata_status assign_run(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                const assign_sink *sink, size_t chunk_rows, const strata_drift_thresholds *th,
                                const char *reference, double *inertia, int64_t *sizes, strata_drift **drift);

static strata_status assign_file(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                 const char *labels_path, size_t chunk_rows, const strata_drift_thresholds *th,
                                 const char *reference, double *inertia, int64_t *sizes, strata_drift **drift,
                                 int soft);

strata_status strata_assign(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                            const char *labels_path, size_t chunk_rows, double *inertia, int64_t *sizes) {
  return strata_assign_drift(ctx, m, ds, labels_path, chunk_rows, NULL, NULL, inertia, sizes, NULL);
}

strata_status strata_assign_memory(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                   size_t chunk_rows, int32_t *segment, float *distance, double *inertia,
                                   int64_t *sizes) {
  RETURN_IF(!m || !ds || (!segment && strata_dataset_rows(ds) > 0), STRATA_ERR_USAGE,
            "strata_assign_memory: NULL argument");
  assign_sink sink = {NULL, segment, distance, NULL, 0, NULL};
  return assign_run(ctx, m, ds, &sink, chunk_rows, NULL, NULL, inertia, sizes, NULL);
}

strata_status strata_assign_memory_soft(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                        size_t chunk_rows, int32_t *segment, float *distance, float *probability,
                                        double *log_likelihood, double *inertia, int64_t *sizes) {
  RETURN_IF(!m || !ds || (!segment && strata_dataset_rows(ds) > 0), STRATA_ERR_USAGE,
            "strata_assign_memory_soft: NULL argument");
  RETURN_IF(!strata_model_get_info(m)->weights, STRATA_ERR_USAGE,
            "per-segment probabilities and the log-likelihood need a Gaussian mixture model (algorithm gmm); "
            "this one is %s", strata_model_get_info(m)->estimator);
  assign_sink sink = {NULL, segment, distance, probability, 0, log_likelihood};
  return assign_run(ctx, m, ds, &sink, chunk_rows, NULL, NULL, inertia, sizes, NULL);
}

strata_status strata_assign_drift(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                  const char *labels_path, size_t chunk_rows, const strata_drift_thresholds *th,
                                  const char *reference, double *inertia, int64_t *sizes,
                                  strata_drift **drift) {
  return assign_file(ctx, m, ds, labels_path, chunk_rows, th, reference, inertia, sizes, drift, 0);
}

static strata_status assign_file(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                 const char *labels_path, size_t chunk_rows, const strata_drift_thresholds *th,
                                 const char *reference, double *inertia, int64_t *sizes, strata_drift **drift,
                                 int soft) {
  RETURN_IF(!m || !ds || !labels_path, STRATA_ERR_USAGE, "strata_assign: NULL argument");
  assign_sink sink = {labels_path, NULL, NULL, NULL, soft, NULL};
  return assign_run(ctx, m, ds, &sink, chunk_rows, th, reference, inertia, sizes, drift);
}

static strata_status assign_run(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                const assign_sink *sink, size_t chunk_rows, const strata_drift_thresholds *th,
                                const char *reference, double *inertia, int64_t *sizes, strata_drift **drift) {
  if (drift) *drift = NULL;
  const strata_model_info *mi = strata_model_get_info(m);
  FORWARD_IF_ERROR(check_features(mi, ds));
  RETURN_IF(drift && !mi->train_mean, STRATA_ERR_USAGE,
            "the model has no training reference statistics (saved by an older Strata); refit "
            "it to measure drift");
  strata_missing missing;
  RETURN_IF(!strata_missing_parse(mi->missing, &missing), STRATA_ERR_FORMAT,
            "model has an unknown missing-value rule '%s'", mi->missing);
  size_t n = strata_dataset_rows(ds), d = (size_t)mi->d, k = (size_t)mi->k;
  /* The fit's own kernels reproduce its labels exactly; another machine may
   * lack them, and then the scheduler picks (auto).  A backend the caller
   * named in ctx wins over the model's. */
  const char *want = strata_ctx_backend(ctx);
  if (strcmp(want, "auto") == 0) want = mi->backend;
  strata_backend_choice choice;
  if (strata_scheduler_choose(ctx, want, NULL, 0, n, d, k, &choice) != STRATA_OK) {
    strata_log(ctx, STRATA_LOG_WARN, "backend '%s'%s is not available here (%s); using auto", want,
               want == mi->backend ? " of the model" : "", strata_last_error());
    FORWARD_IF_ERROR(strata_scheduler_choose(ctx, NULL, NULL, 0, n, d, k, &choice));
  }
  /* Several ranks: each assigns its own rows (the pass's row view) with
   * rank 0's table; counts, inertia and the drift statistics are summed
   * across ranks by the pass, the labels gathered to rank 0's file. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  int ranks = strata_comm_size(comm);
  if (ranks > 1) {
    RETURN_IF(mi->core_points, STRATA_ERR_USAGE,
              "a dbscan model does not assign across MPI ranks yet (%d ranks); run it as one process", ranks);
    RETURN_IF(!sink->path, STRATA_ERR_USAGE, "labels in memory (strata_assign_memory) need one process");
    FORWARD_IF_ERROR(strata_scheduler_agree(ctx, d, k, &choice));
  }
  const strata_kernels *kern = choice.kern;
  strata_scaler sc;
  strata_status st;
  FORWARD_IF_ERROR(strata_scaler_from_model(&sc, mi, missing));
  strata_pass *pass = NULL;
  strata_lloyd *l = NULL;
  strata_labels_writer *w = NULL;
  const strata_lloyd_result *res = NULL;
  if (mi->core_points) {
    /* DBSCAN scores by its core points; its model keeps no Lloyd statistics
     * to compare, so drift is not measured. */
    if (drift) strata_log(ctx, STRATA_LOG_WARN, "drift is not measured for a dbscan model");
    GOTO_IF_ERROR(st, open_sink(sink, n, 0, &w), done);
    GOTO_IF_ERROR(st, strata_assign_dbscan(ctx, mi, &sc, ds, w, chunk_rows, inertia, sizes), done);
    goto commit;
  }
  /* Across ranks every step to the pass is agreed, so that a rank that
   * fails ends the job instead of leaving the others in a collective. */
  st = strata_pass_open(ctx, ds, &sc, chunk_rows, 0, &pass);
  if (ranks == 1) GOTO_IF_ERROR(st, st, done);
  if (mi->weights) {
    /* A mixture's E-step pass sums its exact partials across ranks
     * (core/gmm_pass.c); the labels go to rank 0's file as k-means'. */
    if (st == STRATA_OK && drift)
      st = strata_fail(STRATA_ERR_USAGE, "drift is measured for k-means models only, not a Gaussian mixture's yet");
    if (st == STRATA_OK && ranks > 1) {
      size_t first = strata_pass_first_row(pass);
      st = strata_labels_writer_open_ranks_soft(sink->path, n, sink->soft ? k : 0, comm, first,
                                                first + strata_pass_rows(pass), &w);
    } else if (st == STRATA_OK) {
      st = open_sink(sink, n, k, &w);
    }
    GOTO_IF_ERROR(st, strata_comm_agree(comm, st), done);
    GOTO_IF_ERROR(st, strata_gmm_assign(mi, pass, w, inertia, sizes, sink->loglik), done);
    goto commit;
  }
  if (st == STRATA_OK) st = strata_lloyd_create(kern, pass, k, d, n, 0, &l);
  if (st == STRATA_OK) {
    strata_lloyd_set_fallback(l, choice.fallback);
    strata_lloyd_set_centroids(l, mi->centroids);
    if (drift) st = strata_lloyd_want_stats(l, 1);
  }
  if (st == STRATA_OK && ranks > 1) {
    size_t first = strata_pass_first_row(pass);
    st = strata_labels_writer_open_ranks(sink->path, n, comm, first, first + strata_pass_rows(pass), &w);
  } else if (st == STRATA_OK) {
    st = open_sink(sink, n, 0, &w);
  }
  GOTO_IF_ERROR(st, strata_comm_agree(comm, st), done);
  GOTO_IF_ERROR(st, strata_lloyd_pass(l, w, &res), done);
  __int128 unknown = (__int128)strata_dataset_unknown_categories(ds);
  if (ranks > 1) GOTO_IF_ERROR(st, strata_comm_sum_i128(comm, &unknown, 1), done);
  if (unknown > 0)
    strata_log(ctx, STRATA_LOG_WARN, "%llu rows have a category the model has not seen; they were "
               "assigned with that categorical column all zero", (unsigned long long)unknown);
  if (inertia) *inertia = res->inertia;
  if (sizes) memcpy(sizes, res->counts, k * sizeof *sizes);
  if (drift) GOTO_IF_ERROR(st, pass_drift(mi, &sc, res, th, reference, drift), done);
commit:
  st = strata_labels_writer_commit(w);
  w = NULL;
  if (st != STRATA_OK && drift) {
    strata_drift_free(*drift);
    *drift = NULL;
  }
done:
  strata_labels_writer_abort(w);
  strata_lloyd_free(l);
  strata_pass_free(pass);
  strata_scaler_free(&sc);
  return st;
}

strata_status strata_assign_soft(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                 const char *labels_path, size_t chunk_rows, double *inertia, int64_t *sizes) {
  RETURN_IF(m && !strata_model_get_info(m)->weights, STRATA_ERR_USAGE,
            "per-segment probabilities (--soft) need a Gaussian mixture model (fit --algorithm gmm)");
  return assign_file(ctx, m, ds, labels_path, chunk_rows, NULL, NULL, inertia, sizes, NULL, 1);
}
