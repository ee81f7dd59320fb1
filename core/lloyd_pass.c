/* The assignment pass (see lloyd.h) on the CPU tables, and the object that
 * holds it; the device pass is lloyd_device.c, the farthest-point search
 * lloyd_far.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"
#include "exact.h"
#include "lloyd_internal.h"


static void *xcalloc(size_t n, size_t size, int *ok) {
  void *p = calloc(n ? n : 1, size);
  if (!p) *ok = 0;
  return p;
}

strata_status strata_lloyd_create(const strata_kernels *kern, strata_pass *pass, size_t k,
                                  size_t d, size_t n, int track_labels, strata_lloyd **out) {
  *out = NULL;
  strata_lloyd *l = calloc(1, sizeof *l);
  RETURN_IF(!l, STRATA_ERR_NOMEM, "out of memory");
  int ok = 1;
  l->kern = kern;
  l->pass = pass;
  l->k = k; l->d = d; l->n = n;
  l->first_row = strata_pass_first_row(pass);
  size_t local = strata_pass_rows(pass); /* the rows this rank labels */
  l->threads = strata_pass_threads(pass);
  l->chunk_rows = strata_pass_chunk_rows(pass);
  l->cf = xcalloc(k * d, sizeof *l->cf, &ok);
  l->cnorm = xcalloc(k, sizeof *l->cnorm, &ok);
  l->res.sums = xcalloc(k * d, sizeof *l->res.sums, &ok);
  l->res.counts = xcalloc(k, sizeof *l->res.counts, &ok);
  if (track_labels) {
    l->label_bytes = k < 255 ? 1 : k < 65535 ? 2 : 4;
    l->labels = malloc((local ? local : 1) * (size_t)l->label_bytes);
    /* All ones: no label yet, never a valid one at this width. */
    if (l->labels) memset(l->labels, 0xff, local * (size_t)l->label_bytes);
    else ok = 0;
  }
  l->t = xcalloc((size_t)l->threads, sizeof *l->t, &ok);
  size_t sbytes = kern->lloyd.scratch_bytes(&kern->ctx, STRATA_BLOCK_ROWS, d, k);
  for (int i = 0; ok && i < l->threads; i++) {
    lloyd_thread *t = &l->t[i];
    t->sums = xcalloc(k * d, sizeof *t->sums, &ok);
    t->counts = xcalloc(k, sizeof *t->counts, &ok);
    t->total = xcalloc(k, sizeof *t->total, &ok);
    t->labels = xcalloc(STRATA_BLOCK_ROWS, sizeof *t->labels, &ok);
    t->dist2 = xcalloc(STRATA_BLOCK_ROWS, sizeof *t->dist2, &ok);
    t->scratch.bytes = sbytes;
    if (sbytes) {
      t->scratch.ptr = aligned_alloc(64, (sbytes + 63) / 64 * 64);
      if (!t->scratch.ptr) ok = 0;
    }
  }
  if (!ok) {
    strata_lloyd_free(l);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d);
  }
  *out = l;
  return STRATA_OK;
}

void strata_lloyd_free(strata_lloyd *l) {
  if (!l) return;
  strata_lloyd_far_free(l);
  strata_lloyd_device_free(l);
  for (int i = 0; l->t && i < l->threads; i++) {
    lloyd_thread *t = &l->t[i];
    free(t->sums); free(t->counts); free(t->labels); free(t->dist2);
    free(t->bdist); free(t->dist);
    free(t->fx); free(t->total);
    free(t->scratch.ptr); free(t->disp);
    free(t->wsum); free(t->wfx);
  }
  free(l->t);
  free(l->fx_scale); free(l->fx_inv);
  strata_moments_set_free(&l->cols);
  free(l->res.dist_sum); free(l->res.cols);
  free(l->cf); free(l->cnorm); free(l->labels);
  free(l->res.sums); free(l->res.counts); free(l->res.weight);
  free(l->chunk_seg); free(l->chunk_dist);
  free(l->disp.sq); free(l->disp.dist);
  free(l);
}

