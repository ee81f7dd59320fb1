/* strata_explain: a shallow tree that states the segments of a model as
 * rules on its features in original units (see the explain section of
 * strata.h).
 *
 * The segments come from a labels file or from strata_assign_memory (the
 * same labels as `strata assign`), 4 bytes per row.  Then raw passes over
 * the data, never the table in memory: the first sketches every feature
 * (the fixed merge tree of quantile.h) for its bins; each level of the tree
 * is one pass that routes each row through the splits made so far and
 * counts it in its node's (feature, bin, segment) histogram.  Counts are
 * integers added per thread and summed, and the tree is grown from them on
 * the calling thread (explain_tree.c), so the result does not depend on
 * threads, chunks or timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "ctx.h"
#include "dataset.h"
#include "error.h"
#include "explain_tree.h"
#include "pass.h"
#include "quantile.h"
#include "radix_sort.h"

void strata_explain_params_init(strata_explain_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->depth = 3;
}

/* ---- the passes ---- */

typedef struct {
  float *x;            /* B×d: the block's explained rows, missing values imputed */
  int32_t *seg;        /* B: their segments */
  float *sorted;       /* 2B: one column sorted (sketch pass), then the sort's buffer */
  uint64_t *hist;      /* slots × nbins × k */
  float *bmin, *bmax;  /* nbins (first level) */
  uint64_t skipped;
} ex_thread;

typedef struct {
  size_t d, k;
  const int32_t *segment;  /* n */
  const double *impute;    /* d: the model's value for a missing one, NaN: none */
  const char *const *names;
  int sketching;           /* 1: the sketch pass; 0: a level */
  int first_level;
  size_t hist_len;         /* slots × nbins × k of this level */
  strata_explain_bins bins;
  strata_explain_grow grow;
  strata_qtree tree;
  ex_thread *t;
  int threads;
} explainer;

/* The block's rows that have a segment and a value (imputed or not) for
 * every feature, compacted into t->x and t->seg; returns their count. */
static strata_status block_rows(explainer *E, ex_thread *t, const strata_block *b, size_t *out) {
  size_t d = E->d, m = 0;
  for (size_t i = 0; i < b->nraw; i++) {
    int32_t s = E->segment[b->row0 + i];
    const float *x = b->x + i * d;
    float *y = t->x + m * d;
    int keep = s >= 0;
    for (size_t j = 0; j < d && keep; j++) {
      float v = x[j];
      RETURN_IF(isinf(v), STRATA_ERR_DATA, "column '%s' has an infinite value at row %zu", E->names[j],
                b->row0 + i);
      if (isnan(v)) {
        if (isnan(E->impute[j])) keep = 0;
        else v = (float)E->impute[j];
      }
      y[j] = v;
    }
    if (!keep) {
      if (E->sketching) t->skipped++;
      continue;
    }
    t->seg[m++] = s;
  }
  *out = m;
  return STRATA_OK;
}

static strata_status sketch_block(explainer *E, ex_thread *t, const strata_block *b, size_t m) {
  strata_qsketch *leaf = strata_qsketch_array_new(E->d);
  RETURN_IF(!leaf, STRATA_ERR_NOMEM, "out of memory for the explain sketches");
  strata_status st = STRATA_OK;
  for (size_t j = 0; j < E->d && st == STRATA_OK; j++) {
    /* Every value is finite here (block_rows); -0 sorts as +0. */
    for (size_t i = 0; i < m; i++) {
      float v = t->x[i * E->d + j];
      t->sorted[i] = v == 0.0f ? 0.0f : v;
    }
    strata_radix_sort_floats(t->sorted, m, t->sorted + STRATA_BLOCK_ROWS);
    st = strata_qsketch_add_sorted(&leaf[j], t->sorted, m);
  }
  if (st != STRATA_OK) {
    strata_qsketch_array_free(leaf, E->d);
    return st;
  }
  return strata_qtree_add(&E->tree, b->index, leaf);
}

