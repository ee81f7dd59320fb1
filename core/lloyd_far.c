/* The farthest points from their centroids, for re-seeding empty clusters
 * (lloyd.h strata_lloyd_farthest): one pass; each thread keeps its best
 * under a total order (farther first, then lower row), so the partials meet
 * in any order. */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"
#include "lloyd_internal.h"

/* Orders farther first, then lower row first. */
static int far_before(const strata_far_point *a, const strata_far_point *b) {
  if (a->dist2 != b->dist2) return a->dist2 > b->dist2;
  return a->row < b->row;
}

static int far_cmp(const void *pa, const void *pb) {
  const strata_far_point *a = pa, *b = pb;
  return far_before(a, b) ? -1 : far_before(b, a) ? 1 : 0;
}

/* Adds src's points after dst's best and keeps the `want` best: the best
 * of a union under a total order, so partials meet in any order. */
static void far_keep(strata_far_point *dst, size_t *ndst, const strata_far_point *src, size_t nsrc,
                     size_t want, size_t d) {
  for (size_t i = 0; i < nsrc; i++) {
    strata_far_point *to = &dst[*ndst + i];
    to->dist2 = src[i].dist2;
    to->row = src[i].row;
    to->label = src[i].label;
    to->w = src[i].w;
    memcpy(to->x, src[i].x, d * sizeof(float));
  }
  size_t total = *ndst + nsrc;
  qsort(dst, total, sizeof *dst, far_cmp);
  *ndst = total < want ? total : want;
}

static strata_status far_block(void *ctx, const strata_block *b, int thread) {
  strata_lloyd *l = ctx;
  lloyd_thread *t = &l->t[thread];
  l->kern->lloyd.assign_reduce(&l->kern->ctx, b->x, b->m, l->d, l->d, l->cf, l->cnorm, l->k, t->labels, t->dist2,
                         NULL, t->scratch);
  /* Keep the block's `want` best in t->far.cand (sorted), by insertion: want is
   * the number of empty clusters, small in practice. */
  t->far.ncand = 0;
  for (size_t i = 0; i < b->m; i++) {
    strata_far_point p = {t->dist2[i], b->row0 + (b->kept ? b->kept[i] : i), t->labels[i], NULL,
                          b->w ? b->w[i] : 1.0f};
    if (t->far.ncand == l->far.want && !far_before(&p, &t->far.cand[t->far.ncand - 1])) continue;
    size_t pos = t->far.ncand < l->far.want ? t->far.ncand++ : l->far.want - 1;
    float *slot_x = t->far.cand[pos].x;
    while (pos > 0 && far_before(&p, &t->far.cand[pos - 1])) {
      t->far.cand[pos] = t->far.cand[pos - 1];
      pos--;
    }
    p.x = slot_x;
    t->far.cand[pos] = p;
    memcpy(p.x, b->x + i * l->d, l->d * sizeof(float));
  }
  far_keep(t->far.best, &t->far.nbest, t->far.cand, t->far.ncand, l->far.want, l->d);
  return STRATA_OK;
}

static strata_status far_alloc(strata_far_point **far, float **xs, size_t n, size_t d) {
  *far = calloc(n, sizeof **far);
  *xs = calloc(n * (d ? d : 1), sizeof **xs);
  RETURN_IF(!*far || !*xs, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) (*far)[i].x = *xs + i * d;
  return STRATA_OK;
}

/* Several ranks: every rank's best `want` to every rank, merged under the
 * same total order, so that all pick the rows one process would.  A rank's
 * record: its count, then `want` points (dist2, label, row, weight, x). */
static strata_status far_across_ranks(strata_lloyd *l, const strata_comm *comm, size_t want) {
  int P = strata_comm_size(comm);
  size_t d = l->d, point = 20 + d * sizeof(float), bytes = 8 + want * point;
  unsigned char *mine = calloc(1, bytes), *all = calloc((size_t)P, bytes);
  strata_far_point *in = calloc(want ? want : 1, sizeof *in);
  if (!mine || !all || !in) {
    free(mine); free(all); free(in);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  uint64_t n = l->far.n;
  memcpy(mine, &n, 8);
  for (size_t i = 0; i < l->far.n; i++) {
    unsigned char *r = mine + 8 + i * point;
    memcpy(r, &l->far.pts[i].dist2, 4);
    memcpy(r + 4, &l->far.pts[i].label, 4);
    memcpy(r + 8, &l->far.pts[i].row, 8);
    memcpy(r + 16, &l->far.pts[i].w, 4);
    memcpy(r + 20, l->far.pts[i].x, d * sizeof(float));
  }
  strata_status st = strata_comm_allgather(comm, mine, bytes, all);
  l->far.n = 0;
  for (int q = 0; st == STRATA_OK && q < P; q++) {
    const unsigned char *rec = all + (size_t)q * bytes;
    memcpy(&n, rec, 8);
    for (size_t i = 0; i < n && i < want; i++) {
      const unsigned char *r = rec + 8 + i * point;
      memcpy(&in[i].dist2, r, 4);
      memcpy(&in[i].label, r + 4, 4);
      memcpy(&in[i].row, r + 8, 8);
      memcpy(&in[i].w, r + 16, 4);
      in[i].x = (float *)(void *)(r + 20); /* far_keep copies it out with memcpy */
    }
    far_keep(l->far.pts, &l->far.n, in, n < want ? n : want, want, d);
  }
  free(mine); free(all); free(in);
  return st;
}

strata_status strata_lloyd_farthest(strata_lloyd *l, size_t want, const strata_far_point **far) {
  if (want > l->far.want) {
    free(l->far.pts); free(l->far.x);
    FORWARD_IF_ERROR(far_alloc(&l->far.pts, &l->far.x, 2 * want, l->d));
    for (int i = 0; i < l->threads; i++) {
      free(l->t[i].far.cand); free(l->t[i].far.cand_x);
      free(l->t[i].far.best); free(l->t[i].far.best_x);
      FORWARD_IF_ERROR(far_alloc(&l->t[i].far.cand, &l->t[i].far.cand_x, want, l->d));
      FORWARD_IF_ERROR(far_alloc(&l->t[i].far.best, &l->t[i].far.best_x, 2 * want, l->d));
    }
  }
  l->far.want = want;
  l->far.n = 0;
  for (int i = 0; i < l->threads; i++) l->t[i].far.nbest = 0;
  strata_pass_fns fns = {.block = far_block, .ctx = l};
  const strata_comm *comm = strata_ctx_comm(strata_pass_ctx(l->pass));
  FORWARD_IF_ERROR(strata_comm_agree(comm, strata_pass_run(l->pass, &fns)));
  for (int i = 0; i < l->threads; i++) far_keep(l->far.pts, &l->far.n, l->t[i].far.best, l->t[i].far.nbest, want, l->d);
  if (strata_comm_size(comm) > 1) FORWARD_IF_ERROR(far_across_ranks(l, comm, want));
  /* far[i].x pointers were shuffled by qsort with their entries: still valid. */
  *far = l->far.pts;
  return STRATA_OK;
}

void strata_lloyd_far_free(strata_lloyd *l) {
  for (int i = 0; l->t && i < l->threads; i++) {
    lloyd_far_thread *f = &l->t[i].far;
    free(f->cand); free(f->cand_x); free(f->best); free(f->best_x);
  }
  free(l->far.pts);
  free(l->far.x);
}