void strata_lloyd_set_fallback(strata_lloyd *l, const strata_kernels *fallback) {
  l->dev.fallback = fallback;
}

strata_status strata_lloyd_want_weights(strata_lloyd *l, double wmax) {
  RETURN_IF(l->fx_scale, STRATA_ERR_INTERNAL, "strata_lloyd_want_weights after want_sums");
  RETURN_IF(l->kern->run.run_open, STRATA_ERR_USAGE,
            "row weights run on the CPU kernels (backend %s takes none yet)", l->kern->name);
  int ok = 1;
  for (int i = 0; ok && i < l->threads; i++) {
    l->t[i].wsum = xcalloc(l->k, sizeof *l->t[i].wsum, &ok);
    l->t[i].wfx = xcalloc(l->k, sizeof *l->t[i].wfx, &ok);
  }
  l->res.weight = xcalloc(l->k, sizeof *l->res.weight, &ok);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for k = %zu", l->k);
  l->weighted = 1;
  l->wmax = wmax > 0.0 ? wmax : 1.0;
  int e = strata_fixed_exponent(l->wmax, (double)(l->n ? l->n : 1));
  l->w_scale = ldexp(1.0, e);
  l->w_inv = ldexp(1.0, -e);
  l->w_row_limit = strata_fixed_row_limit((double)l->n);
  return STRATA_OK;
}

strata_status strata_lloyd_want_sums(strata_lloyd *l, const double *bound, uint64_t rows) {
  int ok = 1;
  l->fx_scale = xcalloc(l->d, sizeof *l->fx_scale, &ok);
  l->fx_inv = xcalloc(l->d, sizeof *l->fx_inv, &ok);
  for (int i = 0; ok && i < l->threads; i++)
    l->t[i].fx = xcalloc(l->k * l->d, sizeof *l->t[i].fx, &ok);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", l->k, l->d);
  for (size_t j = 0; j < l->d; j++) {
    /* A weighted sum is at most wmax times the plain bound. */
    int e = strata_fixed_exponent(l->weighted ? bound[j] * l->wmax : bound[j], (double)rows);
    l->fx_scale[j] = ldexp(1.0, e);
    l->fx_inv[j] = ldexp(1.0, -e);
  }
  l->fx_row_limit = strata_fixed_row_limit((double)rows);
  return STRATA_OK;
}

strata_status strata_lloyd_want_stats(strata_lloyd *l, int col_stats) {
  int ok = 1;
  if (!l->stats) {
    for (int i = 0; ok && i < l->threads; i++) {
      l->t[i].bdist = xcalloc(l->k, sizeof *l->t[i].bdist, &ok);
      l->t[i].dist = xcalloc(l->k, sizeof *l->t[i].dist, &ok);
    }
    l->res.dist_sum = xcalloc(l->k, sizeof *l->res.dist_sum, &ok);
  }
  if (col_stats && !l->col_stats) {
    l->res.cols = xcalloc(l->d, sizeof *l->res.cols, &ok);
    RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for per-block statistics");
    FORWARD_IF_ERROR(strata_moments_set_init(&l->cols, l->d, l->threads));
  }
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for per-block statistics");
  l->stats = 1;
  l->col_stats |= col_stats;
  return STRATA_OK;
}

int strata_lloyd_stats_on(const strata_lloyd *l) { return l->stats && !l->stats_paused; }

void strata_lloyd_pause_stats(strata_lloyd *l, int paused) { l->stats_paused = paused; }

/* One block's distance sums (in float64, row order) and column statistics,
 * added to its thread's order-free partials (reduce.h). */
