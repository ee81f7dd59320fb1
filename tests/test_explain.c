/* strata_explain against a plain exact CART written here (sort each node's
 * rows per feature, try every split between distinct values, float64 Gini):
 * on data with fewer than 256 distinct values per feature the histogram
 * bins are the values themselves, so both trees must place every row in
 * the same segment.  Also: the same nodes for any thread count and chunk
 * size, the roundest threshold, the cuts, pruning, errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "explain_tree.h"
#include "fixture.h"
#include "strata.h"

enum { D = 3, K = 4, N = 20000 };
static const char *const NAMES[D] = {"visits", "spend", "age"};

/* Integer features of planted groups, few distinct values each. */
static float *planted(uint64_t seed) {
  float *x = malloc((size_t)N * D * sizeof *x);
  uint64_t s = seed;
  static const double mu[K][D] = {{2, 40, 30}, {8, 45, 60}, {3, 90, 35}, {9, 95, 50}};
  for (size_t i = 0; i < N; i++) {
    size_t g = i % K;
    for (size_t j = 0; j < D; j++) x[i * D + j] = (float)round(mu[g][j] + 6.0 * fixture_normal(&s));
  }
  return x;
}

/* ---- the reference: exact greedy CART, depth-first ---- */

typedef struct {
  const float *x;
  const int32_t *y;
  int depth;
  int32_t *pred; /* N: the leaf's segment of each row */
} ref_tree;

static double purity(const int64_t *c, int64_t n) {
  double s = 0;
  for (int i = 0; i < K; i++) s += (double)c[i] * (double)c[i];
  return n ? s / (double)n : 0.0;
}

static const float *sort_x;
static int sort_j;
static int by_value(const void *a, const void *b) {
  float u = sort_x[*(const size_t *)a * D + sort_j], v = sort_x[*(const size_t *)b * D + sort_j];
  if (u != v) return u < v ? -1 : 1;
  return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static void ref_grow(ref_tree *t, size_t *rows, size_t n, int depth) {
  int64_t tot[K] = {0};
  for (size_t i = 0; i < n; i++) tot[t->y[rows[i]]]++;
  int seg = 0, classes = 0;
  for (int c = 0; c < K; c++) {
    if (tot[c] > tot[seg]) seg = c;
    classes += tot[c] > 0;
  }
  double best = -1;
  int bj = -1;
  float bv = 0;
  if (depth < t->depth && n >= 2 && classes > 1) {
    for (int j = 0; j < D; j++) {
      sort_x = t->x;
      sort_j = j;
      qsort(rows, n, sizeof *rows, by_value);
      int64_t l[K] = {0}, r[K];
      for (size_t i = 0; i + 1 < n; i++) {
        l[t->y[rows[i]]]++;
        float v = t->x[rows[i] * D + j], w = t->x[rows[i + 1] * D + j];
        if (v == w) continue;
        for (int c = 0; c < K; c++) r[c] = tot[c] - l[c];
        double s = purity(l, (int64_t)i + 1) + purity(r, (int64_t)(n - i - 1));
        if (s > best) { best = s; bj = j; bv = v; }
      }
    }
  }
  if (bj < 0) {
    for (size_t i = 0; i < n; i++) t->pred[rows[i]] = seg;
    return;
  }
  size_t *left = malloc(n * sizeof *left), *right = malloc(n * sizeof *right), nl = 0, nr = 0;
  for (size_t i = 0; i < n; i++) {
    if (t->x[rows[i] * D + bj] <= bv) left[nl++] = rows[i];
    else right[nr++] = rows[i];
  }
  ref_grow(t, left, nl, depth + 1);
  ref_grow(t, right, nr, depth + 1);
  free(left);
  free(right);
}

/* The leaf's segment of a row under strata's tree. */
static int32_t predict(const strata_explanation *e, const float *row) {
  int n = 0;
  while (e->nodes[n].feature >= 0) n = row[e->nodes[n].feature] <= e->nodes[n].threshold ? e->nodes[n].left : e->nodes[n].right;
  return e->rules[e->nodes[n].rule].segment;
}

static strata_explanation *explain(const strata_model *m, strata_dataset *ds, int depth, int threads, size_t chunk) {
  strata_explain_params p;
  strata_explain_params_init(&p);
  p.depth = depth;
  p.chunk_rows = chunk;
  strata_explanation *e = NULL;
  CHECK_OK(strata_explain(test_ctx(threads, NULL), m, ds, &p, &e));
  return e;
}

static int same_tree(const strata_explanation *a, const strata_explanation *b) {
  if (a->nnodes != b->nnodes || a->nrules != b->nrules || a->fidelity != b->fidelity) return 0;
  for (int i = 0; i < a->nnodes; i++) {
    const strata_explain_node *u = &a->nodes[i], *v = &b->nodes[i];
    if (u->feature != v->feature || u->left != v->left || u->rows != v->rows || u->segment != v->segment ||
        (u->feature >= 0 && u->threshold != v->threshold))
      return 0;
  }
  return 1;
}

static void test_against_reference(void) {
  float *x = planted(7);
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, NAMES, &ds));
  strata_fit_params fp;
  strata_fit_params_init(&fp);
  fp.k = K;
  fp.seed = 1;
  if (ds) CHECK_OK(strata_fit(test_ctx(1, NULL), ds, &fp, &m));
  int32_t *y = malloc(N * sizeof *y), *pred = malloc(N * sizeof *pred);
  size_t *rows = malloc(N * sizeof *rows);
  if (m) CHECK_OK(strata_assign_memory(test_ctx(1, NULL), m, ds, 0, y, NULL, NULL, NULL));
  for (int depth = 1; m && depth <= 4; depth++) {
    strata_explanation *e = explain(m, ds, depth, 2, 0);
    if (!e) continue;
    ref_tree t = {x, y, depth, pred};
    for (size_t i = 0; i < N; i++) rows[i] = i;
    ref_grow(&t, rows, N, 0);
    size_t differ = 0, correct = 0;
    for (size_t i = 0; i < N; i++) {
      differ += predict(e, x + i * D) != pred[i];
      correct += pred[i] == y[i];
    }
    CHECK_MSG(differ == 0, "depth %d: %zu rows placed differently from the exact tree", depth, differ);
    CHECK_MSG(e->fidelity == (double)correct / N, "depth %d: fidelity %.17g, exact tree %.17g", depth, e->fidelity,
              (double)correct / N);
    CHECK(e->rows == N && e->rows_skipped == 0);
    uint64_t covered = 0, right = 0;
    for (int i = 0; i < e->nrules; i++) {
      covered += e->rules[i].rows;
      right += e->rules[i].correct;
    }
    CHECK(covered == N && (double)right / N == e->fidelity);
    CHECK(e->nrules <= 1 << depth && e->depth <= depth);
    /* No two sibling leaves predict the same segment (they are merged). */
    for (int i = 0; i < e->nnodes; i++) {
      const strata_explain_node *n = &e->nodes[i];
      if (n->feature < 0) continue;
      const strata_explain_node *l = &e->nodes[n->left], *r = &e->nodes[n->right];
      CHECK(!(l->feature < 0 && r->feature < 0 && l->segment == r->segment));
    }
    /* Determinism: threads and chunk sizes. */
    strata_explanation *e1 = explain(m, ds, depth, 1, 4096), *e3 = explain(m, ds, depth, 3, 12288);
    CHECK(e1 && same_tree(e, e1));
    CHECK(e3 && same_tree(e, e3));
    strata_explanation_free(e1);
    strata_explanation_free(e3);
    strata_explanation_free(e);
  }
  free(y); free(pred); free(rows); free(x);
  strata_model_free(m);
  strata_dataset_free(ds);
}

