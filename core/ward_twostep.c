/* Ward's two-step mode (ward_twostep.h): micro-clusters from the streamed
 * k-means of the fit orchestrator, exact weighted Ward on them, and one
 * more pass that labels every row by its micro-cluster. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"
#include "estimator.h"
#include "fit.h"
#include "fit_model.h"
#include "labels_writer.h"
#include "output_file.h"
#include "pass.h"
#include "scheduler.h"
#include "ward.h"
#include "ward_twostep.h"
#include "xacc.h"

/* ---- the labelling pass ---- */

typedef struct {
  int32_t *micro;        /* STRATA_BLOCK_ROWS: a block's micro-cluster labels */
  strata_scratch scratch;
  strata_xacc inertia;
  strata_xacc *dist;     /* k: distances to the segment centroid */
  strata_xacc *wdist;    /* 2k with row weights: each segment's weight, then w * distance; else NULL */
  int64_t *count;        /* nm: rows per micro-cluster */
} tw_thread;

typedef struct {
  const strata_kernels *kern;
  size_t d, nm, k;
  float *cf, *cnorm;     /* the micro-clusters' k-means centroids, as kernels take them */
  const int32_t *seg;    /* nm: each micro-cluster's segment */
  const double *c;       /* k×d: the segments' centroids (scaled) */
  tw_thread *t;
  int threads;
  size_t chunk_rows;
  size_t first_row;      /* this rank's first input row */
  int32_t *chunk_seg;
  float *chunk_dist;
  strata_labels_writer *writer;
} tw_pass;

/* A row's micro-cluster is its nearest k-means centroid (the kernels of
 * the k-means passes, so the same as their final assignment); its segment
 * that micro-cluster's; its distance the float64 one to the segment's
 * centroid, added exactly. */
static strata_status label_block(void *vctx, const strata_block *b, int thread) {
  tw_pass *L = vctx;
  tw_thread *t = &L->t[thread];
  size_t d = L->d;
  L->kern->lloyd.assign_reduce(&L->kern->ctx, b->x, b->m, d, d, L->cf, L->cnorm, L->nm, t->micro, NULL, NULL,
                               t->scratch);
  int32_t *seg = NULL;
  float *dist = NULL;
  if (L->writer) {
    /* Chunks start at this rank's first row. */
    size_t base = (b->row0 - L->first_row) % L->chunk_rows;
    seg = L->chunk_seg + base;
    dist = L->chunk_dist + base;
    if (b->kept)
      for (size_t i = 0; i < b->nraw; i++) { seg[i] = -1; dist[i] = NAN; }
  }
  for (size_t i = 0; i < b->m; i++) {
    size_t mc = (size_t)t->micro[i], s = (size_t)L->seg[mc];
    t->count[mc]++;
    const float *x = b->x + i * d;
    const double *c = L->c + s * d;
    double q = 0.0;
    for (size_t j = 0; j < d; j++) {
      double e = (double)x[j] - c[j];
      q += e * e;
    }
    /* the inertia weighs each row (w = 1 without weights: the same bits);
     * the segments' distances, a reference for drift, do not */
    strata_xacc_add(&t->inertia, b->w ? (double)b->w[i] * q : q);
    strata_xacc_add(&t->dist[s], sqrt(q));
    if (t->wdist && b->w) {
      strata_xacc_add(&t->wdist[s], (double)b->w[i]);
      strata_xacc_add(&t->wdist[L->k + s], (double)b->w[i] * sqrt(q));
    }
    if (seg) {
      size_t r = b->kept ? b->kept[i] : i;
      seg[r] = (int32_t)s;
      dist[r] = (float)sqrt(q);
    }
  }
  return STRATA_OK;
}

static strata_status label_chunk_done(void *vctx, size_t row0, size_t rows) {
  tw_pass *L = vctx;
  return strata_labels_writer_write(L->writer, row0, rows, L->chunk_seg, L->chunk_dist);
}

static void tw_pass_free(tw_pass *L) {
  for (int i = 0; L->t && i < L->threads; i++) {
    free(L->t[i].micro);
    free(L->t[i].scratch.ptr);
    free(L->t[i].dist);
    free(L->t[i].wdist);
    free(L->t[i].count);
  }
  free(L->t);
  free(L->cf);
  free(L->cnorm);
  free(L->chunk_seg);
  free(L->chunk_dist);
}

