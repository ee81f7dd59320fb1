/* The quantile sketch (see quantile.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "quantile.h"

void strata_qsketch_init(strata_qsketch *s) { memset(s, 0, sizeof *s); }

void strata_qsketch_free(strata_qsketch *s) {
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) free(s->level[h]);
  memset(s, 0, sizeof *s);
}

/* Merges sorted `v` into sorted level h in place (from the back). */
static strata_status level_merge(strata_qsketch *s, int h, const float *v, size_t count) {
  RETURN_IF(h >= STRATA_QSKETCH_LEVELS, STRATA_ERR_INTERNAL, "quantile sketch overflow");
  if (s->count[h] + count > s->cap[h]) {
    /* Grown as needed (a block's sketch of a rare segment stays small). */
    size_t cap = 2 * s->cap[h];
    if (cap < s->count[h] + count) cap = s->count[h] + count;
    float *grown = realloc(s->level[h], cap * sizeof *grown);
    RETURN_IF(!grown, STRATA_ERR_NOMEM, "out of memory for the quantile sketch");
    s->level[h] = grown;
    s->cap[h] = cap;
  }
  float *a = s->level[h];
  size_t na = s->count[h], i = na, j = count, w = na + count;
  while (j > 0) {
    if (i > 0 && a[i - 1] > v[j - 1]) a[--w] = a[--i];
    else a[--w] = v[--j];
  }
  s->count[h] = na + count;
  return STRATA_OK;
}

/* Keeps every other value of a full level and pushes them one level up. */
static strata_status compact(strata_qsketch *s, int h) {
  while (s->count[h] >= STRATA_QSKETCH_K) {
    float *a = s->level[h];
    size_t n = s->count[h];
    unsigned off = (s->parity >> h) & 1u;
    s->parity ^= 1u << h;
    size_t half = 0;
    /* Even count only: an odd one stays behind at the top of the level. */
    size_t m = n & ~(size_t)1;
    float left = a[n - 1];
    int keep_last = (n & 1) != 0;
    float *up = a; /* survivors packed to the front, sorted */
    for (size_t i = off; i < m; i += 2) up[half++] = a[i];
    /* Push survivors up before reusing this level. */
    strata_status st = level_merge(s, h + 1, up, half);
    if (st != STRATA_OK) return st;
    s->count[h] = 0;
    if (keep_last) { a[0] = left; s->count[h] = 1; }
    h++;
  }
  return STRATA_OK;
}

strata_status strata_qsketch_add_sorted(strata_qsketch *s, const float *v, size_t count) {
  s->n += count;
  while (count > 0) {
    size_t take = count < STRATA_QSKETCH_K ? count : STRATA_QSKETCH_K;
    FORWARD_IF_ERROR(level_merge(s, 0, v, take));
    FORWARD_IF_ERROR(compact(s, 0));
    v += take;
    count -= take;
  }
  return STRATA_OK;
}

strata_status strata_qsketch_merge(strata_qsketch *into, strata_qsketch *from) {
  strata_status st = STRATA_OK;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS && st == STRATA_OK; h++)
    if (from->count[h]) st = level_merge(into, h, from->level[h], from->count[h]);
  for (int h = 0; h < STRATA_QSKETCH_LEVELS && st == STRATA_OK; h++)
    if (into->count[h] >= STRATA_QSKETCH_K) st = compact(into, h);
  into->parity ^= from->parity;
  into->n += from->n;
  strata_qsketch_free(from);
  return st;
}

strata_qsketch *strata_qsketch_array_new(size_t ncols) {
  return calloc(ncols ? ncols : 1, sizeof(strata_qsketch));
}

void strata_qsketch_array_free(strata_qsketch *s, size_t ncols) {
  if (!s) return;
  for (size_t j = 0; j < ncols; j++) strata_qsketch_free(&s[j]);
  free(s);
}

/* ---- the fixed merge tree ---- */

struct strata_qnode {
  size_t level, index; /* covers blocks index·2^level .. (index+1)·2^level - 1 */
  strata_qsketch *s;
  strata_qnode *next;
};

static strata_status merge_columns(size_t ncols, strata_qsketch *into, strata_qsketch *from) {
  strata_status st = STRATA_OK;
  for (size_t j = 0; j < ncols; j++) {
    strata_status sj = strata_qsketch_merge(&into[j], &from[j]);
    if (st == STRATA_OK) st = sj;
  }
  free(from);
  return st;
}

strata_status strata_qtree_init(strata_qtree *t, size_t ncols) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  t->lock = malloc(sizeof(omp_lock_t));
  RETURN_IF(!t->lock, STRATA_ERR_NOMEM, "out of memory for the quantile sketch");
  omp_init_lock(t->lock);
  return STRATA_OK;
}

void strata_qtree_free(strata_qtree *t) {
  while (t->pending) {
    strata_qnode *n = t->pending;
    t->pending = n->next;
    strata_qsketch_array_free(n->s, t->ncols);
    free(n);
  }
  if (t->lock) {
    omp_destroy_lock(t->lock);
    free(t->lock);
  }
  memset(t, 0, sizeof *t);
}