void strata_lloyd_block_stats(strata_lloyd *l, const strata_block *b, const int32_t *lab,
                        const float *dist2, int thread) {
  if (!strata_lloyd_stats_on(l)) return;
  lloyd_thread *t = &l->t[thread];
  memset(t->bdist, 0, l->k * sizeof *t->bdist);
  for (size_t i = 0; i < b->m; i++) t->bdist[lab[i]] += sqrt((double)dist2[i]);
  for (size_t c = 0; c < l->k; c++)
    if (t->bdist[c] != 0.0) strata_xacc_add(&t->dist[c], t->bdist[c]);
  if (l->col_stats) strata_moments_set_add(&l->cols, thread, b->x, b->m, 0, NULL);
}

/* The statistics' totals from the threads' partials (and every rank's). */
strata_status strata_lloyd_collect_stats(strata_lloyd *l) {
  if (!strata_lloyd_stats_on(l)) return STRATA_OK;
  const strata_comm *comm = strata_pass_ctx(l->pass) ? strata_ctx_comm(strata_pass_ctx(l->pass)) : NULL;
  int ranks = strata_comm_size(comm);
  __int128 *w = ranks > 1 ? malloc(l->k * STRATA_XACC_WORDS * sizeof *w) : NULL;
  RETURN_IF(ranks > 1 && !w, STRATA_ERR_NOMEM, "out of memory for per-segment statistics");
  strata_xacc *s = malloc(l->k * sizeof *s);
  if (!s) {
    free(w);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for per-segment statistics");
  }
  for (size_t c = 0; c < l->k; c++) {
    s[c] = l->t[0].dist[c];
    for (int i = 1; i < l->threads; i++) strata_xacc_combine(&s[c], &l->t[i].dist[c]);
    if (w) strata_xacc_to_words(&s[c], w + c * STRATA_XACC_WORDS);
  }
  strata_status st = w ? strata_comm_sum_i128(comm, w, l->k * STRATA_XACC_WORDS) : STRATA_OK;
  for (size_t c = 0; st == STRATA_OK && c < l->k; c++) {
    if (w) strata_xacc_from_words(&s[c], w + c * STRATA_XACC_WORDS);
    l->res.dist_sum[c] = strata_xacc_round(&s[c]);
  }
  free(w);
  free(s);
  FORWARD_IF_ERROR(st);
  return l->col_stats ? strata_moments_set_total_comm(&l->cols, comm, l->res.cols) : STRATA_OK;
}

void strata_lloyd_set_centroids(strata_lloyd *l, const double *centers) {
  strata_kernel_centroids(centers, l->k, l->d, l->cf, l->cnorm);
}

/* ---- the assignment pass ---- */

/* The label store of one block: counts the rows whose label changed and
 * stores the new ones.  Restrict-qualified locals let the compiler
 * vectorise the dense case (no dropped rows), which runs every pass. */
#define DEFINE_RECORD(NAME, T)                                                          \
  static int64_t NAME(void *store, size_t at, const strata_block *b, const int32_t *restrict lab) { \
    T *restrict prev = (T *)store + at;                                                \
    const size_t m = b->m;                                                             \
    uint32_t moved = 0;                                                                \
    if (b->kept) {                                                                     \
      const uint16_t *kept = b->kept;                                                  \
      for (size_t i = 0; i < m; i++) {                                                 \
        const T v = (T)lab[i];                                                         \
        moved += prev[kept[i]] != v;                                                   \
        prev[kept[i]] = v;                                                             \
      }                                                                                \
    } else {                                                                           \
      for (size_t i = 0; i < m; i++) {                                                 \
        const T v = (T)lab[i];                                                         \
        moved += prev[i] != v;                                                         \
        prev[i] = v;                                                                   \
      }                                                                                \
    }                                                                                  \
    return moved;                                                                      \
  }
DEFINE_RECORD(record_u8, uint8_t)
DEFINE_RECORD(record_u16, uint16_t)
DEFINE_RECORD(record_i32, int32_t)
#undef DEFINE_RECORD

/* A block's labels into the label array (returns the relocations) and the
 * labels file's chunk buffers. */