/* Runs the pass; inertia, per-segment distance sums (k), rows per
 * micro-cluster (nm) and, with row weights, wdist (2k: the segments'
 * weights, then their weighted distance sums; untouched otherwise) OUT,
 * combined over the threads word by word. */
static strata_status label_rows(tw_pass *L, strata_pass *pass, const double *micro_centers, double *inertia,
                                double *dist_sum, int64_t *count, double *wdist) {
  size_t d = L->d, nm = L->nm, k = L->k;
  const int weighted = strata_pass_weighted(pass), nx = 1 + (int)k * (weighted ? 3 : 1);
  L->threads = strata_pass_threads(pass);
  L->chunk_rows = strata_pass_chunk_rows(pass);
  L->first_row = strata_pass_first_row(pass);
  L->t = calloc((size_t)L->threads, sizeof *L->t);
  L->cf = malloc(nm * d * sizeof *L->cf);
  L->cnorm = malloc(nm * sizeof *L->cnorm);
  RETURN_IF(!L->t || !L->cf || !L->cnorm, STRATA_ERR_NOMEM, "out of memory");
  strata_kernel_centroids(micro_centers, nm, d, L->cf, L->cnorm);
  size_t sbytes = L->kern->lloyd.scratch_bytes(&L->kern->ctx, STRATA_BLOCK_ROWS, d, nm);
  for (int i = 0; i < L->threads; i++) {
    tw_thread *t = &L->t[i];
    t->micro = malloc(STRATA_BLOCK_ROWS * sizeof *t->micro);
    t->dist = calloc(k, sizeof *t->dist);
    if (weighted) {
      t->wdist = calloc(2 * k, sizeof *t->wdist);
      RETURN_IF(!t->wdist, STRATA_ERR_NOMEM, "out of memory");
    }
    t->count = calloc(nm, sizeof *t->count);
    if (sbytes) t->scratch = (strata_scratch){aligned_alloc(64, (sbytes + 63) / 64 * 64), sbytes};
    RETURN_IF(!t->micro || !t->dist || !t->count || (sbytes && !t->scratch.ptr), STRATA_ERR_NOMEM,
              "out of memory");
    strata_xacc_zero(&t->inertia);
  }
  if (L->writer) {
    L->chunk_seg = malloc(L->chunk_rows * sizeof *L->chunk_seg);
    L->chunk_dist = malloc(L->chunk_rows * sizeof *L->chunk_dist);
    RETURN_IF(!L->chunk_seg || !L->chunk_dist, STRATA_ERR_NOMEM, "out of memory for labels");
  }
  strata_pass_fns fns = {.block = label_block, .chunk_done = L->writer ? label_chunk_done : NULL, .ctx = L};
  FORWARD_IF_ERROR(strata_pass_run(pass, &fns));
  for (int i = 1; i < L->threads; i++) {
    strata_xacc_combine(&L->t[0].inertia, &L->t[i].inertia);
    for (size_t s = 0; s < k; s++) strata_xacc_combine(&L->t[0].dist[s], &L->t[i].dist[s]);
    for (size_t s = 0; weighted && s < 2 * k; s++) strata_xacc_combine(&L->t[0].wdist[s], &L->t[i].wdist[s]);
    for (size_t c = 0; c < nm; c++) L->t[0].count[c] += L->t[i].count[c];
  }
  /* Several ranks: the exact words and counts summed in one allreduce. */
  const strata_comm *comm = strata_ctx_comm(strata_pass_ctx(pass));
  if (strata_comm_size(comm) > 1) {
    size_t nw = (size_t)nx * STRATA_XACC_WORDS + nm;
    __int128 *w = malloc(nw * sizeof *w);
    RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
    strata_xacc_to_words(&L->t[0].inertia, w);
    for (size_t s = 0; s < k; s++) strata_xacc_to_words(&L->t[0].dist[s], w + (1 + s) * STRATA_XACC_WORDS);
    for (size_t s = 0; weighted && s < 2 * k; s++)
      strata_xacc_to_words(&L->t[0].wdist[s], w + (1 + k + s) * STRATA_XACC_WORDS);
    for (size_t c = 0; c < nm; c++) w[(size_t)nx * STRATA_XACC_WORDS + c] = L->t[0].count[c];
    strata_status st = strata_comm_sum_i128(comm, w, nw);
    if (st == STRATA_OK) {
      strata_xacc_from_words(&L->t[0].inertia, w);
      for (size_t s = 0; s < k; s++) strata_xacc_from_words(&L->t[0].dist[s], w + (1 + s) * STRATA_XACC_WORDS);
      for (size_t s = 0; weighted && s < 2 * k; s++)
        strata_xacc_from_words(&L->t[0].wdist[s], w + (1 + k + s) * STRATA_XACC_WORDS);
      for (size_t c = 0; c < nm; c++) L->t[0].count[c] = (int64_t)w[(size_t)nx * STRATA_XACC_WORDS + c];
    }
    free(w);
    FORWARD_IF_ERROR(st);
  }
  *inertia = strata_xacc_round(&L->t[0].inertia);
  for (size_t s = 0; s < k; s++) dist_sum[s] = strata_xacc_round(&L->t[0].dist[s]);
  for (size_t s = 0; weighted && s < 2 * k; s++) wdist[s] = strata_xacc_round(&L->t[0].wdist[s]);
  memcpy(count, L->t[0].count, nm * sizeof *count);
  return STRATA_OK;
}

