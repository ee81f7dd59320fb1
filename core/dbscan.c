/* DBSCAN (dbscan.h): parallel neighbour counts, then one sequential
 * expansion in row order. */
#include <omp.h>
#include <stdlib.h>

#include "dbscan.h"
#include "error.h"
#include "kdtree.h"
#include "pass.h"

typedef struct {
  int32_t *labels;
  const uint8_t *core;
  size_t *stack;
  size_t top;
  int32_t c;
} expand;

/* The weight within eps of a point (summed in the tree's fixed order). */
typedef struct {
  const double *w;
  double sum;
} weigh;

static void add_weight(void *u, size_t j) {
  weigh *a = u;
  a->sum += a->w[j];
}

/* A point first reached by cluster c joins it; a core point carries on. */
static void reach(void *u, size_t j) {
  expand *e = u;
  if (e->labels[j] != -1) return;
  e->labels[j] = e->c;
  if (e->core[j]) e->stack[e->top++] = j;
}

strata_status strata_dbscan(const strata_ctx *ctx, const double *x, const double *w, size_t m, size_t d, double eps,
                            size_t min_samples, int32_t *labels, uint8_t *core, size_t *nclusters) {
  *nclusters = 0;
  strata_kdtree *t = NULL;
  FORWARD_IF_ERROR(strata_kdtree_build(x, m, d, &t));
  const double r2 = eps * eps;
  int T = strata_threads_resolve(strata_ctx_threads(ctx));
#pragma omp parallel for schedule(dynamic, 256) num_threads(T)
  for (size_t i = 0; i < m; i++) {
    if (!w) {
      core[i] = strata_kdtree_count(t, x + i * d, r2) >= min_samples;
      continue;
    }
    weigh a = {w, 0.0};
    strata_kdtree_each(t, x + i * d, r2, add_weight, &a);
    core[i] = a.sum >= (double)min_samples;
  }
  strata_status st = strata_check_cancel(ctx);
  expand e = {labels, core, malloc((m ? m : 1) * sizeof(size_t)), 0, 0};
  if (st == STRATA_OK && !e.stack) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for DBSCAN on %zu rows", m);
  for (size_t i = 0; i < m; i++) labels[i] = -1;
  for (size_t i = 0; st == STRATA_OK && i < m; i++) {
    if (labels[i] != -1 || !core[i]) continue;
    labels[i] = e.c;
    e.stack[e.top++] = i;
    while (e.top > 0) {
      size_t p = e.stack[--e.top];
      strata_kdtree_each(t, x + p * d, r2, reach, &e);
    }
    e.c++;
    if ((e.c & 63) == 0) st = strata_check_cancel(ctx);
  }
  *nclusters = (size_t)e.c;
  free(e.stack);
  strata_kdtree_free(t);
  return st;
}