/* Inserts a node, merging it with its sibling while that is waiting. */
static strata_status insert_node(strata_qtree *t, strata_qnode *node) {
  for (;;) {
    omp_set_lock(t->lock);
    strata_qnode **at = &t->pending, *sib = NULL;
    for (; *at; at = &(*at)->next)
      if ((*at)->level == node->level && (*at)->index == (node->index ^ 1)) {
        sib = *at;
        *at = sib->next;
        break;
      }
    if (!sib) {
      node->next = t->pending;
      t->pending = node;
      omp_unset_lock(t->lock);
      return STRATA_OK;
    }
    omp_unset_lock(t->lock);
    /* The lower sibling is always the left operand. */
    strata_qnode *left = sib->index < node->index ? sib : node, *right = left == sib ? node : sib;
    strata_status st = merge_columns(t->ncols, left->s, right->s);
    free(right);
    left->level++;
    left->index >>= 1;
    node = left;
    if (st != STRATA_OK) {
      strata_qsketch_array_free(node->s, t->ncols);
      free(node);
      return st;
    }
  }
}

strata_status strata_qtree_add(strata_qtree *t, size_t index, strata_qsketch *leaf) {
  strata_qnode *node = malloc(sizeof *node);
  if (!node) {
    strata_qsketch_array_free(leaf, t->ncols);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the quantile sketch");
  }
  *node = (strata_qnode){0, index, leaf, NULL};
  return insert_node(t, node);
}

strata_status strata_qtree_combine(strata_qtree *into, strata_qtree *from) {
  strata_status st = STRATA_OK;
  while (from->pending) {
    strata_qnode *n = from->pending;
    from->pending = n->next;
    n->next = NULL;
    strata_status sn = insert_node(into, n);
    if (st == STRATA_OK) st = sn;
  }
  return st;
}

static int node_before(const strata_qnode *a, const strata_qnode *b) {
  return (a->index << a->level) < (b->index << b->level);
}

strata_status strata_qtree_finish(strata_qtree *t, strata_qsketch *out) {
  /* Sort what is left by first block (a handful of nodes: insertion). */
  strata_qnode *sorted = NULL;
  while (t->pending) {
    strata_qnode *n = t->pending, **at = &sorted;
    t->pending = n->next;
    while (*at && node_before(*at, n)) at = &(*at)->next;
    n->next = *at;
    *at = n;
  }
  /* Fold from the last block back: merge(node_i, merge(node_i+1, ...)). */
  strata_qsketch *acc = NULL;
  strata_status st = STRATA_OK;
  strata_qnode *rev = NULL;
  while (sorted) {
    strata_qnode *n = sorted;
    sorted = n->next;
    n->next = rev;
    rev = n;
  }
  while (rev) {
    strata_qnode *n = rev;
    rev = n->next;
    if (acc && st == STRATA_OK) st = merge_columns(t->ncols, n->s, acc);
    else if (acc) strata_qsketch_array_free(acc, t->ncols);
    acc = n->s;
    free(n);
  }
  if (acc && st == STRATA_OK) {
    for (size_t j = 0; j < t->ncols; j++) {
      strata_qsketch_free(&out[j]);
      out[j] = acc[j];
    }
    free(acc);
  } else {
    strata_qsketch_array_free(acc, t->ncols);
  }
  return st;
}

typedef struct { float v; uint64_t w; } weighted;

static int cmp_weighted(const void *a, const void *b) {
  float x = ((const weighted *)a)->v, y = ((const weighted *)b)->v;
  return (x > y) - (x < y);
}

double strata_qsketch_quantile(const strata_qsketch *s, double q) {
  double out;
  return strata_qsketch_quantiles(s, &q, 1, &out) == STRATA_OK ? out : NAN;
}

strata_status strata_qsketch_quantiles(const strata_qsketch *s, const double *q, size_t nq, double *out) {
  size_t total = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) total += s->count[h];
  for (size_t i = 0; i < nq; i++) out[i] = NAN;
  if (total == 0) return STRATA_OK;
  weighted *all = malloc(total * sizeof *all);
  if (!all) return STRATA_ERR_NOMEM;
  size_t w = 0;
  uint64_t weight = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    for (size_t i = 0; i < s->count[h]; i++) {
      all[w++] = (weighted){s->level[h][i], (uint64_t)1 << h};
      weight += (uint64_t)1 << h;
    }
  qsort(all, total, sizeof *all, cmp_weighted);
  /* Lower median for even counts, as a sorted array's element at
   * floor(q * (n - 1)). */
  for (size_t j = 0; j < nq; j++) {
    double target = q[j] * (double)(weight - 1);
    uint64_t cum = 0;
    out[j] = all[total - 1].v;
    for (size_t i = 0; i < total; i++) {
      cum += all[i].w;
      if ((double)cum > target) { out[j] = all[i].v; break; }
    }
  }
  free(all);
  return STRATA_OK;
}

