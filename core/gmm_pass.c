/* The E-step of a Gaussian mixture as a pass over the data (core/gmm.h):
 * per block the responsibilities of its rows and their moments in float64
 * in row order, then the block's totals into the worker's exact
 * accumulators; the workers' accumulators are added word by word at the
 * end, so the totals are the same bits for any split of the blocks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "ctx.h"
#include "error.h"
#include "gmm.h"
#include "pass.h"
#include "xacc.h"

typedef struct {
  double *loc;       /* the block's sums, laid out as the accumulators */
  double *logp, *maha, *scratch; /* k, k, d */
  int32_t *lab;      /* STRATA_BLOCK_ROWS */
  float *dist;
  float *prob;       /* STRATA_BLOCK_ROWS×k, for a labels file with probabilities */
  strata_xacc *acc;  /* nloc */
  int64_t *counts;   /* k */
  uint64_t rows;
} gthread;

struct strata_gmm_runner {
  strata_pass *pass;
  strata_gmm_shape s;
  int threads;
  int weighted;      /* the pass carries row weights */
  size_t nloc; /* nk k | s1 k×d | s2 k×nmom | maha k | loglik | sqdist | hard weight k | weight */
  gthread *t;
  /* the pass under way */
  const strata_gmm_prep *prep;
  const double *params;
  strata_labels_writer *writer;
  int soft;          /* the writer takes the responsibilities */
  size_t chunk_rows;
  size_t first_row;  /* this rank's first input row */
  int32_t *chunk_seg;
  float *chunk_dist;
  float *chunk_prob; /* chunk_rows×k */
};

void strata_gmm_runner_free(strata_gmm_runner *r) {
  if (!r) return;
  for (int i = 0; r->t && i < r->threads; i++) {
    gthread *t = &r->t[i];
    free(t->loc); free(t->logp); free(t->maha); free(t->scratch);
    free(t->lab); free(t->dist); free(t->prob); free(t->acc); free(t->counts);
  }
  free(r->t);
  free(r->chunk_seg);
  free(r->chunk_dist);
  free(r->chunk_prob);
  free(r);
}

strata_status strata_gmm_runner_create(strata_pass *pass, const strata_gmm_shape *s, strata_gmm_runner **out) {
  *out = NULL;
  strata_gmm_runner *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  size_t k = s->k, d = s->d;
  r->pass = pass;
  r->s = *s;
  r->threads = strata_pass_threads(pass);
  r->nloc = k * (3 + d + s->nmom) + 3;
  r->weighted = strata_pass_weighted(pass);
  r->chunk_rows = strata_pass_chunk_rows(pass);
  r->first_row = strata_pass_first_row(pass);
  r->t = calloc((size_t)r->threads, sizeof *r->t);
  int ok = r->t != NULL;
  for (int i = 0; ok && i < r->threads; i++) {
    gthread *t = &r->t[i];
    t->loc = malloc(r->nloc * sizeof *t->loc);
    t->logp = malloc(k * sizeof *t->logp);
    t->maha = malloc(k * sizeof *t->maha);
    t->scratch = malloc((d + 1) * sizeof *t->scratch);
    t->lab = malloc(STRATA_BLOCK_ROWS * sizeof *t->lab);
    t->dist = malloc(STRATA_BLOCK_ROWS * sizeof *t->dist);
    t->acc = malloc(r->nloc * sizeof *t->acc);
    t->counts = malloc(k * sizeof *t->counts);
    ok = t->loc && t->logp && t->maha && t->scratch && t->lab && t->dist && t->acc && t->counts;
  }
  if (!ok) {
    strata_gmm_runner_free(r);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for a mixture of k = %zu, d = %zu", k, d);
  }
  *out = r;
  return STRATA_OK;
}

/* The responsibilities of row x (log densities in t->logp, lse their log
 * sum) and its moments about each mean, into the block's sums. */
static void add_moments(const strata_gmm_runner *r, gthread *t, const float *x, double lse, double w) {
  const strata_gmm_shape *s = &r->s;
  size_t k = s->k, d = s->d, nmom = s->nmom;
  const double *means = r->params;
  double *nk = t->loc, *s1 = nk + k, *s2 = s1 + k * d, *diff = t->scratch;
  int full = s->type == STRATA_COV_FULL || s->type == STRATA_COV_TIED;
  for (size_t c = 0; c < k; c++) {
    double rc = w * exp(t->logp[c] - lse);
    if (rc == 0.0) continue;
    const double *mu = means + c * d;
    double *m1 = s1 + c * d, *m2 = s2 + c * nmom;
    nk[c] += rc;
    for (size_t j = 0; j < d; j++) {
      diff[j] = (double)x[j] - mu[j];
      m1[j] += rc * diff[j];
    }
    if (full) {
      for (size_t a = 0, q = 0; a < d; a++) {
        double ra = rc * diff[a];
        for (size_t b = a; b < d; b++, q++) m2[q] += ra * diff[b];
      }
    } else {
      for (size_t j = 0; j < d; j++) m2[j] += rc * diff[j] * diff[j];
    }
  }
}