int64_t strata_lloyd_record_labels(strata_lloyd *l, const strata_block *b, const int32_t *lab,
                             const float *dist2) {
  int64_t relo = 0;
  size_t at = b->row0 - l->first_row;
  if (l->labels) {
    if (l->label_bytes == 1 && !b->kept && l->kern->labels.store_u8)
      relo = (int64_t)l->kern->labels.store_u8(&l->kern->ctx, lab, (uint8_t *)l->labels + at, b->m);
    else if (l->label_bytes == 1) relo = record_u8(l->labels, at, b, lab);
    else if (l->label_bytes == 2) relo = record_u16(l->labels, at, b, lab);
    else relo = record_i32(l->labels, at, b, lab);
  }
  if (l->writer) {
    size_t base = at % l->chunk_rows;
    int32_t *seg = l->chunk_seg + base;
    float *dist = l->chunk_dist + base;
    if (b->kept) {
      for (size_t i = 0; i < b->nraw; i++) { seg[i] = -1; dist[i] = NAN; }
    }
    for (size_t i = 0; i < b->m; i++) {
      size_t r = b->kept ? b->kept[i] : i;
      seg[r] = lab[i];
      dist[r] = sqrtf(dist2[i]);
    }
  }
  return relo;
}

/* Per row, float64 distance to the mean of its cluster (times the row's
 * weight on a weighted pass), added exactly.  0 when a row's term passed
 * the grid's bound (it is left out). */
static int add_dispersion(const strata_lloyd *l, lloyd_thread *t, const strata_block *b) {
  size_t d = l->d;
  int ok = 1;
  for (size_t i = 0; i < b->m; i++) {
    const double w = l->weighted ? (double)b->w[i] : 1.0;
    size_t c = (size_t)t->labels[i];
    const float *x = b->x + i * d;
    const double *mu = l->disp.means + c * d;
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
      double q = (double)x[j] - mu[j];
      s += q * q;
    }
    const double sq = w * s * l->disp.scale[0], dist = w * sqrt(s) * l->disp.scale[1];
    if (strata_fixed_fits(sq, 1.0, l->disp.row_limit) && strata_fixed_fits(dist, 1.0, l->disp.row_limit)) {
      t->disp[2 * c] += strata_to_fixed(sq);
      t->disp[2 * c + 1] += strata_to_fixed(dist);
    } else {
      ok = 0;
    }
  }
  return ok;
}

/* A weighted block's reduction after the kernel labelled it: each row's
 * values times its weight into its cluster's sums, its weight into the
 * cluster's, w ||x - c||^2 into the inertia (the table's weighted_reduce,
 * one definition in row order for every table, so a weighted model has the
 * same bits whichever CPU table fitted it). */
static int weighted_reduce(const strata_lloyd *l, lloyd_thread *t, const strata_block *b) {
  int ok = 1;
  const double inertia = l->kern->lloyd.weighted_reduce(&l->kern->ctx, b->x, b->m, l->d, l->d, l->cf, t->labels,
                                                        b->w, t->sums, t->counts, t->wsum);
  strata_xacc_add(&t->inertia, inertia);
  for (size_t c = 0; c < l->k; c++)
    if (t->wsum[c] != 0.0) {
      const double scaled = t->wsum[c] * l->w_scale;
      if (strata_fixed_fits(scaled, (double)t->counts[c], l->w_row_limit))
        t->wfx[c] += strata_to_fixed(scaled);
      else
        ok = 0;
      t->wsum[c] = 0.0;
    }
  return ok;
}

