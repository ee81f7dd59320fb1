/* The non-iterative driver (fit_direct.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"
#include "fit_direct.h"
#include "fit_model.h"
#include "labels_writer.h"
#include "output_file.h"
#include "pass.h"

typedef struct {
  double *x;         /* n×d: row r of the input at r·d, then compacted */
  double *w;         /* n row weights, compacted alike (a weighted table), else NULL */
  uint8_t *present;  /* n: 1 for a kept row */
  size_t d;
} gather;

/* Blocks come in any order; each writes its own rows' slots. */
static strata_status gather_block(void *vctx, const strata_block *b, int thread) {
  (void)thread;
  gather *g = vctx;
  for (size_t i = 0; i < b->m; i++) {
    size_t r = b->row0 + (b->kept ? b->kept[i] : i);
    for (size_t j = 0; j < g->d; j++) g->x[r * g->d + j] = (double)b->x[i * g->d + j];
    if (g->w) g->w[r] = b->w[i];
    g->present[r] = 1;
  }
  return STRATA_OK;
}

/* The kept scaled rows in input order: one pass, then compacted in place. */
static strata_status load_rows(const strata_fit_data *data, gather *g) {
  size_t n = data->n, d = data->d;
  g->d = d;
  g->x = malloc(n * d * sizeof *g->x);
  g->present = calloc(n, 1);
  RETURN_IF(!g->x || !g->present, STRATA_ERR_NOMEM, "out of memory for %zu rows x %zu columns", n, d);
  if (strata_dataset_weights(data->ds)) {
    g->w = malloc((n ? n : 1) * sizeof *g->w);
    RETURN_IF(!g->w, STRATA_ERR_NOMEM, "out of memory for %zu row weights", n);
  }
  strata_pass *pass = NULL;
  FORWARD_IF_ERROR(strata_pass_open(data->ctx, data->ds, &data->scaler, data->p->chunk_rows, 0, &pass));
  strata_pass_fns fns = {.block = gather_block, .ctx = g};
  strata_status st = strata_pass_run(pass, &fns);
  strata_pass_free(pass);
  FORWARD_IF_ERROR(st);
  size_t m = 0;
  for (size_t r = 0; r < n; r++)
    if (g->present[r]) {
      if (g->w) g->w[m] = g->w[r];
      memmove(g->x + m++ * d, g->x + r * d, d * sizeof *g->x);
    }
  RETURN_IF(m != data->kept, STRATA_ERR_INTERNAL, "the pass kept %zu rows, the statistics pass %llu", m,
            (unsigned long long)data->kept);
  return STRATA_OK;
}

/* A table that does not fit the memory limit is refused before it is read
 * (unless the method has a streamed way): these methods hold it whole, and
 * swapping would look like a hang.  Returns 1 when the rows fit. */
typedef struct {
  double need, limit, rows_fit;
} mem_need;

static int fits_memory(const strata_fit_data *data, const strata_direct_ops *ops, mem_need *m) {
  const strata_fit_params *p = data->p;
  uint64_t limit = p->mem_limit ? p->mem_limit : strata_default_mem_limit();
  int weighted = strata_dataset_weights(data->ds) != NULL;
  double per_row = (double)data->d * sizeof(double) + 1.0 + 2.0 * sizeof(int32_t) + sizeof(float) +
                   (weighted ? sizeof(double) : 0.0) + ops->bytes(p, data->d, weighted);
  m->need = per_row * (double)data->n;
  m->limit = (double)limit;
  m->rows_fit = floor(m->limit / per_row);
  return m->need <= m->limit;
}

static strata_status too_large(const strata_fit_data *data, const strata_direct_ops *ops, const char *name,
                               const mem_need *m) {
  return strata_fail(STRATA_ERR_USAGE,
                     "%s holds the table in memory: %zu rows x %zu columns need %.3g GB, more than the memory "
                     "limit of %.3g GB (--mem-limit), which holds about %.0f rows; %s",
                     name, data->n, data->d, m->need / 1e9, m->limit / 1e9, m->rows_fit,
                     ops->too_large ? ops->too_large : "fit a sample of the rows");
}

