/* The k-d tree of kdtree.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kdtree.h"

#define LEAF 16
#define MAX_DEPTH 128

typedef struct {
  size_t lo, hi;      /* points idx[lo..hi) */
  size_t left, right; /* children, 0 for a leaf (the root is node 0) */
} node;

struct strata_kdtree {
  const double *x;
  size_t m, d;
  size_t *idx;
  node *nodes;
  double *box;        /* per node: d lows then d highs */
  size_t nnodes;
};

typedef struct {
  const double *x;
  size_t d, dim;
} order;

/* By the split coordinate, then by index: a total order, so the tree does
 * not depend on qsort's handling of equal keys. */
static int by_coord(const void *pa, const void *pb, void *vo) {
  const order *o = vo;
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  double xa = o->x[a * o->d + o->dim], xb = o->x[b * o->d + o->dim];
  if (xa != xb) return xa < xb ? -1 : 1;
  return (a > b) - (a < b);
}

static size_t build(strata_kdtree *t, size_t lo, size_t hi, int depth) {
  size_t id = t->nnodes++, d = t->d;
  double *blo = t->box + id * 2 * d, *bhi = blo + d;
  for (size_t j = 0; j < d; j++) { blo[j] = INFINITY; bhi[j] = -INFINITY; }
  for (size_t i = lo; i < hi; i++)
    for (size_t j = 0; j < d; j++) {
      double v = t->x[t->idx[i] * d + j];
      if (v < blo[j]) blo[j] = v;
      if (v > bhi[j]) bhi[j] = v;
    }
  t->nodes[id] = (node){lo, hi, 0, 0};
  if (hi - lo <= LEAF || depth >= MAX_DEPTH - 2) return id;
  size_t dim = 0;
  for (size_t j = 1; j < d; j++)
    if (bhi[j] - blo[j] > bhi[dim] - blo[dim]) dim = j;
  if (!(bhi[dim] > blo[dim])) return id; /* all points equal: one leaf */
  order o = {t->x, d, dim};
  qsort_r(t->idx + lo, hi - lo, sizeof *t->idx, by_coord, &o);
  size_t mid = lo + (hi - lo) / 2;
  size_t l = build(t, lo, mid, depth + 1);
  size_t r = build(t, mid, hi, depth + 1);
  t->nodes[id].left = l;
  t->nodes[id].right = r;
  return id;
}

strata_status strata_kdtree_build(const double *x, size_t m, size_t d, strata_kdtree **out) {
  *out = NULL;
  strata_kdtree *t = calloc(1, sizeof *t);
  RETURN_IF(!t, STRATA_ERR_NOMEM, "out of memory");
  size_t cap = m ? 2 * (m / (LEAF / 2) + 1) : 1;
  t->x = x;
  t->m = m;
  t->d = d;
  t->idx = malloc((m ? m : 1) * sizeof *t->idx);
  t->nodes = malloc(cap * sizeof *t->nodes);
  t->box = malloc(cap * 2 * (d ? d : 1) * sizeof *t->box);
  if (!t->idx || !t->nodes || !t->box) {
    strata_kdtree_free(t);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the index of %zu points", m);
  }
  for (size_t i = 0; i < m; i++) t->idx[i] = i;
  if (m > 0) build(t, 0, m, 0);
  *out = t;
  return STRATA_OK;
}

void strata_kdtree_free(strata_kdtree *t) {
  if (!t) return;
  free(t->idx);
  free(t->nodes);
  free(t->box);
  free(t);
}

static double dist2(const double *a, const double *b, size_t d) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) {
    double q = a[j] - b[j];
    s += q * q;
  }
  return s;
}

/* Squared distance from q to node id's box: a lower bound for its points. */
static double box_dist2(const strata_kdtree *t, size_t id, const double *q) {
  const double *lo = t->box + id * 2 * t->d, *hi = lo + t->d;
  double s = 0.0;
  for (size_t j = 0; j < t->d; j++) {
    double e = q[j] < lo[j] ? lo[j] - q[j] : q[j] > hi[j] ? q[j] - hi[j] : 0.0;
    s += e * e;
  }
  return s;
}