static void count_block(explainer *E, ex_thread *t, size_t m) {
  size_t d = E->d, k = E->k, nb = E->bins.off[d];
  const strata_explain_grow_node *node = E->grow.node;
  for (size_t i = 0; i < m; i++) {
    const float *x = t->x + i * d;
    int n = 0;
    while (node[n].feature >= 0) n = (double)x[node[n].feature] <= node[n].threshold ? node[n].left : node[n].right;
    if (node[n].slot < 0) continue;
    uint64_t *h = t->hist + (size_t)node[n].slot * nb * k + (size_t)t->seg[i];
    for (size_t j = 0; j < d; j++) {
      size_t bin = E->bins.off[j] + strata_explain_bin(&E->bins, j, x[j]);
      h[bin * k]++;
      if (E->first_level) {
        if (x[j] < t->bmin[bin]) t->bmin[bin] = x[j];
        if (x[j] > t->bmax[bin]) t->bmax[bin] = x[j];
      }
    }
  }
}

static strata_status explain_block(void *ctx, const strata_block *b, int thread) {
  explainer *E = ctx;
  ex_thread *t = &E->t[thread];
  size_t m = 0;
  FORWARD_IF_ERROR(block_rows(E, t, b, &m));
  if (E->sketching) return sketch_block(E, t, b, m);
  count_block(E, t, m);
  return STRATA_OK;
}

/* ---- the bins from the sketches ---- */

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static strata_status make_bins(explainer *E, strata_qsketch *qs) {
  size_t d = E->d;
  strata_explain_bins *b = &E->bins;
  b->d = d;
  b->k = E->k;
  b->nbins = calloc(d, sizeof *b->nbins);
  b->off = calloc(d + 1, sizeof *b->off);
  b->cuts = malloc(d * (STRATA_EXPLAIN_MAX_BINS - 1) * sizeof *b->cuts);
  RETURN_IF(!b->nbins || !b->off || !b->cuts, STRATA_ERR_NOMEM, "out of memory for the explain bins");
  double q[STRATA_EXPLAIN_MAX_BINS - 1], at[STRATA_EXPLAIN_MAX_BINS - 1];
  size_t ncuts = 0;
  for (size_t j = 0; j < d; j++) {
    const strata_qsketch *s = &qs[j];
    size_t n = 0;
    for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) n += s->count[h];
    float *vals = malloc((n ? n : 1) * sizeof *vals);
    RETURN_IF(!vals, STRATA_ERR_NOMEM, "out of memory for the explain bins");
    n = 0;
    for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) {
      if (s->count[h]) memcpy(vals + n, s->level[h], s->count[h] * sizeof *vals);
      n += s->count[h];
    }
    qsort(vals, n, sizeof *vals, cmp_float);
    for (int i = 1; i < STRATA_EXPLAIN_MAX_BINS; i++) at[i - 1] = (double)i / STRATA_EXPLAIN_MAX_BINS;
    if (strata_qsketch_quantiles(s, at, STRATA_EXPLAIN_MAX_BINS - 1, q) != STRATA_OK) {
      free(vals);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory for the explain bins");
    }
    float *cuts = b->cuts + j * (STRATA_EXPLAIN_MAX_BINS - 1);
    size_t c = strata_explain_cuts(vals, n, q, cuts);
    for (size_t i = c; i < STRATA_EXPLAIN_MAX_BINS - 1; i++) cuts[i] = INFINITY;
    free(vals);
    b->nbins[j] = c + 1;
    b->off[j] = ncuts + j;
    ncuts += c;
  }
  b->off[d] = ncuts + d;
  b->bmin = malloc(b->off[d] * sizeof *b->bmin);
  b->bmax = malloc(b->off[d] * sizeof *b->bmax);
  RETURN_IF(!b->bmin || !b->bmax, STRATA_ERR_NOMEM, "out of memory for the explain bins");
  for (size_t i = 0; i < b->off[d]; i++) {
    b->bmin[i] = INFINITY;
    b->bmax[i] = -INFINITY;
  }
  return STRATA_OK;
}

static void bins_free(strata_explain_bins *b) {
  free(b->nbins); free(b->off); free(b->cuts); free(b->bmin); free(b->bmax);
}

/* ---- the segments of the rows ---- */