/* Centroids (means of each cluster's rows, float64 in row order; weighted
 * with row weights w, else NULL), sizes, inertia (weighted likewise) and
 * each cluster's mean distance; every row's distance to its centroid (NaN
 * for noise). */
static strata_status summarise(const double *x, const double *w, size_t m, size_t d, const int32_t *labels,
                               size_t k, strata_model *model, double *mean_distance, float *dist, double *inertia) {
  double *c = model->centroids;
  int64_t *sizes = model->sizes;
  double *mass = calloc(k ? k : 1, sizeof *mass);
  RETURN_IF(!mass, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < m; i++) {
    if (labels[i] < 0) continue;
    size_t s = (size_t)labels[i];
    const double wi = w ? w[i] : 1.0;
    sizes[s]++;
    mass[s] += wi;
    for (size_t j = 0; j < d; j++) c[s * d + j] += wi * x[i * d + j];
  }
  for (size_t s = 0; s < k; s++)
    for (size_t j = 0; j < d; j++) c[s * d + j] = mass[s] > 0.0 ? c[s * d + j] / mass[s] : NAN;
  free(mass);
  for (size_t s = 0; s < k; s++) mean_distance[s] = 0.0;
  /* Weighted: each segment's weight and weighted distance sum, which the
   * model's counts and mean distances do not give (core/sweep_methods.c). */
  double *wd = w ? calloc(2 * (k ? k : 1), sizeof *wd) : NULL;
  RETURN_IF(w && !wd, STRATA_ERR_NOMEM, "out of memory");
  double total = 0.0;
  for (size_t i = 0; i < m; i++) {
    if (labels[i] < 0) { dist[i] = NAN; continue; }
    size_t s = (size_t)labels[i];
    double q = 0.0;
    for (size_t j = 0; j < d; j++) {
      double e = x[i * d + j] - c[s * d + j];
      q += e * e;
    }
    total += (w ? w[i] : 1.0) * q;
    mean_distance[s] += sqrt(q);
    dist[i] = (float)sqrt(q);
    if (wd) {
      wd[s] += w[i];
      wd[k + s] += w[i] * sqrt(q);
    }
  }
  free(model->fit_weight_dist);
  model->fit_weight_dist = wd;
  for (size_t s = 0; s < k; s++) mean_distance[s] = sizes[s] ? mean_distance[s] / (double)sizes[s] : NAN;
  *inertia = total;
  return STRATA_OK;
}

/* Labels of all n input rows: the kept rows' in order, -1 for dropped. */
static strata_status write_labels(strata_labels_writer *w, const uint8_t *present, size_t n, const int32_t *labels,
                                  const float *dist) {
  int32_t *seg = malloc(n * sizeof *seg);
  float *dd = malloc(n * sizeof *dd);
  strata_status st = STRATA_OK;
  if (!seg || !dd) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for %zu labels", n);
  for (size_t r = 0, i = 0; st == STRATA_OK && r < n; r++) {
    seg[r] = present[r] ? labels[i] : -1;
    dd[r] = present[r] ? dist[i++] : NAN;
  }
  if (st == STRATA_OK) st = strata_labels_writer_write(w, 0, n, seg, dd);
  free(seg);
  free(dd);
  return st;
}

typedef struct {
  gather g;
  int32_t *labels;
  float *dist;
  double *mean_distance;
  void *state;
  strata_labels_writer *writer;
  strata_output_file model_out;
  strata_model *model;
} direct_state;