/* ---- the fit ---- */

typedef struct {
  strata_estimator *est;
  strata_fit_best best;
  double *means, *weights, *seg_c, *dist_sum, *mean_distance;
  double *wdist;         /* 2k with row weights (the model's fit_weight_dist), else NULL */
  int64_t *micro_sizes, *seg_n, *count, *kcount;
  size_t *compact;         /* nm: index among the non-empty micro-clusters */
  int32_t *cut, *seg;
  strata_ward_merge *merges;
  tw_pass lp;
  strata_labels_writer *writer;
  strata_output_file model_out;
  strata_model *model;
} twostep;

/* Micro-clusters of the rows: the orchestrator's k-means (one run, at most
 * STRATA_WARD_MICRO_ITER passes) on the parameters in data.  No label per
 * row is kept (it would grow with the table): the passes stop by tol or
 * the pass limit. */
static strata_status micro_kmeans(twostep *s, strata_fit_data *data, size_t nm, strata_backend_choice *choice) {
  const strata_kernels *kern = choice->kern;
  const strata_kernels *init_kern =
      !kern->run.run_open ? kern : choice->fallback ? choice->fallback : strata_kernels_for_shape("auto", data->d, nm);
  strata_estimator_opts eo = {.k = nm, .kern = kern, .fallback = choice->fallback, .init_kern = init_kern,
                              .track_labels = 0};
  FORWARD_IF_ERROR(strata_estimator_kmeans.create(data, &eo, &s->est));
  return strata_fit_restarts(data, s->est, NULL, 0, NULL, &s->best);
}

/* A micro-cluster's mass in the final k-means pass: its rows' weights with
 * row weights, else its rows. */
static double micro_mass(const strata_lloyd_result *res, size_t c) {
  return res->weight ? res->weight[c] : (double)res->counts[c];
}

/* Weighted Ward on the non-empty micro-clusters' means (sums / counts of
 * the final k-means assignment) and its cut; seg OUT (nm). */