static strata_status gmm_block(void *ctx, const strata_block *b, int thread) {
  strata_gmm_runner *r = ctx;
  gthread *t = &r->t[thread];
  size_t k = r->s.k, d = r->s.d;
  const double *means = r->params;
  double *maha_sum = t->loc + k * (1 + d + r->s.nmom), *ll = maha_sum + k, *sq = ll + 1, *hard = sq + 1;
  double *total = hard + k;
  memset(t->loc, 0, r->nloc * sizeof *t->loc);
  RETURN_IF(r->weighted && !b->w, STRATA_ERR_INTERNAL, "row weights asked for on a pass without them");
  for (size_t i = 0; i < b->m; i++) {
    const float *x = b->x + i * d;
    /* 1 without weights: every product below is then exact, the same bits */
    const double w = r->weighted ? (double)b->w[i] : 1.0;
    double lse = strata_gmm_row(r->prep, r->params, x, t->logp, t->maha, t->scratch);
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
      if (t->logp[c] > t->logp[best]) best = c;
    double e2 = 0.0;
    for (size_t j = 0; j < d; j++) {
      double q = (double)x[j] - means[best * d + j];
      e2 += q * q;
    }
    *ll += w * lse;
    *sq += w * e2;
    maha_sum[best] += w * sqrt(t->maha[best]);
    hard[best] += w;
    *total += w;
    t->counts[best]++;
    t->lab[i] = (int32_t)best;
    t->dist[i] = (float)sqrt(t->maha[best]);
    if (r->soft)
      for (size_t c = 0; c < k; c++) t->prob[i * k + c] = (float)exp(t->logp[c] - lse);
    add_moments(r, t, x, lse, w);
  }
  /* One exact add per value and block: below 2^31 blocks no word can
   * overflow (common/xacc.h). */
  for (size_t v = 0; v < r->nloc; v++) strata_xacc_add(&t->acc[v], t->loc[v]);
  t->rows += b->m;
  if (r->writer) {
    /* Chunks start at this rank's first row (one process: row 0). */
    size_t base = (b->row0 - r->first_row) % r->chunk_rows;
    int32_t *seg = r->chunk_seg + base;
    float *dist = r->chunk_dist + base;
    if (b->kept)
      for (size_t i = 0; i < b->nraw; i++) { seg[i] = -1; dist[i] = NAN; }
    for (size_t i = 0; i < b->m; i++) {
      size_t row = b->kept ? b->kept[i] : i;
      seg[row] = t->lab[i];
      dist[row] = t->dist[i];
    }
    if (r->soft) {
      float *prob = r->chunk_prob + base * k;
      if (b->kept)
        for (size_t i = 0; i < b->nraw * k; i++) prob[i] = NAN;
      for (size_t i = 0; i < b->m; i++)
        memcpy(prob + (b->kept ? b->kept[i] : i) * k, t->prob + i * k, k * sizeof *prob);
    }
  }
  return STRATA_OK;
}

static strata_status gmm_chunk_done(void *ctx, size_t row0, size_t rows) {
  strata_gmm_runner *r = ctx;
  FORWARD_IF_ERROR(strata_labels_writer_write(r->writer, row0, rows, r->chunk_seg, r->chunk_dist));
  return r->soft ? strata_labels_writer_write_probabilities(r->writer, row0, rows, r->chunk_prob) : STRATA_OK;
}