static strata_status assign_block(void *ctx, const strata_block *b, int thread) {
  strata_lloyd *l = ctx;
  lloyd_thread *t = &l->t[thread];
  int on_grid = 1;
  /* Weights a caller did not ask for (assign) are left aside. */
  RETURN_IF(l->weighted && !b->w, STRATA_ERR_INTERNAL, "row weights asked for on a pass without them");
  if (l->weighted) {
    l->kern->lloyd.assign_reduce(&l->kern->ctx, b->x, b->m, l->d, l->d, l->cf, l->cnorm, l->k, t->labels,
                                 t->dist2, NULL, t->scratch);
    on_grid = weighted_reduce(l, t, b);
  } else {
    strata_block_acc acc = {t->sums, t->counts, 0.0};
    /* Sums are always accumulated: d adds per row are noise next to the
     * distances, and one code path keeps every pass the same. */
    l->kern->lloyd.assign_reduce(&l->kern->ctx, b->x, b->m, l->d, l->d, l->cf, l->cnorm, l->k, t->labels,
                                 t->dist2, &acc, t->scratch);
    strata_xacc_add(&t->inertia, acc.inertia);
  }
  if (!strata_block_fold(l->k, l->d, t->sums, t->counts, l->fx_scale, l->fx_row_limit, t->fx, t->total))
    on_grid = 0;
  if (l->disp.means && !add_dispersion(l, t, b)) on_grid = 0;
  /* Failed at the pass's end (pass_collect), once the source has said
   * whether the input changed under it: that is the likelier cause. */
  if (!on_grid) t->off_grid = 1;
  t->rows += b->m;
  t->relocations += strata_lloyd_record_labels(l, b, t->labels, t->dist2);
  strata_lloyd_block_stats(l, b, t->labels, t->dist2, thread);
  return STRATA_OK;
}

strata_status strata_lloyd_chunk_done(void *ctx, size_t row0, size_t rows) {
  strata_lloyd *l = ctx;
  if (!l->writer) return STRATA_OK;
  return strata_labels_writer_write(l->writer, row0, rows, l->chunk_seg, l->chunk_dist);
}

/* Resets the per-pass totals; the writer's buffers on first use. */
static strata_status pass_begin(strata_lloyd *l, strata_labels_writer *writer) {
  l->writer = writer;
  if (writer && !l->chunk_seg) {
    l->chunk_seg = malloc(l->chunk_rows * sizeof *l->chunk_seg);
    l->chunk_dist = malloc(l->chunk_rows * sizeof *l->chunk_dist);
    RETURN_IF(!l->chunk_seg || !l->chunk_dist, STRATA_ERR_NOMEM, "out of memory for labels");
  }
  for (int i = 0; i < l->threads; i++) {
    lloyd_thread *t = &l->t[i];
    memset(t->total, 0, l->k * sizeof *t->total);
    if (t->fx) memset(t->fx, 0, l->k * l->d * sizeof *t->fx);
    if (t->disp) memset(t->disp, 0, 2 * l->k * sizeof *t->disp);
    if (t->wfx) memset(t->wfx, 0, l->k * sizeof *t->wfx);
    t->relocations = 0;
    t->rows = 0;
    strata_xacc_zero(&t->inertia);
    t->off_grid = 0;
    if (t->dist) memset(t->dist, 0, l->k * sizeof *t->dist);
  }
  if (strata_lloyd_stats_on(l) && l->col_stats) strata_moments_set_zero(&l->cols);
  return STRATA_OK;
}

/* The exact integers a pass totals, in one array so that several ranks add
 * theirs with one allreduce: whether any rank failed, relocations, rows,
 * the inertia's words, then per cluster its count, the fixed-point sums,
 * the dispersion pair and the weight. */
enum { TOT_FAILED, TOT_RELOCATIONS, TOT_ROWS, TOT_INERTIA, TOT_HEAD = TOT_INERTIA + STRATA_XACC_WORDS };

#define TOT_PER(l) (1 + (l)->d + 3)
static size_t tot_words(const strata_lloyd *l) { return TOT_HEAD + l->k * TOT_PER(l); }

/* The pass's totals from the per-thread partials, then from every rank:
 * exact, in any order.  `st` is this rank's pass status: a rank that failed
 * still joins the allreduce (with its flag set), so that none waits on it,
 * and every rank then returns the failure of the lowest failing rank. */