static strata_status run(direct_state *s, strata_fit_data *data, const strata_ctx *ctx, strata_dataset *ds,
                         const strata_fit_params *p, const char *name, const strata_direct_ops *ops,
                         const strata_labels_memory *mem, strata_model **out) {
  size_t kmax = 1;
  FORWARD_IF_ERROR(ops->check(p, &kmax));
  FORWARD_IF_ERROR(strata_fit_data_check(data, ctx, ds, p, kmax));
  mem_need need;
  int fits = fits_memory(data, ops, &need);
  if (ops->streamed && ops->streamed(p, fits)) return ops->fit_streamed(data, mem, out);
  if (!fits) return too_large(data, ops, name, &need);
  strata_fit_data_opts o = {.kmax = kmax, .with_init_sample = 0, .n_init = 1};
  FORWARD_IF_ERROR(strata_fit_data_prepare(data, &o));
  if (p->model_path) FORWARD_IF_ERROR(strata_output_begin(p->model_path, &s->model_out));
  if (mem)
    FORWARD_IF_ERROR(strata_labels_writer_memory(data->n, mem->segment, mem->distance, &s->writer));
  else if (p->labels_path)
    FORWARD_IF_ERROR(strata_labels_writer_open(p->labels_path, data->n, &s->writer));
  FORWARD_IF_ERROR(load_rows(data, &s->g));
  data->row_weights = s->g.w;

  size_t m = data->kept, d = data->d, k = 0;
  s->labels = malloc(m * sizeof *s->labels);
  s->dist = malloc(m * sizeof *s->dist);
  RETURN_IF(!s->labels || !s->dist, STRATA_ERR_NOMEM, "out of memory for %zu labels", m);
  double t0 = strata_fit_now();
  FORWARD_IF_ERROR(ops->cluster(data, s->g.x, m, s->labels, &k, &s->state));
  strata_fit_report(p, (strata_progress){.stage = STRATA_STAGE_ITER, .iteration = 1, .max_iter = 1, .n_init = 1,
                                         .seconds = strata_fit_now() - t0});

  FORWARD_IF_ERROR(strata_fit_model_new(data, p, k, "cpu", "a non-iterative method runs on the CPU threads",
                                        &s->model));
  strata_model *model = s->model;
  s->mean_distance = malloc((k ? k : 1) * sizeof *s->mean_distance);
  RETURN_IF(!s->mean_distance, STRATA_ERR_NOMEM, "out of memory");
  double inertia = 0.0;
  FORWARD_IF_ERROR(summarise(s->g.x, s->g.w, m, d, s->labels, k, model, s->mean_distance, s->dist, &inertia));
  for (size_t c = 0; c < k; c++)
    strata_scaler_invert(&data->scaler, model->centroids + c * d, model->centroids_original + c * d);
  RETURN_IF(!strata_model_set_string(&model->estimator, name) || !strata_model_set_string(&model->init, "none"),
            STRATA_ERR_NOMEM, "out of memory");
  FORWARD_IF_ERROR(ops->describe(s->state, data, model));
  FORWARD_IF_ERROR(strata_fit_model_reference(model, data, s->mean_distance));
  model->info.inertia = inertia;
  model->info.iterations = 0;
  model->info.converged = 1;
  model->info.n_init = 1;
  model->info.best_init = 0;
  model->info.seed = p->seed;
  model->info.tol = p->tol;
  model->info.max_iter = p->max_iter;
  model->info.rows = data->kept;
  model->info.rows_dropped = data->sc.skipped;
  model->info.seconds = strata_fit_now() - data->t_start;
  strata_model_sync_info(model);
  FORWARD_IF_ERROR(strata_model_check_values(model, STRATA_ERR_DATA, "the fit overflowed: model dataset"));
  if (s->writer) FORWARD_IF_ERROR(write_labels(s->writer, s->g.present, data->n, s->labels, s->dist));
  FORWARD_IF_ERROR(strata_fit_commit(p, model, &s->model_out, &s->writer));
  *out = model;
  s->model = NULL;
  return STRATA_OK;
}

strata_status strata_fit_direct(strata_fit_data *data, const strata_ctx *ctx, strata_dataset *ds,
                                 const strata_fit_params *p, const char *name, const strata_direct_ops *ops,
                                 const strata_labels_memory *mem, strata_model **out) {
  direct_state s;
  memset(&s, 0, sizeof s);
  strata_status st = run(&s, data, ctx, ds, p, name, ops, mem, out);
  free(s.g.x);
  free(s.g.w);
  data->row_weights = NULL;
  free(s.g.present);
  free(s.labels);
  free(s.dist);
  free(s.mean_distance);
  if (s.state) ops->release(s.state);
  strata_labels_writer_abort(s.writer);
  strata_output_abort(&s.model_out);
  strata_model_free(s.model);
  return st;
}