/* Depth-first over the nodes whose box is within *bound (which may shrink:
 * nearest); leaf(user, i, d2) for every point within it. */
static void walk(const strata_kdtree *t, const double *q, const double *bound,
                 void (*leaf)(void *user, size_t i, double d2), void *user) {
  if (t->m == 0) return;
  size_t stack[MAX_DEPTH * 2], top = 0;
  stack[top++] = 0;
  while (top > 0) {
    size_t id = stack[--top];
    if (box_dist2(t, id, q) > *bound) continue;
    const node *n = &t->nodes[id];
    if (n->left == 0) {
      for (size_t i = n->lo; i < n->hi; i++) {
        size_t p = t->idx[i];
        double s = dist2(t->x + p * t->d, q, t->d);
        if (s <= *bound) leaf(user, p, s);
      }
      continue;
    }
    stack[top++] = n->right;
    stack[top++] = n->left;
  }
}

typedef struct {
  double r2;
  size_t count;
  void (*visit)(void *user, size_t i);
  void *user;
  size_t best;
  double best_d2;
} query;

static void count_leaf(void *u, size_t i, double d2) {
  (void)i; (void)d2;
  ((query *)u)->count++;
}

size_t strata_kdtree_count(const strata_kdtree *t, const double *q, double r2) {
  query s = {.r2 = r2};
  walk(t, q, &s.r2, count_leaf, &s);
  return s.count;
}

static void each_leaf(void *u, size_t i, double d2) {
  (void)d2;
  query *s = u;
  s->visit(s->user, i);
}

void strata_kdtree_each(const strata_kdtree *t, const double *q, double r2, void (*visit)(void *user, size_t i),
                        void *user) {
  query s = {.r2 = r2, .visit = visit, .user = user};
  walk(t, q, &s.r2, each_leaf, &s);
}

/* The bound shrinks to the best so far; an equal distance still enters
 * (walk keeps d2 <= bound), and the lower index wins it. */
static void nearest_leaf(void *u, size_t i, double d2) {
  query *s = u;
  if (s->best == SIZE_MAX || d2 < s->r2 || (d2 == s->r2 && i < s->best)) {
    s->best = i;
    s->r2 = d2;
  }
}

size_t strata_kdtree_nearest(const strata_kdtree *t, const double *q, double r2, double *d2) {
  query s = {.r2 = r2, .best = SIZE_MAX};
  walk(t, q, &s.r2, nearest_leaf, &s);
  if (d2) *d2 = s.best == SIZE_MAX ? NAN : s.r2;
  return s.best;
}

/* A max-heap of the k smallest squared distances so far; the walk's bound
 * is its top once it is full. */
typedef struct {
  double *heap;
  size_t k, n;
  double bound;
} kth_query;

static void kth_leaf(void *u, size_t i, double d2) {
  (void)i;
  kth_query *s = u;
  double *h = s->heap;
  if (s->n < s->k) {
    size_t c = s->n++;
    while (c > 0 && h[(c - 1) / 2] < d2) { h[c] = h[(c - 1) / 2]; c = (c - 1) / 2; }
    h[c] = d2;
    if (s->n == s->k) s->bound = h[0];
    return;
  }
  if (!(d2 < h[0])) return;
  size_t c = 0;
  for (;;) {
    size_t l = 2 * c + 1, r = l + 1, big = c;
    double v = d2;
    if (l < s->k && h[l] > v) { big = l; v = h[l]; }
    if (r < s->k && h[r] > v) big = r;
    if (big == c) break;
    h[c] = h[big];
    c = big;
  }
  h[c] = d2;
  s->bound = h[0];
}

double strata_kdtree_kth(const strata_kdtree *t, const double *q, size_t k, double *heap) {
  if (k == 0 || t->m < k) return INFINITY;
  kth_query s = {heap, k, 0, INFINITY};
  walk(t, q, &s.bound, kth_leaf, &s);
  return heap[0];
}