static strata_status read_labels(const char *path, size_t n, size_t k, int32_t *seg) {
  static const char *const col[] = {"segment"};
  strata_dataset *lab = NULL;
  strata_status st = strata_dataset_open(path, "/", col, 1, &lab);
  if (st == STRATA_ERR_COLUMN || st == STRATA_ERR_FORMAT) {
    char why[512];
    snprintf(why, sizeof why, "%s", strata_last_error());
    return strata_fail(STRATA_ERR_FORMAT, "'%s' is not a labels file (no /segment column): %s", path, why);
  }
  FORWARD_IF_ERROR(st);
  size_t rows = strata_dataset_rows(lab);
  if (rows != n) {
    strata_dataset_free(lab);
    return strata_fail(STRATA_ERR_FORMAT,
                       "the labels file '%s' has %zu rows but the data has %zu: they are not for the same data",
                       path, rows, n);
  }
  enum { STEP = 1 << 16 };
  float *f = malloc(STEP * sizeof *f);
  if (!f) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  for (size_t r0 = 0; st == STRATA_OK && r0 < n; r0 += STEP) {
    size_t m = n - r0 < STEP ? n - r0 : STEP;
    st = strata_dataset_read(lab, r0, m, f);
    for (size_t i = 0; st == STRATA_OK && i < m; i++) {
      float v = f[i];
      if (!(v == -1.0f || (v >= 0.0f && v < (float)k && v == floorf(v))))
        st = strata_fail(STRATA_ERR_FORMAT,
                         "the labels file '%s' has segment %g at row %zu, but the model has segments 0..%zu",
                         path, (double)v, r0 + i, k - 1);
      else seg[r0 + i] = (int32_t)v;
    }
  }
  free(f);
  strata_dataset_free(lab);
  return st;
}

/* ---- the result ---- */

typedef struct {
  strata_explanation pub;
  strata_explain_node *nodes;
  strata_explain_rule *rules;
  strata_explain_term *terms;
  double *fid;
  uint64_t *seg_rows;
  char **features;
  int *group;
  char *labels;
} explanation_impl;

void strata_explanation_free(strata_explanation *e) {
  if (!e) return;
  explanation_impl *r = (explanation_impl *)e;
  for (int j = 0; r->features && j < e->d; j++) free(r->features[j]);
  free(r->features); free(r->group); free(r->nodes); free(r->rules); free(r->terms);
  free(r->fid); free(r->seg_rows); free(r->labels);
  free(r);
}

typedef struct {
  const strata_explain_grow *g;
  explanation_impl *r;
  int map[STRATA_EXPLAIN_MAX_NODES]; /* grow node → output node */
  strata_explain_term path[2 * STRATA_EXPLAIN_MAX_DEPTH];
  int npath;
} rule_walk;

/* Leaves left to right; each collects the bounds on its way down. */
static void walk(rule_walk *w, int n) {
  const strata_explain_grow_node *g = &w->g->node[n];
  strata_explain_node *o = &w->r->nodes[w->map[n]];
  if (g->left < 0) {
    strata_explain_rule *rule = &w->r->rules[w->r->pub.nrules];
    o->rule = w->r->pub.nrules++;
    rule->segment = g->segment;
    rule->rows = g->rows;
    rule->correct = w->g->counts[(size_t)n * w->g->k + (size_t)g->segment];
    rule->nterms = w->npath;
    strata_explain_term *t = w->r->terms + (size_t)o->rule * STRATA_EXPLAIN_MAX_DEPTH;
    memcpy(t, w->path, (size_t)w->npath * sizeof *t);
    rule->terms = t;
    return;
  }
  int saved = w->npath, at = -1;
  for (int i = 0; i < w->npath; i++)
    if (w->path[i].feature == g->feature) at = i;
  if (at < 0) {
    at = w->npath++;
    w->path[at] = (strata_explain_term){g->feature, -INFINITY, INFINITY};
  }
  strata_explain_term keep = w->path[at];
  if (g->threshold < w->path[at].hi) w->path[at].hi = g->threshold;
  walk(w, g->left);
  w->path[at] = keep;
  if (g->threshold > w->path[at].lo) w->path[at].lo = g->threshold;
  walk(w, g->right);
  w->path[at] = keep;
  w->npath = saved;
}

