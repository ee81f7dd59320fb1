/* k-means|| over the pass (kmeans_parallel.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "ctx.h"
#include "error.h"
#include "kmeans_parallel.h"
#include "kmeans_weighted.h"
#include "rng.h"
#include "xacc.h"

/* Weighted Lloyd on the candidates: Spark's LocalKMeans takes 30. */
#define REDUCE_ITERS 30
/* Rounds at most, however few candidates have rows. */
#define MAX_ROUNDS 64

typedef struct {
  const strata_kpar_job *job;
  size_t first_row;        /* this rank's first input row */
  float *dmin;             /* per local row: squared distance to the nearest candidate; NaN: dropped */
  int32_t *near;           /* per local row: that candidate's index */
  float *wrow;             /* per local row: its weight (row weights), else NULL */
  /* the update pass: candidates [c0, c0 + nc) */
  const float *cand;
  float *cnorm;
  size_t c0, nc;
  strata_xacc *phi;        /* per thread */
  __int128 **cell;         /* per thread, nc×d: the rows' sums per nearest candidate, or NULL */
  size_t cells;            /* candidates the cell sums are of (0: none) */
  double grid;             /* a value x adds x·grid (an integer) to its cell's sum */
  int32_t **lab;           /* per thread, a block's labels */
  float **dist;            /* per thread, a block's distances */
  void **scratch;          /* per thread, the kernel's */
  size_t scratch_bytes;
  /* the fetch pass: this rank's taken rows (input indices, increasing), their values */
  const uint64_t *want;
  size_t nwant;
  float *vals;             /* nwant×d */
} kpar;

static size_t local_index(const kpar *s, const strata_block *b, size_t i) {
  return b->row0 + (b->kept ? b->kept[i] : i) - s->first_row;
}

static strata_status update_block(void *ctx, const strata_block *b, int thread) {
  kpar *s = ctx;
  const strata_kernels *kern = s->job->kern;
  size_t d = s->job->d;
  int32_t *lab = s->lab[thread];
  float *dist = s->dist[thread];
  strata_scratch sc = {s->scratch[thread], s->scratch_bytes};
  if (s->nc) kern->lloyd.assign_reduce(&kern->ctx, b->x, b->m, d, d, s->cand, s->cnorm, s->nc, lab, dist, NULL, sc);
  strata_xacc *phi = &s->phi[thread];
  for (size_t i = 0; i < b->m; i++) {
    size_t r = local_index(s, b, i);
    /* Ties keep the earlier candidate; NaN (not yet measured) takes any. */
    if (s->nc && !(s->dmin[r] <= dist[i])) {
      s->dmin[r] = dist[i];
      s->near[r] = (int32_t)(s->c0 + (size_t)lab[i]);
    }
    if (s->wrow) s->wrow[r] = b->w[i];
    /* A float times a float is exact in double. */
    strata_xacc_add(phi, s->wrow ? (double)b->w[i] * s->dmin[r] : (double)s->dmin[r]);
  }
  if (s->cells) {
    __int128 *cell = s->cell[thread];
    for (size_t i = 0; i < b->m; i++) {
      __int128 *to = cell + (size_t)s->near[local_index(s, b, i)] * d;
      const double w = s->wrow ? (double)b->w[i] : 1.0;
      for (size_t j = 0; j < d; j++) to[j] += (__int128)(w * (double)b->x[i * d + j] * s->grid);
    }
  }
  strata_xacc_carry(phi);
  return STRATA_OK;
}

