/* The histogram tree of strata_explain (see explain_tree.h). */
#include "explain_tree.h"

#include <math.h>
#include <string.h>

size_t strata_explain_cuts(const float *vals, size_t n, const double *quantiles, float *out) {
  if (n == 0) return 0;
  size_t distinct = 1;
  for (size_t i = 1; i < n && distinct <= STRATA_EXPLAIN_MAX_BINS; i++)
    if (vals[i] != vals[i - 1]) distinct++;
  float top = vals[n - 1];
  size_t m = 0;
  if (distinct <= STRATA_EXPLAIN_MAX_BINS) {
    /* Few values (counts, flags, one-hot columns): a bin each, so the
     * split search sees every split the exact tree would. */
    for (size_t i = 0; i < n; i++)
      if (vals[i] != top && (m == 0 || out[m - 1] != vals[i])) out[m++] = vals[i];
    return m;
  }
  for (size_t i = 1; i < STRATA_EXPLAIN_MAX_BINS; i++) {
    float q = (float)quantiles[i - 1];
    if (!(q < top)) break; /* nondecreasing: nothing below the top follows */
    if (m == 0 || q > out[m - 1]) out[m++] = q;
  }
  return m;
}

void strata_explain_node_summary(strata_explain_grow *g, int node) {
  const uint64_t *c = g->counts + (size_t)node * g->k;
  uint64_t rows = 0, best = 0;
  int seg = 0;
  for (size_t s = 0; s < g->k; s++) {
    rows += c[s];
    if (c[s] > best) { best = c[s]; seg = (int)s; }
  }
  g->node[node].rows = rows;
  g->node[node].segment = seg;
}

static int impure(const strata_explain_grow *g, int node) {
  const uint64_t *c = g->counts + (size_t)node * g->k;
  int seen = 0;
  for (size_t s = 0; s < g->k; s++) seen += c[s] > 0;
  return seen > 1;
}

/* sum_c n_c^2 / n: larger is purer (n times one minus the Gini impurity). */
static double purity(const uint64_t *c, size_t k, uint64_t n) {
  if (n == 0) return 0.0;
  double s = 0.0;
  for (size_t i = 0; i < k; i++) s += (double)c[i] * (double)c[i];
  return s / (double)n;
}

double strata_explain_round_between(double a, double b) {
  double m = fmax(fabs(a), fabs(b));
  int e = m > 0 ? (int)floor(log10(m)) + 1 : 0;
  for (; e >= -40; e--) {
    /* t = ceil(a / 10^e) · 10^e, formed so that a decimal step is the
     * double nearest to it (1.2, not 1.2000000000000002). */
    double t;
    if (e >= 0) {
      double step = pow(10.0, e);
      t = ceil(a / step) * step;
      if (t < a) t += step;
    } else {
      double inv = pow(10.0, -e);
      double q = ceil(a * inv);
      t = q / inv;
      if (t < a) t = (q + 1.0) / inv;
    }
    if (t >= a && t < b) return t == 0.0 ? 0.0 : t; /* no -0 */
  }
  return a;
}

/* The threshold of a split after global bin `cut` of feature j: between
 * the largest value at or below it and the smallest above it. */
static double threshold_after(const strata_explain_bins *b, size_t j, size_t cut) {
  double lo = -INFINITY, hi = INFINITY;
  for (size_t i = b->off[j]; i <= cut; i++)
    if (b->bmax[i] > lo) lo = b->bmax[i];
  for (size_t i = cut + 1; i < b->off[j + 1]; i++)
    if (b->bmin[i] < hi) hi = b->bmin[i];
  if (!isfinite(lo) || !isfinite(hi) || !(lo < hi)) return lo; /* no row on one side: not reached */
  return strata_explain_round_between(lo, hi);
}

typedef struct {
  double score;
  int feature;
  size_t cut; /* global bin: the split sends bins off[j]..cut left */
} split;

static split best_split(const strata_explain_grow *g, const strata_explain_bins *b, const uint64_t *h,
                        const uint64_t *total, uint64_t n, uint64_t *left, uint64_t *rt) {
  size_t k = g->k;
  split best = {-1.0, -1, 0};
  for (size_t j = 0; j < b->d; j++) {
    memset(left, 0, k * sizeof *left);
    uint64_t nl = 0;
    for (size_t bin = b->off[j]; bin + 1 < b->off[j + 1]; bin++) {
      const uint64_t *c = h + bin * k;
      for (size_t s = 0; s < k; s++) { left[s] += c[s]; nl += c[s]; }
      if (nl == 0) continue;
      if (nl == n) break;
      for (size_t s = 0; s < k; s++) rt[s] = total[s] - left[s];
      double score = purity(left, k, nl) + purity(rt, k, n - nl);
      if (score > best.score) {
        best.score = score;
        best.feature = (int)j;
        best.cut = bin;
      }
    }
  }
  return best;
}

int strata_explain_split_level(strata_explain_grow *g, const strata_explain_bins *b, const uint64_t *hist,
                               int max_depth) {
  size_t k = g->k, nb = b->off[b->d];
  int nodes = g->nnodes, next = 0;
  uint64_t *left = g->counts + (size_t)STRATA_EXPLAIN_MAX_NODES * k, *right = left + k;
  for (int i = 0; i < nodes; i++) {
    strata_explain_grow_node *p = &g->node[i];
    if (p->slot < 0) continue;
    const uint64_t *h = hist + (size_t)p->slot * nb * k;
    p->slot = -1;
    const uint64_t *total = g->counts + (size_t)i * k;
    split s = best_split(g, b, h, total, p->rows, left, right);
    if (s.feature < 0 || g->nnodes + 2 > STRATA_EXPLAIN_MAX_NODES) continue;
    size_t j = (size_t)s.feature;
    p->feature = s.feature;
    p->threshold = threshold_after(b, j, s.cut);
    p->left = g->nnodes;
    p->right = g->nnodes + 1;
    uint64_t *lc = g->counts + (size_t)p->left * k, *rc = g->counts + (size_t)p->right * k;
    memset(lc, 0, k * sizeof *lc);
    for (size_t bin = b->off[j]; bin <= s.cut; bin++)
      for (size_t c = 0; c < k; c++) lc[c] += h[bin * k + c];
    for (size_t c = 0; c < k; c++) rc[c] = total[c] - lc[c];
    for (int side = 0; side < 2; side++) {
      int ci = g->nnodes++;
      strata_explain_grow_node *c = &g->node[ci];
      c->depth = p->depth + 1;
      c->feature = -1;
      c->threshold = 0.0;
      c->left = c->right = -1;
      strata_explain_node_summary(g, ci);
      c->slot = (c->depth < max_depth && c->rows >= 2 && impure(g, ci)) ? next++ : -1;
    }
  }
  return next;
}

void strata_explain_prune(strata_explain_grow *g) {
  /* Children always come after their parent: walking backwards visits a
   * node after both of its children are final. */
  for (int i = g->nnodes - 1; i >= 0; i--) {
    strata_explain_grow_node *p = &g->node[i];
    if (p->left < 0) continue;
    const strata_explain_grow_node *l = &g->node[p->left], *r = &g->node[p->right];
    if (l->left < 0 && r->left < 0 && l->segment == r->segment) {
      p->feature = -1;
      p->left = p->right = -1;
    }
  }
}