static strata_status ward_on_micro(twostep *s, const strata_fit_data *data, const strata_fit_params *p,
                                   const strata_lloyd_result *res, size_t nm, size_t *mc_out, size_t *k_out) {
  size_t d = data->d, mc = 0;
  s->means = malloc(nm * d * sizeof *s->means);
  s->weights = malloc(nm * sizeof *s->weights);
  s->micro_sizes = malloc(nm * sizeof *s->micro_sizes);
  s->compact = malloc(nm * sizeof *s->compact);
  s->cut = malloc(nm * sizeof *s->cut);
  s->seg = malloc(nm * sizeof *s->seg);
  s->merges = malloc(nm * sizeof *s->merges);
  RETURN_IF(!s->means || !s->weights || !s->micro_sizes || !s->compact || !s->cut || !s->seg || !s->merges,
            STRATA_ERR_NOMEM, "out of memory for %zu micro-clusters", nm);
  for (size_t c = 0; c < nm; c++) {
    s->compact[c] = SIZE_MAX;
    /* With row weights a micro-cluster weighs its rows' weights (none: it
     * joins no merge); without, its rows. */
    const double mass = micro_mass(res, c);
    if (!(mass > 0.0)) continue;
    for (size_t j = 0; j < d; j++) s->means[mc * d + j] = res->sums[c * d + j] / mass;
    s->weights[mc] = mass;
    s->micro_sizes[mc] = res->counts[c];
    s->compact[c] = mc++;
  }
  RETURN_IF(p->distance_threshold == 0.0 && (size_t)p->k > mc, STRATA_ERR_DATA,
            "k = %d exceeds the %zu micro-clusters of the two-step mode (--micro-clusters)%s", p->k, mc,
            res->weight ? " that hold rows of positive weight" : "");
  FORWARD_IF_ERROR(strata_ward_linkage(data->ctx, s->means, s->weights, mc, d, s->merges));
  double threshold = p->distance_threshold > 0.0 ? p->distance_threshold : -1.0;
  FORWARD_IF_ERROR(strata_ward_cut(s->merges, mc, (size_t)p->k, threshold, s->cut, k_out));
  /* An empty micro-cluster has no rows; 0 keeps its slot valid (one of
   * rows of weight 0 only gets its segment in segment_centroids). */
  for (size_t c = 0; c < nm; c++) s->seg[c] = s->compact[c] == SIZE_MAX ? 0 : s->cut[s->compact[c]];
  *mc_out = mc;
  return STRATA_OK;
}

/* The segments' centroids: their micro-clusters' exact sums over their
 * rows (weighted with row weights), added in micro-cluster order, over
 * their mass.  A micro-cluster whose rows all weigh 0 then joins the
 * segment whose centroid is nearest its own (micro: the k-means centres),
 * as exact Ward places a row of weight 0.  Sizes count rows. */
static strata_status segment_centroids(twostep *s, const strata_lloyd_result *res, const double *micro, size_t nm,
                                       size_t d, size_t k) {
  s->seg_c = calloc(k * d, sizeof *s->seg_c);
  s->seg_n = calloc(k, sizeof *s->seg_n);
  double *mass = calloc(k, sizeof *mass);
  if (!s->seg_c || !s->seg_n || !mass) {
    free(mass);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t c = 0; c < nm; c++) {
    if (s->compact[c] == SIZE_MAX) continue;
    size_t g = (size_t)s->seg[c];
    mass[g] += micro_mass(res, c);
    for (size_t j = 0; j < d; j++) s->seg_c[g * d + j] += res->sums[c * d + j];
  }
  for (size_t g = 0; g < k; g++)
    for (size_t j = 0; j < d; j++) s->seg_c[g * d + j] /= mass[g];
  free(mass);
  for (size_t c = 0; c < nm; c++) {
    if (res->counts[c] == 0) continue;
    if (s->compact[c] == SIZE_MAX) {
      double best = INFINITY;
      for (size_t g = 0; g < k; g++) {
        double q = 0.0;
        for (size_t j = 0; j < d; j++) {
          double e = micro[c * d + j] - s->seg_c[g * d + j];
          q += e * e;
        }
        if (q < best) {
          best = q;
          s->seg[c] = (int32_t)g;
        }
      }
    }
    s->seg_n[s->seg[c]] += res->counts[c];
  }
  return STRATA_OK;
}