static strata_status fetch_block(void *ctx, const strata_block *b, int thread) {
  (void)thread;
  kpar *s = ctx;
  size_t d = s->job->d;
  size_t lo = 0, hi = s->nwant;
  while (lo < hi) { /* the first wanted row at or after the block */
    size_t mid = lo + (hi - lo) / 2;
    if (s->want[mid] < b->row0) lo = mid + 1; else hi = mid;
  }
  for (size_t w = lo; w < s->nwant && s->want[w] < b->row0 + b->nraw; w++) {
    size_t off = (size_t)(s->want[w] - b->row0), pos = off;
    if (b->kept) { /* a taken row was measured, so it is present */
      size_t a = 0, z = b->m;
      while (a < z) {
        size_t mid = a + (z - a) / 2;
        if (b->kept[mid] < off) a = mid + 1; else z = mid;
      }
      pos = a;
    }
    memcpy(s->vals + w * d, b->x + pos * d, d * sizeof *s->vals);
  }
  return STRATA_OK;
}

/* Uniform in [0, 1) from the row's input index: the same draw whichever
 * thread or rank meets the row. */
static double row_uniform(uint64_t seed, int run, int round, uint64_t row) {
  uint64_t x = seed ^ (row * 0x9e3779b97f4a7c15ULL) ^ (((uint64_t)run << 8 | (uint64_t)round) * 0xd1b54a32d192ed03ULL);
  (void)strata_splitmix64(&x);
  return (double)(strata_splitmix64(&x) >> 11) * 0x1.0p-53;
}

static void kpar_free(kpar *s, int threads) {
  for (int t = 0; t < threads; t++) {
    if (s->cell) free(s->cell[t]);
    if (s->lab) free(s->lab[t]);
    if (s->dist) free(s->dist[t]);
    if (s->scratch) free(s->scratch[t]);
  }
  free(s->lab); free(s->dist); free(s->scratch); free(s->phi); free(s->cell);
  free(s->dmin); free(s->near); free(s->wrow); free(s->cnorm);
}

/* Per-thread kernel scratch for nc candidates. */
static strata_status size_scratch(kpar *s, int threads, size_t nc) {
  const strata_kernels *kern = s->job->kern;
  size_t bytes = kern->lloyd.scratch_bytes(&kern->ctx, STRATA_BLOCK_ROWS, s->job->d, nc);
  if (bytes <= s->scratch_bytes && s->scratch[0]) return STRATA_OK;
  for (int t = 0; t < threads; t++) {
    free(s->scratch[t]);
    s->scratch[t] = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    RETURN_IF(!s->scratch[t], STRATA_ERR_NOMEM, "out of memory for k-means||");
  }
  s->scratch_bytes = bytes;
  return STRATA_OK;
}

/* One update pass against candidates [c0, c0 + nc) of cand (nc may be 0);
 * phi OUT, the exact sum over every rank.  cells: also sum the rows of
 * each of the c0 + nc candidates' cells (s->cells). */
/* Buffers for an update pass; a failure is agreed by the caller. */
static strata_status update_buffers(kpar *s, int threads, size_t c0, size_t nc, int cells) {
  size_t d = s->job->d;
  s->cells = 0;
  if (cells) {
    for (int t = 0; t < threads; t++) {
      free(s->cell[t]);
      s->cell[t] = calloc((c0 + nc) * d, sizeof **s->cell);
      RETURN_IF(!s->cell[t], STRATA_ERR_NOMEM, "out of memory for k-means|| cell sums");
    }
    s->cells = c0 + nc;
  }
  if (nc) FORWARD_IF_ERROR(size_scratch(s, threads, nc));
  float *cnorm = realloc(s->cnorm, (nc ? nc : 1) * sizeof *cnorm);
  RETURN_IF(!cnorm, STRATA_ERR_NOMEM, "out of memory for k-means||");
  s->cnorm = cnorm;
  return STRATA_OK;
}

