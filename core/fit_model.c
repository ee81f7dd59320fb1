/* The model around an estimator's parameters and the outputs' commit
 * (fit_model.h); moved here from core/kmeans.c so that the non-iterative
 * driver shares them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "error.h"
#include "fit_model.h"
#include "model_file.h"

static void iso_time_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

strata_status strata_fit_model_new(const strata_fit_data *data, const strata_fit_params *p, size_t k,
                                   const char *backend, const char *backend_reason, strata_model **out) {
  strata_dataset *ds = data->ds;
  size_t d = data->d;
  strata_model *m = *out = strata_model_alloc((int)k, (int)d);
  RETURN_IF(!m, STRATA_ERR_NOMEM, "out of memory");
  int ok = 1;
  for (size_t j = 0; j < d; j++) {
    ok &= strata_model_set_string(&m->features[j], strata_dataset_col_name(ds, j));
    m->scale_shift[j] = data->scaler.shift[j];
    m->scale_factor[j] = data->scaler.factor[j];
    m->impute[j] = data->scaler.impute[j];
  }
  for (size_t j = 0; j < d; j++) m->feature_group[j] = strata_dataset_col_group(ds, j);
  if (data->tf) {
    int *kind = malloc(d * sizeof *kind);
    double *param = malloc(3 * d * sizeof *param);
    int done = kind && param;
    for (size_t j = 0; done && j < d; j++) {
      const strata_transform *t = &data->tf[j];
      kind[j] = (int)t->kind;
      param[3 * j] = t->kind == STRATA_TRANSFORM_YEO_JOHNSON ? t->lambda : NAN;
      param[3 * j + 1] = t->kind == STRATA_TRANSFORM_CLIP || t->kind == STRATA_TRANSFORM_AGE_DAYS ? t->lo : NAN;
      param[3 * j + 2] = t->kind == STRATA_TRANSFORM_CLIP ? t->hi : NAN;
    }
    ok &= done && strata_model_set_transforms(m, kind, param);
    free(kind);
    free(param);
  }
  m->info.categorical_weight = p->categorical_weight;
  ok &= strata_model_set_string(&m->weight_column, strata_dataset_weights_name(ds));
  size_t ng = strata_dataset_groups(ds);
  if (ng > 0) {
    const char **gn = malloc(ng * sizeof *gn);
    RETURN_IF(!gn, STRATA_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < ng; g++) gn[g] = strata_dataset_group_name(ds, g);
    ok &= strata_model_set_categorical(m, gn, (int)ng);
    free(gn);
  }
  static const char *const init_names[] = {"k-means++", "random", "file", "k-means||"};
  char created[32];
  iso_time_now(created, sizeof created);
  /* Without a scaled pass the data were held in memory (non-iterative fits). */
  const char *mode = !data->pass || strata_pass_caching(data->pass) ? "in-core" : "streaming";
  ok &= strata_model_set_string(&m->init, init_names[p->init]);
  ok &= strata_model_set_string(&m->scale, strata_scale_name(p->scale));
  ok &= strata_model_set_string(&m->missing, strata_missing_name(p->missing));
  ok &= strata_model_set_string(&m->backend, backend);
  ok &= strata_model_set_string(&m->backend_reason, backend_reason);
  ok &= strata_model_set_string(&m->mode, mode);
  ok &= strata_model_set_string(&m->input_file, strata_dataset_path(ds));
  ok &= strata_model_set_string(&m->input_location, strata_dataset_location(ds));
  ok &= strata_model_set_string(&m->version, strata_version());
  ok &= strata_model_set_string(&m->created, created);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

strata_status strata_fit_model_reference(strata_model *m, const strata_fit_data *data, const double *mean_distance) {
  const strata_fit_stats *sc = &data->sc;
  size_t d = data->d;
  double *mean = malloc(d * sizeof *mean), *sd = malloc(d * sizeof *sd);
  int ok = mean && sd;
  for (size_t j = 0; ok && j < d; j++) {
    mean[j] = sc->total[j].n ? sc->total[j].mean : NAN;
    sd[j] = sqrt(strata_colacc_var(&sc->total[j]));
  }
  ok = ok && strata_model_set_reference(m, mean, sd, mean_distance);
  free(mean);
  free(sd);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

strata_status strata_fit_commit(const strata_fit_params *p, strata_model *m, strata_output_file *model_out,
                                strata_labels_writer **writer) {
  strata_output_file labels = {0};
  strata_status st = STRATA_OK;
  /* The labels first: with several ranks their finish is a collective that
   * every rank must reach; only rank 0 began the model's output. */
  if (*writer) {
    strata_labels_writer *w = *writer;
    *writer = NULL;
    GOTO_IF_ERROR(st, strata_labels_writer_finish(w, &labels), fail);
  }
  int writes_model = p->model_path && model_out->final_path;
  if (writes_model) GOTO_IF_ERROR(st, strata_model_write(m, model_out), fail);
  if (writes_model) GOTO_IF_ERROR(st, strata_output_commit(model_out), fail);
  if (labels.tmp_path) GOTO_IF_ERROR(st, strata_output_commit(&labels), fail);
  return STRATA_OK;
fail:
  strata_output_abort(model_out);
  strata_output_abort(&labels);
  return st;
}