static strata_status describe(twostep *s, strata_fit_data *data, const strata_fit_params *p, size_t k, size_t mc,
                              double inertia, const char *backend, const char *reason) {
  size_t d = data->d;
  FORWARD_IF_ERROR(strata_fit_model_new(data, p, k, backend, reason, &s->model));
  strata_model *m = s->model;
  memcpy(m->centroids, s->seg_c, k * d * sizeof *s->seg_c);
  memcpy(m->sizes, s->seg_n, k * sizeof *s->seg_n);
  for (size_t g = 0; g < k; g++) {
    strata_scaler_invert(&data->scaler, m->centroids + g * d, m->centroids_original + g * d);
    s->mean_distance[g] = s->seg_n[g] ? s->dist_sum[g] / (double)s->seg_n[g] : NAN;
  }
  RETURN_IF(mc - 1 > (size_t)INT32_MAX, STRATA_ERR_DATA, "too many micro-clusters for a dendrogram (%zu)", mc);
  _Static_assert(sizeof(strata_ward_merge) == 4 * sizeof(double), "a merge is one linkage row");
  int ok = strata_model_set_string(&m->estimator, "ward") && strata_model_set_string(&m->init, "none") &&
           strata_model_set_merges(m, (const double *)s->merges, (int)(mc - 1)) &&
           strata_model_set_micro(m, s->means, s->micro_sizes, (int)mc) &&
           strata_model_set_iter_stats(m, s->best.iters, s->best.iterations);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory");
  FORWARD_IF_ERROR(strata_fit_model_reference(m, data, s->mean_distance));
  m->fit_weight_dist = s->wdist;
  s->wdist = NULL;
  m->info.distance_threshold = p->distance_threshold;
  m->info.inertia = inertia;
  m->info.iterations = s->best.iterations;
  m->info.converged = s->best.converged;
  m->info.n_init = 1;
  m->info.best_init = 0;
  m->info.seed = p->seed;
  m->info.tol = p->tol;
  m->info.max_iter = p->max_iter;
  m->info.rows = data->kept;
  m->info.rows_dropped = data->sc.skipped;
  m->info.seconds = strata_fit_now() - data->t_start;
  strata_model_sync_info(m);
  return strata_model_check_values(m, STRATA_ERR_DATA, "the fit overflowed: model dataset");
}