static strata_status update(kpar *s, const float *cand, size_t c0, size_t nc, double *phi, int cells) {
  const strata_kpar_job *job = s->job;
  int threads = strata_pass_threads(job->pass);
  size_t d = job->d;
  const strata_comm *comm = strata_ctx_comm(job->ctx);
  /* Every rank reaches the collectives below, whatever failed on one. */
  FORWARD_IF_ERROR(strata_comm_agree(comm, update_buffers(s, threads, c0, nc, cells)));
  float *cnorm = s->cnorm;
  for (size_t c = 0; c < nc; c++) {
    double q = 0.0;
    for (size_t j = 0; j < d; j++) q += (double)cand[(c0 + c) * d + j] * cand[(c0 + c) * d + j];
    cnorm[c] = (float)q;
  }
  s->cand = cand + c0 * d;
  s->c0 = c0;
  s->nc = nc;
  for (int t = 0; t < threads; t++) strata_xacc_zero(&s->phi[t]);
  strata_pass_fns fns = {.block = update_block, .ctx = s};
  strata_pass_raw_chunks(job->pass, 0);
  FORWARD_IF_ERROR(strata_comm_agree(comm, strata_pass_run(job->pass, &fns)));
  for (int t = 1; t < threads; t++) strata_xacc_combine(&s->phi[0], &s->phi[t]);
  __int128 words[STRATA_XACC_WORDS];
  strata_xacc_to_words(&s->phi[0], words);
  FORWARD_IF_ERROR(strata_comm_sum_i128(comm, words, STRATA_XACC_WORDS));
  strata_xacc_from_words(&s->phi[0], words);
  *phi = strata_xacc_round(&s->phi[0]);
  return STRATA_OK;
}

/* The rows every rank took this round, in input order, appended to the
 * candidates (grown as needed): *cand and *cap INOUT, *nc INOUT. */
static strata_status take(kpar *s, int round, double phi, float **cand, size_t *cap, size_t *nc) {
  const strata_kpar_job *job = s->job;
  const strata_comm *comm = strata_ctx_comm(job->ctx);
  size_t d = job->d, rows = strata_pass_rows(job->pass);
  double l = 2.0 * (double)job->k;
  size_t mine = 0, room = 0;
  uint64_t *want = NULL;
  strata_status st = STRATA_OK;
  for (size_t r = 0; r < rows; r++) {
    float v = s->dmin[r];
    if (!(v > 0.0f)) continue; /* dropped (NaN) or on a candidate */
    double wv = s->wrow ? (double)s->wrow[r] * v : (double)v;
    if (!(wv > 0.0)) continue; /* a row of weight 0 is never taken */
    uint64_t row = s->first_row + r;
    if (!(row_uniform(job->seed, job->run, round, row) * phi < l * wv)) continue;
    if (mine == room) {
      room = room ? 2 * room : 1024;
      uint64_t *g = realloc(want, room * sizeof *g);
      if (!g) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means||"); break; }
      want = g;
    }
    want[mine++] = row;
  }
  int ranks = strata_comm_size(comm), me = strata_comm_rank(comm);
  uint64_t *counts = malloc((size_t)ranks * sizeof *counts);
  if (st == STRATA_OK && !counts) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  st = strata_comm_agree(comm, st);
  uint64_t m64 = mine;
  if (st == STRATA_OK) st = strata_comm_allgather(comm, &m64, sizeof m64, counts);
  size_t before = 0, total = 0;
  for (int r = 0; st == STRATA_OK && r < ranks; r++) {
    if (r < me) before += (size_t)counts[r];
    total += (size_t)counts[r];
  }
  if (st == STRATA_OK && *nc + total > *cap) {
    size_t c2 = 2 * (*nc + total);
    float *g = realloc(*cand, c2 * d * sizeof *g);
    if (!g) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for %zu k-means|| candidates", *nc + total);
    else { *cand = g; *cap = c2; }
  }
  st = strata_comm_agree(comm, st);
  if (st == STRATA_OK && total > 0) {
    /* Each rank fills its own rows' slots of zeroed space; OR gives all. */
    float *dst = *cand + *nc * d;
    memset(dst, 0, total * d * sizeof *dst);
    s->want = want;
    s->nwant = mine;
    s->vals = dst + before * d;
    strata_pass_fns fns = {.block = fetch_block, .ctx = s};
    strata_pass_raw_chunks(job->pass, 0);
    st = strata_comm_agree(comm, mine ? strata_pass_run(job->pass, &fns) : STRATA_OK);
    if (st == STRATA_OK) st = strata_comm_or(comm, dst, total * d * sizeof *dst);
    *nc += total;
  }
  free(want);
  free(counts);
  return st;
}