static void test_round_between(void) {
  CHECK(strata_explain_round_between(1199.87, 1200.3) == 1200.0);
  CHECK(strata_explain_round_between(99.5, 150) == 100.0);
  CHECK(strata_explain_round_between(0, 1) == 0.0);
  CHECK(strata_explain_round_between(3, 4) == 3.0);
  CHECK(strata_explain_round_between(-2.5, -2.4) == -2.5);
  CHECK(strata_explain_round_between(-7, 3) == 0.0);
  CHECK(strata_explain_round_between(0.1234, 0.124) == 0.1234);
  CHECK(strata_explain_round_between(0.11, 0.13) == 0.11); /* a itself when it is as round */
  CHECK(strata_explain_round_between(0.111, 0.13) == 0.12);
  CHECK(strata_explain_round_between(12345.6, 99999) == 20000.0);
  /* a <= t < b always, also for adjacent floats */
  float a = 1.0f, b = nextafterf(a, 2.0f);
  double t = strata_explain_round_between(a, b);
  CHECK(t >= a && t < b);
}

static void test_cuts(void) {
  float v[] = {1, 1, 2, 3, 3, 3, 7};
  float out[STRATA_EXPLAIN_MAX_BINS];
  double q[STRATA_EXPLAIN_MAX_BINS - 1] = {0};
  size_t n = strata_explain_cuts(v, 7, q, out);
  CHECK(n == 3 && out[0] == 1 && out[1] == 2 && out[2] == 3); /* the largest value is no cut */
  float many[1000];
  for (int i = 0; i < 1000; i++) many[i] = (float)i;
  for (int i = 0; i < STRATA_EXPLAIN_MAX_BINS - 1; i++) q[i] = floor((i + 1) * 1000.0 / STRATA_EXPLAIN_MAX_BINS);
  n = strata_explain_cuts(many, 1000, q, out);
  CHECK(n == STRATA_EXPLAIN_MAX_BINS - 1 && out[0] == 3 && out[n - 1] < 999);
  for (size_t i = 1; i < n; i++) CHECK(out[i] > out[i - 1]);
  CHECK(strata_explain_cuts(many, 0, q, out) == 0);
}

static void test_errors(void) {
  float x[40 * D];
  for (int i = 0; i < 40 * D; i++) x[i] = (float)(i % 7);
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_from_memory(x, 40, D, NAMES, &ds));
  strata_fit_params fp;
  strata_fit_params_init(&fp);
  fp.k = 2;
  if (ds) CHECK_OK(strata_fit(test_ctx(1, NULL), ds, &fp, &m));
  strata_explain_params p;
  strata_explain_params_init(&p);
  strata_explanation *e = NULL;
  p.depth = 5;
  CHECK(strata_explain(NULL, m, ds, &p, &e) == STRATA_ERR_USAGE && !e);
  p.depth = 3;
  p.size = 8;
  CHECK(strata_explain(NULL, m, ds, &p, &e) == STRATA_ERR_USAGE && !e);
  CHECK(strata_explain(NULL, NULL, ds, NULL, &e) == STRATA_ERR_USAGE);
  CHECK_OK(strata_explain(NULL, m, ds, NULL, &e));
  CHECK(e && e->rows == 40 && e->labels == NULL);
  strata_explanation_free(e);
  strata_explanation_free(NULL);
  strata_model_free(m);
  strata_dataset_free(ds);
}

int main(void) {
  test_round_between();
  test_cuts();
  test_against_reference();
  test_errors();
  return check_report();
}
