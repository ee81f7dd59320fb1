/* Scoring rows with a DBSCAN model (assign_dbscan.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assign_dbscan.h"
#include "dataset.h"
#include "error.h"
#include "kdtree.h"
#include "labels_writer.h"
#include "pass.h"

typedef struct {
  const strata_model_info *mi;
  const strata_kdtree *tree;
  double r2;
  int32_t *seg;
  float *dist;
  double *sq;
  double *q;   /* per thread: d */
} scorer;

/* Each block writes its own rows' slots: any order, any thread. */
static strata_status score_block(void *vctx, const strata_block *b, int thread) {
  scorer *s = vctx;
  size_t d = (size_t)s->mi->d;
  double *q = s->q + (size_t)thread * d;
  for (size_t i = 0; i < b->m; i++) {
    size_t r = b->row0 + (b->kept ? b->kept[i] : i);
    for (size_t j = 0; j < d; j++) q[j] = (double)b->x[i * d + j];
    size_t c = strata_kdtree_nearest(s->tree, q, s->r2, NULL);
    if (c == SIZE_MAX) continue;
    int32_t g = s->mi->core_segment[c];
    const double *mu = s->mi->centroids + (size_t)g * d;
    double e2 = 0.0;
    for (size_t j = 0; j < d; j++) e2 += (q[j] - mu[j]) * (q[j] - mu[j]);
    s->seg[r] = g;
    s->dist[r] = (float)sqrt(e2);
    s->sq[r] = e2;
  }
  return STRATA_OK;
}

strata_status strata_assign_dbscan(const strata_ctx *ctx, const strata_model_info *mi, const strata_scaler *sc,
                                   strata_dataset *ds, strata_labels_writer *w, size_t chunk_rows, double *inertia,
                                   int64_t *sizes) {
  size_t n = strata_dataset_rows(ds), d = (size_t)mi->d, k = (size_t)mi->k;
  int T = strata_threads_resolve(strata_ctx_threads(ctx));
  scorer s = {mi, NULL, mi->eps * mi->eps, malloc((n ? n : 1) * sizeof(int32_t)),
              malloc((n ? n : 1) * sizeof(float)), malloc((n ? n : 1) * sizeof(double)),
              malloc((size_t)T * d * sizeof(double))};
  strata_kdtree *tree = NULL;
  strata_pass *pass = NULL;
  strata_status st = STRATA_OK;
  if (!s.seg || !s.dist || !s.sq || !s.q) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the labels of %zu rows", n);
    goto done;
  }
  for (size_t r = 0; r < n; r++) { s.seg[r] = -1; s.dist[r] = NAN; s.sq[r] = NAN; }
  GOTO_IF_ERROR(st, strata_kdtree_build(mi->core_points, (size_t)mi->n_core, d, &tree), done);
  s.tree = tree;
  GOTO_IF_ERROR(st, strata_pass_open(ctx, ds, sc, chunk_rows, 0, &pass), done);
  strata_pass_fns fns = {.block = score_block, .ctx = &s};
  GOTO_IF_ERROR(st, strata_pass_run(pass, &fns), done);
  /* Totals in row order: the same bits for any thread count. */
  double total = 0.0;
  if (sizes) memset(sizes, 0, k * sizeof *sizes);
  for (size_t r = 0; r < n; r++)
    if (s.seg[r] >= 0) {
      total += s.sq[r];
      if (sizes) sizes[s.seg[r]]++;
    }
  if (inertia) *inertia = total;
  st = strata_labels_writer_write(w, 0, n, s.seg, s.dist);
done:
  strata_pass_free(pass);
  strata_kdtree_free(tree);
  free(s.seg); free(s.dist); free(s.sq); free(s.q);
  return st;
}