/* The sum grid: n rows of values below `bound` sum below 2^125 in
 * int128, and a float above about 2^-60 becomes an integer, so the sums
 * are exact whatever order adds them. */
static double sum_grid(const strata_kpar_job *job) {
  int eb = 0, en = 0;
  double bound = job->wmax > 0.0 ? job->bound * job->wmax : job->bound;
  frexp(bound > 1.0 ? bound : 1.0, &eb);
  frexp((double)job->rows + 1.0, &en);
  return ldexp(1.0, 124 - eb - en);
}

/* Each candidate's cell mean into cand (kept where the cell is empty),
 * from the per-thread sums of the last update pass, over every rank. */
static strata_status cell_means(kpar *s, int threads, float *cand, size_t nc, const double *w) {
  size_t d = s->job->d;
  for (int t = 1; t < threads; t++)
    for (size_t i = 0; i < nc * d; i++) s->cell[0][i] += s->cell[t][i];
  FORWARD_IF_ERROR(strata_comm_sum_i128(strata_ctx_comm(s->job->ctx), s->cell[0], nc * d));
  for (size_t c = 0; c < nc; c++)
    if (w[c] > 0.0)
      for (size_t j = 0; j < d; j++) cand[c * d + j] = (float)((double)s->cell[0][c * d + j] / s->grid / w[c]);
  return STRATA_OK;
}

/* Rows nearest to each candidate (their weight, with row weights: on the
 * fixed-point grid of the largest weight, so exact in any order), over
 * every rank: *w (re)allocated. */
static strata_status weights(kpar *s, size_t nc, double **wout) {
  const strata_kpar_job *job = s->job;
  __int128 *count = calloc(nc, sizeof *count);
  double *w = realloc(*wout, nc * sizeof *w);
  if (w) *wout = w;
  strata_status ast = !count || !w ? strata_fail(STRATA_ERR_NOMEM, "out of memory") : STRATA_OK;
  if ((ast = strata_comm_agree(strata_ctx_comm(job->ctx), ast)) != STRATA_OK) {
    free(count);
    return ast;
  }
  size_t rows = strata_pass_rows(job->pass);
  int e = s->wrow ? strata_fixed_exponent(job->wmax, (double)job->rows + 1.0) : 0;
  double scale = ldexp(1.0, e), inv = ldexp(1.0, -e);
  const double limit = strata_fixed_row_limit((double)job->rows + 1.0);
  int on_grid = 1;
  for (size_t r = 0; r < rows; r++) {
    if (isnan(s->dmin[r])) continue;
    const double scaled = s->wrow ? (double)s->wrow[r] * scale : 0.0;
    if (!strata_fixed_fits(scaled, 1.0, limit))
      on_grid = 0;
    else
      count[s->near[r]] += s->wrow ? strata_to_fixed(scaled) : 1;
  }
  ast = on_grid ? STRATA_OK : strata_fail(STRATA_ERR_DATA, STRATA_FIXED_OFF_GRID);
  if ((ast = strata_comm_agree(strata_ctx_comm(job->ctx), ast)) != STRATA_OK) {
    free(count);
    return ast;
  }
  strata_status st = strata_comm_sum_i128(strata_ctx_comm(job->ctx), count, nc);
  for (size_t c = 0; c < nc; c++) w[c] = s->wrow ? strata_from_fixed(count[c], inv) : (double)count[c];
  free(count);
  return st;
}