static strata_status build_result(const explainer *E, const strata_model_info *mi, const char *labels_path,
                                  uint64_t skipped, int grown, strata_explanation **out) {
  const strata_explain_grow *g = &E->grow;
  size_t k = E->k, d = E->d;
  explanation_impl *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  strata_explanation *e = &r->pub;
  e->k = (int)k;
  e->d = (int)d;
  e->depth = grown;
  r->nodes = calloc(STRATA_EXPLAIN_MAX_NODES, sizeof *r->nodes);
  r->rules = calloc(STRATA_EXPLAIN_MAX_NODES, sizeof *r->rules);
  r->terms = calloc(STRATA_EXPLAIN_MAX_NODES * STRATA_EXPLAIN_MAX_DEPTH, sizeof *r->terms);
  r->fid = calloc(k, sizeof *r->fid);
  r->seg_rows = calloc(k, sizeof *r->seg_rows);
  r->features = calloc(d, sizeof *r->features);
  r->group = calloc(d, sizeof *r->group);
  int ok = r->nodes && r->rules && r->terms && r->fid && r->seg_rows && r->features && r->group;
  if (ok && labels_path) ok = (r->labels = strdup(labels_path)) != NULL;
  for (size_t j = 0; ok && j < d; j++) {
    ok = (r->features[j] = strdup(mi->features[j])) != NULL;
    r->group[j] = mi->feature_group[j];
  }
  if (!ok) {
    strata_explanation_free(e);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  e->features = (const char *const *)r->features;
  e->feature_group = r->group;
  e->labels = r->labels;
  e->rows_skipped = skipped;
  /* Nodes breadth-first from the root: children follow their parent in the
   * grow order, so a queue over the kept nodes gives the numbering. */
  rule_walk w;
  memset(&w, 0, sizeof w);
  w.g = g;
  w.r = r;
  int queue[STRATA_EXPLAIN_MAX_NODES], head = 0, tail = 0;
  queue[tail++] = 0;
  while (head < tail) {
    int n = queue[head++];
    w.map[n] = e->nnodes++;
    if (g->node[n].left >= 0) {
      queue[tail++] = g->node[n].left;
      queue[tail++] = g->node[n].right;
    }
  }
  for (int i = 0; i < tail; i++) {
    int n = queue[i];
    const strata_explain_grow_node *gn = &g->node[n];
    strata_explain_node *o = &r->nodes[w.map[n]];
    o->feature = gn->left >= 0 ? gn->feature : -1;
    o->threshold = gn->left >= 0 ? gn->threshold : NAN;
    o->left = gn->left >= 0 ? w.map[gn->left] : -1;
    o->right = gn->left >= 0 ? w.map[gn->right] : -1;
    o->rule = -1;
    o->segment = gn->segment;
    o->rows = gn->rows;
  }
  walk(&w, 0);
  e->nodes = r->nodes;
  e->rules = r->rules;
  uint64_t correct = 0;
  for (size_t c = 0; c < k; c++) r->seg_rows[c] = g->counts[c];
  for (int i = 0; i < e->nrules; i++) {
    correct += r->rules[i].correct;
    r->fid[r->rules[i].segment] += (double)r->rules[i].correct;
  }
  e->rows = g->node[0].rows;
  for (size_t c = 0; c < k; c++) r->fid[c] = r->seg_rows[c] ? r->fid[c] / (double)r->seg_rows[c] : NAN;
  e->fidelity = e->rows ? (double)correct / (double)e->rows : NAN;
  e->segment_fidelity = r->fid;
  e->segment_rows = r->seg_rows;
  *out = e;
  return STRATA_OK;
}

/* ---- the driver ---- */

static void explainer_free(explainer *E) {
  for (int i = 0; E->t && i < E->threads; i++) {
    ex_thread *t = &E->t[i];
    free(t->x); free(t->seg); free(t->sorted); free(t->hist); free(t->bmin); free(t->bmax);
  }
  free(E->t);
  free(E->grow.counts);
  if (E->tree.lock) strata_qtree_free(&E->tree);
  bins_free(&E->bins);
}

/* One pass counting the open nodes of a level into the threads'
 * histograms, summed into total (slots × nbins × k). */
static strata_status count_level(explainer *E, strata_pass *pass, int slots, uint64_t *total) {
  size_t nb = E->bins.off[E->d];
  E->hist_len = (size_t)slots * nb * E->k;
  for (int i = 0; i < E->threads; i++) {
    ex_thread *t = &E->t[i];
    memset(t->hist, 0, E->hist_len * sizeof *t->hist);
    if (E->first_level)
      for (size_t q = 0; q < nb; q++) {
        t->bmin[q] = INFINITY;
        t->bmax[q] = -INFINITY;
      }
  }
  strata_pass_fns fns = {.block = explain_block, .ctx = E};
  FORWARD_IF_ERROR(strata_pass_run(pass, &fns));
  memset(total, 0, E->hist_len * sizeof *total);
  for (int i = 0; i < E->threads; i++) {
    const ex_thread *t = &E->t[i];
    for (size_t q = 0; q < E->hist_len; q++) total[q] += t->hist[q];
    if (E->first_level)
      for (size_t q = 0; q < nb; q++) {
        if (t->bmin[q] < E->bins.bmin[q]) E->bins.bmin[q] = t->bmin[q];
        if (t->bmax[q] > E->bins.bmax[q]) E->bins.bmax[q] = t->bmax[q];
      }
  }
  return STRATA_OK;
}

static strata_status grow_tree(explainer *E, strata_pass *pass, int depth, int *grown) {
  size_t k = E->k, nb = E->bins.off[E->d];
  size_t widest = (size_t)1 << (depth - 1); /* slots of the last level at most */
  size_t len = widest * nb * k;
  uint64_t *total = malloc(len * sizeof *total);
  RETURN_IF(!total, STRATA_ERR_NOMEM, "out of memory for the explain histograms");
  strata_status st = STRATA_OK;
  for (int i = 0; i < E->threads && st == STRATA_OK; i++) {
    ex_thread *t = &E->t[i];
    t->hist = malloc(len * sizeof *t->hist);
    t->bmin = malloc(nb * sizeof *t->bmin);
    t->bmax = malloc(nb * sizeof *t->bmax);
    if (!t->hist || !t->bmin || !t->bmax)
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the explain histograms (%zu bytes per thread)",
                       len * sizeof *t->hist);
  }
  strata_explain_grow *g = &E->grow;
  g->nnodes = 1;
  g->node[0] = (strata_explain_grow_node){0, -1, 0.0, -1, -1, 0, 0, 0};
  int slots = 1;
  *grown = 0;
  for (int level = 0; st == STRATA_OK && slots > 0; level++) {
    E->first_level = level == 0;
    st = count_level(E, pass, slots, total);
    if (st != STRATA_OK) break;
    if (level == 0) {
      /* The root's counts: every row falls in one bin of feature 0. */
      memset(g->counts, 0, k * sizeof *g->counts);
      for (size_t bin = 0; bin < E->bins.nbins[0]; bin++)
        for (size_t c = 0; c < k; c++) g->counts[c] += total[bin * k + c];
      strata_explain_node_summary(g, 0);
      if (g->node[0].rows == 0) {
        st = strata_fail(STRATA_ERR_DATA, "no row to explain: every row lacks a segment or a value");
        break;
      }
      int seen = 0;
      for (size_t c = 0; c < k; c++) seen += g->counts[c] > 0;
      if (seen < 2) break; /* one segment: the root is the only rule */
    }
    int before = g->nnodes;
    slots = strata_explain_split_level(g, &E->bins, total, depth);
    if (g->nnodes > before) *grown = level + 1;
  }
  free(total);
  return st;
}

