/* strata_assign: score rows with a saved model's scaler and centroids. */
#include <string.h>

#include "dataset.h"
#include "error.h"
#include "labels_writer.h"
#include "lloyd.h"
#include "model.h"
#include "pass.h"
#include "scaler.h"

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

strata_status strata_assign(const strata_model *m, strata_dataset *ds, const char *labels_path,
                            size_t chunk_rows, int threads, double *inertia, int64_t *sizes) {
  RETURN_IF(!m || !ds || !labels_path, STRATA_ERR_USAGE, "strata_assign: NULL argument");
  const strata_model_info *mi = strata_model_get_info(m);
  FORWARD_IF_ERROR(check_features(mi, ds));
  strata_missing missing;
  RETURN_IF(!strata_missing_parse(mi->missing, &missing), STRATA_ERR_FORMAT,
            "model has an unknown missing-value rule '%s'", mi->missing);
  /* The fit's own kernels reproduce its labels exactly; another machine may
   * lack them, and then the best available ones are used. */
  const strata_kernels *kern = strata_kernels_find(mi->backend);
  if (!kern) {
    strata_log(STRATA_LOG_WARN, "backend '%s' of the model is not available here; using auto",
               mi->backend);
    kern = strata_kernels_find("auto");
  }
  size_t n = strata_dataset_rows(ds), d = (size_t)mi->d, k = (size_t)mi->k;
  strata_scaler sc;
  FORWARD_IF_ERROR(strata_scaler_from(&sc, d, mi->features, missing, mi->scale_shift,
                                      mi->scale_factor, mi->impute));
  strata_pass *pass = NULL;
  strata_lloyd *l = NULL;
  strata_labels_writer *w = NULL;
  const strata_lloyd_result *res = NULL;
  strata_status st;
  GOTO_IF_ERROR(st, strata_pass_open(ds, &sc, chunk_rows, threads, 0, &pass), done);
  GOTO_IF_ERROR(st, strata_lloyd_create(kern, pass, k, d, n, 0, &l), done);
  strata_lloyd_set_centroids(l, mi->centroids);
  GOTO_IF_ERROR(st, strata_labels_writer_open(labels_path, n, &w), done);
  GOTO_IF_ERROR(st, strata_lloyd_pass(l, w, &res), done);
  if (inertia) *inertia = res->inertia;
  if (sizes) memcpy(sizes, res->counts, k * sizeof *sizes);
  st = strata_labels_writer_commit(w);
  w = NULL;
done:
  strata_labels_writer_abort(w);
  strata_lloyd_free(l);
  strata_pass_free(pass);
  strata_scaler_free(&sc);
  return st;
}