strata_status strata_init_kmeans_parallel(const strata_kpar_job *job, double *centers, strata_kpar_info *info) {
  size_t d = job->d, rows = strata_pass_rows(job->pass);
  int threads = strata_pass_threads(job->pass);
  kpar s = {.job = job, .first_row = strata_pass_first_row(job->pass)};
  s.dmin = malloc((rows ? rows : 1) * sizeof *s.dmin);
  s.near = malloc((rows ? rows : 1) * sizeof *s.near);
  if (job->wmax > 0.0) s.wrow = calloc(rows ? rows : 1, sizeof *s.wrow);
  s.phi = malloc((size_t)threads * sizeof *s.phi);
  s.lab = calloc((size_t)threads, sizeof *s.lab);
  s.dist = calloc((size_t)threads, sizeof *s.dist);
  s.scratch = calloc((size_t)threads, sizeof *s.scratch);
  s.cell = calloc((size_t)threads, sizeof *s.cell);
  s.grid = sum_grid(job);
  size_t cap = 1 + 2 * job->k * (STRATA_KPAR_ROUNDS + 1), nc = 1;
  float *cand = malloc(cap * d * sizeof *cand);
  double *w = NULL;
  strata_status st = STRATA_OK;
  int ok = s.dmin && s.near && s.phi && s.lab && s.dist && s.scratch && s.cell && cand && (!(job->wmax > 0.0) || s.wrow);
  for (int t = 0; ok && t < threads; t++) {
    s.lab[t] = malloc(STRATA_BLOCK_ROWS * sizeof *s.lab[t]);
    s.dist[t] = malloc(STRATA_BLOCK_ROWS * sizeof *s.dist[t]);
    ok = s.lab[t] && s.dist[t];
  }
  if (!ok) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means|| on %zu rows", rows);
  st = strata_comm_agree(strata_ctx_comm(job->ctx), st);
  if (st != STRATA_OK) goto done;
  for (size_t r = 0; r < rows; r++) s.dmin[r] = NAN;
  memcpy(cand, job->first, d * sizeof *cand);

  /* Each round measures the rows against the candidates not yet measured,
   * then takes new ones; the last measurement gives the weights.  Past the
   * planned rounds, rounds go on while fewer than k candidates have rows
   * (k near the number of rows) and some row is off every candidate. */
  size_t measured = 0;
  double phi = 0.0;
  int passes = 0, round = 0;
  for (;;) {
    if (measured < nc) {
      /* From the planned last round on, a measurement may be the last. */
      if ((st = update(&s, cand, measured, nc - measured, &phi, round >= STRATA_KPAR_ROUNDS)) != STRATA_OK)
        goto done;
      passes++;
      measured = nc;
    }
    if (!(phi > 0.0) || round >= MAX_ROUNDS) break; /* every row sits on a candidate */
    if (round >= STRATA_KPAR_ROUNDS) {
      if ((st = weights(&s, nc, &w)) != STRATA_OK) goto done;
      size_t with_rows = 0;
      for (size_t c = 0; c < nc; c++) with_rows += w[c] > 0.0;
      if (with_rows >= job->k) break;
    }
    size_t before = nc;
    if ((st = take(&s, round, phi, &cand, &cap, &nc)) != STRATA_OK) goto done;
    passes += nc > before;
    round++;
  }
  if (s.cells != nc) { /* the last measurement came early (phi 0): sum the cells */
    if ((st = update(&s, cand, nc, 0, &phi, 1)) != STRATA_OK) goto done;
    passes++;
  }
  if ((st = weights(&s, nc, &w)) != STRATA_OK) goto done;
  if ((st = cell_means(&s, threads, cand, nc, w)) != STRATA_OK) goto done;
  if (info) *info = (strata_kpar_info){round, passes, nc};
  strata_weighted_job wj = {job->ctx, job->kern, threads, cand, w, nc, d, job->k, job->seed,
                            0x4000 + (uint64_t)job->run, REDUCE_ITERS, 0};
  st = strata_kmeans_weighted(&wj, centers);
done:
  kpar_free(&s, threads);
  free(cand);
  free(w);
  return st;
}