strata_status strata_explain(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                             const strata_explain_params *params, strata_explanation **out) {
  RETURN_IF(!m || !ds || !out, STRATA_ERR_USAGE, "strata_explain: NULL argument");
  *out = NULL;
  strata_explain_params defaults;
  strata_explain_params_init(&defaults);
  const strata_explain_params *p = params ? params : &defaults;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_explain_params"));
  /* Each rank would count only its own rows: no allreduce of the
   * histograms yet. */
  RETURN_IF(ctx && strata_comm_size(strata_ctx_comm(ctx)) > 1, STRATA_ERR_USAGE,
            "strata_explain does not run across MPI ranks yet: run it as one process");
  RETURN_IF(p->depth < 1 || p->depth > STRATA_EXPLAIN_MAX_DEPTH, STRATA_ERR_USAGE,
            "the depth of the tree must be 1..%d, not %d", STRATA_EXPLAIN_MAX_DEPTH, p->depth);
  const strata_model_info *mi = strata_model_get_info(m);
  size_t d = strata_dataset_cols(ds), n = strata_dataset_rows(ds), k = (size_t)mi->k;
  RETURN_IF(d != (size_t)mi->d, STRATA_ERR_COLUMN, "'%s' presents %zu feature columns but the model has %d",
            strata_dataset_path(ds), d, mi->d);
  for (size_t j = 0; j < d; j++)
    RETURN_IF(strcmp(strata_dataset_col_name(ds, j), mi->features[j]) != 0, STRATA_ERR_COLUMN,
              "column %zu of '%s' is '%s' but the model expects '%s'", j, strata_dataset_path(ds),
              strata_dataset_col_name(ds, j), mi->features[j]);
  RETURN_IF(k > 4096, STRATA_ERR_USAGE, "explain takes at most 4096 segments, the model has %zu", k);
  int32_t *seg = malloc((n ? n : 1) * sizeof *seg);
  RETURN_IF(!seg, STRATA_ERR_NOMEM, "out of memory for the segments of %zu rows", n);
  explainer E;
  memset(&E, 0, sizeof E);
  E.d = d;
  E.k = k;
  E.segment = seg;
  E.impute = mi->impute;
  E.names = mi->features;
  strata_pass *pass = NULL;
  strata_qsketch *qs = NULL;
  strata_status st;
  if (p->labels_path) GOTO_IF_ERROR(st, read_labels(p->labels_path, n, k, seg), done);
  else if (mi->estimator && strcmp(mi->estimator, "dbscan") == 0) {
    /* Its rows are assigned through core points into a labels file only. */
    st = strata_fail(STRATA_ERR_USAGE, "a DBSCAN model's segments come from a labels file: give its labels "
                     "(strata fit/assign --labels, then explain --labels)");
    goto done;
  } else GOTO_IF_ERROR(st, strata_assign_memory(ctx, m, ds, p->chunk_rows, seg, NULL, NULL, NULL), done);
  GOTO_IF_ERROR(st, strata_pass_open(ctx, ds, NULL, p->chunk_rows, 0, &pass), done);
  E.threads = strata_pass_threads(pass);
  E.t = calloc((size_t)E.threads, sizeof *E.t);
  E.grow.k = k;
  E.grow.counts = calloc((STRATA_EXPLAIN_MAX_NODES + 2) * k, sizeof *E.grow.counts);
  if (!E.t || !E.grow.counts) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
  for (int i = 0; i < E.threads; i++) {
    ex_thread *t = &E.t[i];
    t->x = malloc(STRATA_BLOCK_ROWS * d * sizeof *t->x);
    t->seg = malloc(STRATA_BLOCK_ROWS * sizeof *t->seg);
    t->sorted = malloc(2 * STRATA_BLOCK_ROWS * sizeof *t->sorted);
    if (!t->x || !t->seg || !t->sorted) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory"); goto done; }
  }
  /* The sketch pass: the bins. */
  qs = strata_qsketch_array_new(d);
  if (!qs) { st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the explain sketches"); goto done; }
  GOTO_IF_ERROR(st, strata_qtree_init(&E.tree, d), done);
  E.sketching = 1;
  strata_pass_fns fns = {.block = explain_block, .ctx = &E};
  GOTO_IF_ERROR(st, strata_pass_run(pass, &fns), done);
  E.sketching = 0;
  GOTO_IF_ERROR(st, strata_qtree_finish(&E.tree, qs), done);
  GOTO_IF_ERROR(st, make_bins(&E, qs), done);
  uint64_t skipped = 0;
  for (int i = 0; i < E.threads; i++) skipped += E.t[i].skipped;
  /* One pass per level. */
  int grown = 0;
  GOTO_IF_ERROR(st, grow_tree(&E, pass, p->depth, &grown), done);
  strata_explain_prune(&E.grow);
  st = build_result(&E, mi, p->labels_path, skipped, grown, out);
done:
  strata_qsketch_array_free(qs, d);
  strata_pass_free(pass);
  explainer_free(&E);
  free(seg);
  return st;
}