static strata_status pass_collect(strata_lloyd *l, strata_status st) {
  strata_lloyd_result *r = &l->res;
  size_t k = l->k, d = l->d;
  __int128 *w = calloc(tot_words(l), sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d);
  __int128 *cl = w + TOT_HEAD;
  strata_xacc inertia;
  strata_xacc_zero(&inertia);
  for (int i = 0; i < l->threads; i++) {
    strata_xacc_combine(&inertia, &l->t[i].inertia);
    w[TOT_RELOCATIONS] += l->t[i].relocations;
    w[TOT_ROWS] += l->t[i].rows;
    for (size_t c = 0; c < k; c++) {
      __int128 *e = cl + c * TOT_PER(l);
      e[0] += l->t[i].total[c];
      if (l->weighted) e[3 + d] += l->t[i].wfx[c];
      for (size_t j = 0; l->fx_scale && j < d; j++) e[1 + j] += l->t[i].fx[c * d + j];
      if (l->disp.means) {
        e[1 + d] += l->t[i].disp[2 * c];
        e[2 + d] += l->t[i].disp[2 * c + 1];
      }
    }
  }
  strata_xacc_to_words(&inertia, w + TOT_INERTIA);
  for (int i = 0; st == STRATA_OK && i < l->threads; i++)
    if (l->t[i].off_grid) st = strata_fail(STRATA_ERR_DATA, STRATA_FIXED_OFF_GRID);
  w[TOT_FAILED] = st != STRATA_OK;
  const strata_comm *comm = strata_ctx_comm(strata_pass_ctx(l->pass));
  strata_status cst = strata_comm_sum_i128(comm, w, tot_words(l));
  if (cst == STRATA_OK && w[TOT_FAILED]) cst = strata_comm_agree(comm, st);
  if (cst != STRATA_OK) {
    free(w);
    return cst;
  }
  strata_xacc_from_words(&inertia, w + TOT_INERTIA);
  r->relocations = (int64_t)w[TOT_RELOCATIONS];
  r->rows = (uint64_t)w[TOT_ROWS];
  for (size_t c = 0; c < k; c++) {
    const __int128 *e = cl + c * TOT_PER(l);
    r->counts[c] = (int64_t)e[0];
    if (l->weighted) r->weight[c] = strata_from_fixed((strata_fixed)e[3 + d], l->w_inv);
    for (size_t j = 0; j < d; j++)
      r->sums[c * d + j] = l->fx_scale ? strata_from_fixed((strata_fixed)e[1 + j], l->fx_inv[j]) : 0.0;
    if (l->disp.means) {
      l->disp.sq[c] = strata_from_fixed((strata_fixed)e[1 + d], l->disp.inv[0]);
      l->disp.dist[c] = strata_from_fixed((strata_fixed)e[2 + d], l->disp.inv[1]);
    }
  }
  free(w);
  r->disp_sq = r->disp_dist = NULL;
  if (l->disp.means) {
    r->disp_sq = l->disp.sq;
    r->disp_dist = l->disp.dist;
    l->disp.means = NULL;
  }
  r->inertia = strata_xacc_round(&inertia);
  return strata_lloyd_collect_stats(l);
}

void strata_lloyd_set_batch(strata_lloyd *l, const uint64_t *blocks, size_t n) {
  l->batch = blocks;
  l->nbatch = n;
}