static strata_status run(twostep *s, strata_fit_data *data, const strata_fit_params *p, const strata_labels_memory *mem,
                         strata_model **out) {
  const strata_ctx *ctx = data->ctx;
  size_t n = data->n, d = data->d;
  RETURN_IF(p->ward_micro < 2, STRATA_ERR_USAGE, "the two-step mode needs at least 2 micro-clusters (got %d)",
            p->ward_micro);
  size_t nm = (size_t)p->ward_micro < n ? (size_t)p->ward_micro : n;
  /* The micro-clusters' k-means reads these parameters (data->p) until the
   * labelling pass; the model records the caller's. */
  strata_fit_params q = *p;
  q.k = (int)nm;
  q.algorithm = "kmeans";
  q.n_init = 1;
  q.max_iter = p->max_iter < STRATA_WARD_MICRO_ITER ? p->max_iter : STRATA_WARD_MICRO_ITER;
  q.labels_path = q.model_path = NULL;
  q.distance_threshold = 0.0;
  q.refine = STRATA_REFINE_NONE; /* micro-clusters need no swap search (and keep Lloyd's bits) */
  if (!q.init_sample) q.init_sample = strata_fit_auto_init_sample(n, nm);
  data->p = &q;
  strata_fit_data_opts o = {.kmax = 1, .with_init_sample = 1, .n_init = 1};
  FORWARD_IF_ERROR(strata_fit_data_prepare(data, &o));
  if (nm > data->kept) nm = (size_t)data->kept;
  q.k = (int)nm;
  RETURN_IF(nm < 2, STRATA_ERR_DATA, "the two-step mode needs at least 2 rows (%zu kept)", (size_t)data->kept);
  strata_backend_choice choice;
  memset(&choice, 0, sizeof choice);
  FORWARD_IF_ERROR(strata_scheduler_choose(ctx, strata_ctx_backend(ctx), data->sample.x, data->sample.m, data->kept,
                                           d, nm, &choice));
  FORWARD_IF_ERROR(strata_scheduler_agree(ctx, d, nm, &choice));
  FORWARD_IF_ERROR(strata_fit_data_open_pass(data));
  /* Several ranks: rank 0 writes the model and the labels file, which the
   * others send their rows to; whether every rank could start is agreed. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  strata_status ost = STRATA_OK;
  if (p->model_path && strata_comm_rank(comm) == 0) ost = strata_output_begin(p->model_path, &s->model_out);
  /* strata_fit_memory (one process): the caller's arrays take the labels. */
  if (ost == STRATA_OK && mem) ost = strata_labels_writer_memory(n, mem->segment, mem->distance, &s->writer);
  else if (ost == STRATA_OK && p->labels_path) {
    size_t first = strata_pass_first_row(data->pass);
    ost = strata_labels_writer_open_ranks_soft(p->labels_path, n, 0, comm, first, first + strata_pass_rows(data->pass),
                                               &s->writer);
  }
  FORWARD_IF_ERROR(strata_comm_agree(comm, ost));
  FORWARD_IF_ERROR(micro_kmeans(s, data, nm, &choice));
  const strata_lloyd_result *res = strata_kmeans_last_result(s->est);

  size_t mc = 0, k = 0;
  FORWARD_IF_ERROR(ward_on_micro(s, data, p, res, nm, &mc, &k));
  FORWARD_IF_ERROR(segment_centroids(s, res, s->best.params, nm, d, k));
  /* The k-means passes' buffers (a distance tile per thread, O(block ×
   * micro-clusters)) go before the labelling pass takes its own. */
  s->kcount = malloc(nm * sizeof *s->kcount);
  RETURN_IF(!s->kcount, STRATA_ERR_NOMEM, "out of memory");
  memcpy(s->kcount, res->counts, nm * sizeof *s->kcount);
  res = NULL;
  s->est->ops->release_pass(s->est);

  /* The labelling pass runs on a CPU table (a device's fallback). */
  const strata_kernels *kern = choice.kern->run.run_open
                                   ? (choice.fallback ? choice.fallback : strata_kernels_for_shape("auto", d, nm))
                                   : choice.kern;
  s->dist_sum = malloc(k * sizeof *s->dist_sum);
  s->mean_distance = malloc(k * sizeof *s->mean_distance);
  if (strata_pass_weighted(data->pass)) {
    s->wdist = malloc(2 * k * sizeof *s->wdist);
    RETURN_IF(!s->wdist, STRATA_ERR_NOMEM, "out of memory");
  }
  s->count = malloc(nm * sizeof *s->count);
  RETURN_IF(!s->dist_sum || !s->mean_distance || !s->count, STRATA_ERR_NOMEM, "out of memory");
  s->lp = (tw_pass){.kern = kern, .d = d, .nm = nm, .k = k, .seg = s->seg, .c = s->seg_c, .writer = s->writer};
  double inertia = 0.0, t0 = strata_fit_now();
  FORWARD_IF_ERROR(label_rows(&s->lp, data->pass, s->best.params, &inertia, s->dist_sum, s->count, s->wdist));
  if (s->writer)
    strata_fit_report(p, (strata_progress){.stage = STRATA_STAGE_LABELS, .n_init = 1,
                                           .seconds = strata_fit_now() - t0});
  /* The same kernels and centroids as the k-means final pass: the same
   * memberships, so the dendrogram's weights are the rows labelled. */
  RETURN_IF(memcmp(s->count, s->kcount, nm * sizeof *s->count) != 0, STRATA_ERR_INTERNAL,
            "the labelling pass found other micro-cluster sizes than the k-means pass");
  data->p = p;
  char reason[700];
  snprintf(reason, sizeof reason, "two-step Ward: %zu micro-clusters by k-means on %s (%s); Ward on the CPU", mc,
           choice.name, choice.reason);
  FORWARD_IF_ERROR(describe(s, data, p, k, mc, inertia, choice.name, reason));
  FORWARD_IF_ERROR(strata_fit_commit(p, s->model, &s->model_out, &s->writer));
  *out = s->model;
  s->model = NULL;
  return STRATA_OK;
}

strata_status strata_ward_twostep(strata_fit_data *data, const strata_labels_memory *mem, strata_model **out) {
  const strata_fit_params *p = data->p;
  twostep s;
  memset(&s, 0, sizeof s);
  strata_status st = run(&s, data, p, mem, out);
  data->p = p;
  if (s.est) s.est->ops->free(s.est);
  strata_fit_best_free(&s.best);
  free(s.means); free(s.weights); free(s.seg_c); free(s.dist_sum); free(s.mean_distance); free(s.wdist);
  free(s.micro_sizes); free(s.seg_n); free(s.count); free(s.kcount); free(s.compact); free(s.cut); free(s.seg); free(s.merges);
  tw_pass_free(&s.lp);
  strata_labels_writer_abort(s.writer);
  strata_output_abort(&s.model_out);
  strata_model_free(s.model);
  return st;
}