double strata_qsketch_quantile_linear(const strata_qsketch *s, double q) {
  size_t total = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) total += s->count[h];
  if (total == 0) return NAN;
  weighted *all = malloc(total * sizeof *all);
  if (!all) return NAN;
  size_t w = 0;
  uint64_t weight = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    for (size_t i = 0; i < s->count[h]; i++) {
      all[w++] = (weighted){s->level[h][i], (uint64_t)1 << h};
      weight += (uint64_t)1 << h;
    }
  qsort(all, total, sizeof *all, cmp_weighted);
  /* numpy's "linear": position q (W - 1) between the values of ranks
   * floor and floor + 1, a value of weight w standing for w ranks. */
  double pos = q * (double)(weight - 1);
  uint64_t r0 = (uint64_t)floor(pos), r1 = r0 + 1 < weight ? r0 + 1 : r0;
  double v0 = all[total - 1].v, v1 = v0;
  uint64_t cum = 0;
  int have0 = 0;
  for (size_t i = 0; i < total; i++) {
    cum += all[i].w;
    if (!have0 && cum > r0) { v0 = all[i].v; have0 = 1; }
    if (cum > r1) { v1 = all[i].v; break; }
  }
  free(all);
  return v0 + (pos - (double)r0) * (v1 - v0);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

size_t strata_sort_finite_column(const float *x, size_t rows, size_t d, size_t j, float *out) {
  size_t n = 0;
  for (size_t i = 0; i < rows; i++) {
    float v = x[i * d + j];
    if (isfinite(v)) out[n++] = v;
  }
  qsort(out, n, sizeof *out, cmp_float);
  return n;
}

/* ---- the pending nodes as bytes (MPI: quantile_comm.c) ---- */

strata_status strata_qtree_pack(const strata_qtree *t, void **bytes, size_t *size) {
  strata_wbuf b = {0};
  uint64_t nodes = 0;
  for (const strata_qnode *n = t->pending; n; n = n->next) nodes++;
  strata_wbuf_put_u64(&b, nodes);
  for (const strata_qnode *n = t->pending; n; n = n->next) {
    strata_wbuf_put_u64(&b, n->level);
    strata_wbuf_put_u64(&b, n->index);
    for (size_t j = 0; j < t->ncols; j++) {
      const strata_qsketch *s = &n->s[j];
      strata_wbuf_put_u64(&b, s->n);
      strata_wbuf_put_u64(&b, s->parity);
      for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) {
        strata_wbuf_put_u64(&b, s->count[h]);
        if (s->count[h]) strata_wbuf_put(&b, s->level[h], s->count[h] * sizeof(float));
      }
    }
  }
  if (b.failed) {
    free(b.p);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the quantile sketches");
  }
  *bytes = b.p;
  *size = b.n;
  return STRATA_OK;
}

/* One node's ncols sketches from b; NULL (b marked bad) when truncated,
 * NULL with b good when out of memory. */
static strata_qsketch *unpack_sketches(strata_rbuf *b, size_t ncols) {
  strata_qsketch *s = strata_qsketch_array_new(ncols);
  for (size_t j = 0; s && j < ncols && !b->bad; j++) {
    s[j].n = strata_rbuf_u64(b);
    s[j].parity = (unsigned)strata_rbuf_u64(b);
    for (int h = 0; h < STRATA_QSKETCH_LEVELS && !b->bad; h++) {
      uint64_t count = strata_rbuf_u64(b);
      if (count > strata_rbuf_left(b) / sizeof(float)) b->bad = 1;
      if (b->bad || !count) continue;
      if (!(s[j].level[h] = malloc((size_t)count * sizeof(float)))) {
        strata_qsketch_array_free(s, ncols);
        return NULL;
      }
      strata_rbuf_get(b, s[j].level[h], (size_t)count * sizeof(float));
      s[j].count[h] = s[j].cap[h] = (size_t)count;
    }
  }
  if (s && b->bad) {
    strata_qsketch_array_free(s, ncols);
    s = NULL;
  }
  return s;
}

strata_status strata_qtree_unpack(strata_qtree *t, const void *bytes, size_t size) {
  strata_rbuf b = {bytes, size, 0, 0};
  uint64_t nodes = strata_rbuf_u64(&b);
  strata_status st = STRATA_OK;
  for (uint64_t i = 0; i < nodes && st == STRATA_OK; i++) {
    size_t level = (size_t)strata_rbuf_u64(&b), index = (size_t)strata_rbuf_u64(&b);
    strata_qsketch *s = b.bad ? NULL : unpack_sketches(&b, t->ncols);
    strata_qnode *node = s ? malloc(sizeof *node) : NULL;
    if (b.bad) st = strata_fail(STRATA_ERR_INTERNAL, "a truncated quantile sketch message");
    else if (!node) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the quantile sketches");
    if (st != STRATA_OK) {
      strata_qsketch_array_free(s, t->ncols);
      free(node);
      break;
    }
    *node = (strata_qnode){level, index, s, NULL};
    st = insert_node(t, node);
  }
  if (st == STRATA_OK && b.bad) st = strata_fail(STRATA_ERR_INTERNAL, "a truncated quantile sketch message");
  return st;
}