strata_status strata_lloyd_pass(strata_lloyd *l, strata_labels_writer *writer,
                                const strata_lloyd_result **res) {
  if (l->batch) {
    RETURN_IF(writer || l->labels || l->kern->run.run_open, STRATA_ERR_INTERNAL,
              "a batch pass writes no labels, tracks none and runs on a CPU table");
    FORWARD_IF_ERROR(pass_begin(l, NULL));
    strata_pass_fns fns = {.block = assign_block, .ctx = l};
    strata_status st = strata_pass_run_blocks(l->pass, &fns, l->batch, l->nbatch);
    st = pass_collect(l, st);
    *res = &l->res;
    return st;
  }
  FORWARD_IF_ERROR(pass_begin(l, writer));
  if (l->kern->run.run_open) {
    RETURN_IF(l->weighted, STRATA_ERR_INTERNAL, "row weights need a CPU table");
    RETURN_IF(l->disp.means, STRATA_ERR_INTERNAL, "dispersion needs a CPU table");
    strata_status st = strata_lloyd_device_pass(l);
    l->writer = NULL;
    *res = &l->res;
    return st;
  }
  strata_pass_fns fns = {.block = assign_block, .chunk_done = writer ? strata_lloyd_chunk_done : NULL, .ctx = l};
  strata_status st = strata_pass_run(l->pass, &fns);
  l->writer = NULL;
  st = pass_collect(l, st);
  *res = &l->res;
  return st;
}

typedef struct {
  strata_lloyd *const *ls;
  size_t n;
} multi_ctx;

static strata_status assign_block_multi(void *ctx, const strata_block *b, int thread) {
  const multi_ctx *m = ctx;
  for (size_t i = 0; i < m->n; i++) FORWARD_IF_ERROR(assign_block(m->ls[i], b, thread));
  return STRATA_OK;
}

strata_status strata_lloyd_pass_multi(strata_lloyd *const *ls, size_t n, const strata_lloyd_result **res) {
  for (size_t i = 0; i < n; i++) {
    RETURN_IF(ls[i]->pass != ls[0]->pass || ls[i]->kern->run.run_open || strata_lloyd_stats_on(ls[i]), STRATA_ERR_INTERNAL,
              "strata_lloyd_pass_multi: objects must share one pass, run on CPU tables and not gather "
              "statistics");
    FORWARD_IF_ERROR(pass_begin(ls[i], NULL));
  }
  if (n == 0) return STRATA_OK;
  multi_ctx m = {ls, n};
  strata_pass_fns fns = {.block = assign_block_multi, .ctx = &m};
  strata_status st = strata_pass_run(ls[0]->pass, &fns);
  for (size_t i = 0; i < n; i++) {
    st = pass_collect(ls[i], st);
    res[i] = &ls[i]->res;
  }
  return st;
}

strata_status strata_lloyd_want_dispersion(strata_lloyd *l, const double *means, double bound_sq) {
  int ok = 1;
  if (!l->disp.sq) {
    l->disp.sq = xcalloc(l->k, sizeof *l->disp.sq, &ok);
    l->disp.dist = xcalloc(l->k, sizeof *l->disp.dist, &ok);
    for (int i = 0; ok && i < l->threads; i++) l->t[i].disp = xcalloc(2 * l->k, sizeof *l->t[i].disp, &ok);
  }
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for k = %zu", l->k);
  /* A weighted term is at most wmax times the plain bound. */
  double wmax = l->weighted ? l->wmax : 1.0;
  int e0 = strata_fixed_exponent(bound_sq * wmax, (double)l->n);
  int e1 = strata_fixed_exponent(sqrt(bound_sq) * wmax, (double)l->n);
  l->disp.scale[0] = ldexp(1.0, e0);
  l->disp.inv[0] = ldexp(1.0, -e0);
  l->disp.scale[1] = ldexp(1.0, e1);
  l->disp.inv[1] = ldexp(1.0, -e1);
  l->disp.row_limit = strata_fixed_row_limit((double)l->n);
  l->disp.means = means;
  return STRATA_OK;
}

const strata_lloyd_result *strata_lloyd_last_result(const strata_lloyd *l) { return &l->res; }
size_t strata_lloyd_k(const strata_lloyd *l) { return l->k; }
const strata_ctx *strata_lloyd_ctx(const strata_lloyd *l) { return strata_pass_ctx(l->pass); }
size_t strata_lloyd_d(const strata_lloyd *l) { return l->d; }
int strata_lloyd_tracks_labels(const strata_lloyd *l) { return l->labels != NULL; }