strata_status strata_gmm_runner_pass(strata_gmm_runner *r, const strata_gmm_prep *prep, const double *params,
                                     strata_labels_writer *writer, strata_gmm_totals *out) {
  size_t k = r->s.k, d = r->s.d, nmom = r->s.nmom;
  if (writer && !r->chunk_seg) {
    r->chunk_seg = malloc(r->chunk_rows * sizeof *r->chunk_seg);
    r->chunk_dist = malloc(r->chunk_rows * sizeof *r->chunk_dist);
    RETURN_IF(!r->chunk_seg || !r->chunk_dist, STRATA_ERR_NOMEM, "out of memory for labels");
  }
  r->soft = writer && strata_labels_writer_soft(writer) == k;
  RETURN_IF(writer && !r->soft && strata_labels_writer_soft(writer), STRATA_ERR_INTERNAL,
            "the labels file takes %zu probabilities per row, the mixture has %zu components",
            strata_labels_writer_soft(writer), k);
  if (r->soft && !r->chunk_prob) {
    r->chunk_prob = malloc(r->chunk_rows * k * sizeof *r->chunk_prob);
    for (int i = 0; r->chunk_prob && i < r->threads; i++)
      if (!r->t[i].prob && !(r->t[i].prob = malloc(STRATA_BLOCK_ROWS * k * sizeof *r->t[i].prob))) break;
    for (int i = 0; i < r->threads; i++)
      RETURN_IF(!r->chunk_prob || !r->t[i].prob, STRATA_ERR_NOMEM, "out of memory for the probabilities");
  }
  for (int i = 0; i < r->threads; i++) {
    gthread *t = &r->t[i];
    for (size_t v = 0; v < r->nloc; v++) strata_xacc_zero(&t->acc[v]);
    memset(t->counts, 0, k * sizeof *t->counts);
    t->rows = 0;
  }
  r->prep = prep;
  r->params = params;
  r->writer = writer;
  strata_pass_fns fns = {.block = gmm_block, .chunk_done = writer ? gmm_chunk_done : NULL, .ctx = r};
  strata_status st = strata_pass_run(r->pass, &fns);
  r->writer = NULL;
  /* Several ranks: agreed first (no rank waits for one that left), then
   * every rank's exact partials summed word by word, as the threads'. */
  const strata_ctx *ctx = strata_pass_ctx(r->pass);
  const strata_comm *comm = ctx ? strata_ctx_comm(ctx) : NULL;
  int ranks = strata_comm_size(comm);
  if (ranks > 1) st = strata_comm_agree(comm, st);
  FORWARD_IF_ERROR(st);
  memset(out->counts, 0, k * sizeof *out->counts);
  out->rows = 0;
  for (int w = 0; w < r->threads; w++) {
    for (size_t c = 0; c < k; c++) out->counts[c] += r->t[w].counts[c];
    out->rows += r->t[w].rows;
  }
  /* The workers' partials, word by word: any order gives the same integers. */
  strata_xacc *sum = malloc(r->nloc * sizeof *sum);
  size_t nw = r->nloc * STRATA_XACC_WORDS + k + 1;
  __int128 *words = ranks > 1 ? malloc(nw * sizeof *words) : NULL;
  st = sum && (ranks == 1 || words) ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory for the mixture's sums");
  if (ranks > 1) st = strata_comm_agree(comm, st);
  for (size_t v = 0; st == STRATA_OK && v < r->nloc; v++) {
    strata_xacc_zero(&sum[v]);
    for (int w = 0; w < r->threads; w++) strata_xacc_combine(&sum[v], &r->t[w].acc[v]);
  }
  if (st == STRATA_OK && words) {
    for (size_t v = 0; v < r->nloc; v++) strata_xacc_to_words(&sum[v], words + v * STRATA_XACC_WORDS);
    for (size_t c = 0; c < k; c++) words[r->nloc * STRATA_XACC_WORDS + c] = out->counts[c];
    words[nw - 1] = (__int128)out->rows;
    st = strata_comm_sum_i128(comm, words, nw);
    for (size_t v = 0; st == STRATA_OK && v < r->nloc; v++)
      strata_xacc_from_words(&sum[v], words + v * STRATA_XACC_WORDS);
    for (size_t c = 0; st == STRATA_OK && c < k; c++) out->counts[c] = (int64_t)words[r->nloc * STRATA_XACC_WORDS + c];
    if (st == STRATA_OK) out->rows = (uint64_t)words[nw - 1];
  }
  double *dst[] = {out->nk, out->s1, out->s2, out->maha, &out->loglik, &out->sqdist, out->hard_weight, &out->weight};
  size_t len[] = {k, k * d, k * nmom, k, 1, 1, k, 1};
  for (size_t part = 0, v = 0; st == STRATA_OK && part < sizeof len / sizeof len[0]; part++)
    for (size_t i = 0; i < len[part]; i++, v++) dst[part][i] = strata_xacc_round(&sum[v]);
  free(words);
  free(sum);
  return st;
}
