/* The (customer, invoice) group-by of `strata rfm` with spilled runs
 * (io/rfm_runs.h). */
#include "rfm_runs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_number.h"
#include "csv_text.h"
#include "error.h"

/* Runs are merged like a log-structured tree: a spill is a run of level
 * 0, and FAN_IN runs of one level are merged into one of the next, so
 * every pair is rewritten about log_FAN_IN(spills) times and at most
 * (FAN_IN - 1) runs per level stay open. */
#define FAN_IN 8
#define MAX_RUNS 160

typedef struct {
  uint64_t off; /* key bytes, then invoice bytes, in the arena */
  uint32_t key_len, invoice_len;
  int64_t ikey;
  uint8_t is_int, cancelled;
  double dmin, dmax;
  strata_xacc amount;
} entry;

struct rfm_groups {
  char *dir;
  size_t mem_limit;
  char *arena;
  size_t arena_len, arena_cap;
  entry *e;
  size_t n, cap;
  uint32_t *slot; /* entry index + 1; 0 = empty; nslots a power of two */
  size_t nslots;
  FILE *run[MAX_RUNS];
  unsigned level[MAX_RUNS]; /* non-increasing along run[] */
  size_t nruns;
  uint64_t spilled; /* pairs in the runs */
};

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  return c ? c : (an > bn) - (an < bn);
}

int rfm_key_cmp(const rfm_pair *a, const rfm_pair *b) {
  if (a->is_int != b->is_int) return a->is_int ? -1 : 1;
  if (a->is_int) return (a->ikey > b->ikey) - (a->ikey < b->ikey);
  return cmp_bytes(a->key, a->key_len, b->key, b->key_len);
}

static int pair_cmp(const rfm_pair *a, const rfm_pair *b) {
  int c = rfm_key_cmp(a, b);
  return c ? c : cmp_bytes(a->invoice, a->invoice_len, b->invoice, b->invoice_len);
}

static rfm_pair as_pair(const rfm_groups *g, const entry *e) {
  rfm_pair p = {g->arena + e->off, g->arena + e->off + e->key_len, e->key_len, e->invoice_len, e->ikey,
                e->is_int, e->cancelled, e->dmin, e->dmax, e->amount};
  return p;
}

strata_status rfm_groups_new(const char *dir, size_t mem_limit, rfm_groups **out) {
  *out = NULL;
  rfm_groups *g = calloc(1, sizeof *g);
  RETURN_IF(!g, STRATA_ERR_NOMEM, "out of memory");
  g->dir = strdup(dir);
  g->mem_limit = mem_limit ? mem_limit : 1;
  g->nslots = 64;
  g->slot = calloc(g->nslots, sizeof *g->slot);
  if (!g->dir || !g->slot) {
    rfm_groups_free(g);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  *out = g;
  return STRATA_OK;
}

void rfm_groups_free(rfm_groups *g) {
  if (!g) return;
  for (size_t r = 0; r < g->nruns; r++) fclose(g->run[r]);
  free(g->dir);
  free(g->arena);
  free(g->e);
  free(g->slot);
  free(g);
}

size_t rfm_groups_runs(const rfm_groups *g) { return g->nruns; }
uint64_t rfm_groups_bound(const rfm_groups *g) { return g->spilled + g->n; }


/* ------------------------------------------------------------ run files */

/* An unlinked temporary file in the output's directory: it disappears with
 * the process however the run ends. */
static strata_status open_run(const rfm_groups *g, FILE **out) {
  size_t len = strlen(g->dir) + 32;
  char *path = malloc(len);
  RETURN_IF(!path, STRATA_ERR_NOMEM, "out of memory");
  snprintf(path, len, "%s/.strata-rfm-XXXXXX", g->dir);
  int fd = mkstemp(path);
  int err = errno;
  if (fd >= 0) unlink(path);
  strata_status st = STRATA_OK;
  if (fd < 0) st = strata_fail(STRATA_ERR_WRITE, "cannot create a temporary run file in '%s': %s", g->dir, strerror(err));
  else if (!(*out = fdopen(fd, "w+b"))) {
    close(fd);
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  free(path);
  return st;
}

static int put_pair(FILE *f, const rfm_pair *p) {
  strata_xacc a = p->amount;
  strata_xacc_carry(&a);
  return fwrite(&p->is_int, 1, 1, f) == 1 && fwrite(&p->cancelled, 1, 1, f) == 1 &&
         fwrite(&p->ikey, sizeof p->ikey, 1, f) == 1 && fwrite(&p->key_len, sizeof p->key_len, 1, f) == 1 &&
         fwrite(&p->invoice_len, sizeof p->invoice_len, 1, f) == 1 &&
         fwrite(p->key, 1, p->key_len, f) == p->key_len && fwrite(p->invoice, 1, p->invoice_len, f) == p->invoice_len &&
         fwrite(&p->dmin, sizeof p->dmin, 1, f) == 1 && fwrite(&p->dmax, sizeof p->dmax, 1, f) == 1 &&
         fwrite(&a, sizeof a, 1, f) == 1;
}

/* A sorted stream of pairs: a run file or the sorted table. */
typedef struct {
  FILE *f;               /* NULL: the table */
  const rfm_groups *g;
  const size_t *order;   /* the table's entries in order */
  size_t at, n;
  char *buf;             /* a file's key and invoice bytes */
  size_t buf_cap;
  rfm_pair cur;
  int live;
} source;

static strata_status source_next(source *s) {
  s->live = 0;
  if (!s->f) {
    if (s->at == s->n) return STRATA_OK;
    s->cur = as_pair(s->g, &s->g->e[s->order[s->at++]]);
    s->live = 1;
    return STRATA_OK;
  }
  rfm_pair *p = &s->cur;
  if (fread(&p->is_int, 1, 1, s->f) != 1) {
    RETURN_IF(ferror(s->f), STRATA_ERR_IO, "cannot read a temporary run file: %s", strerror(errno));
    return STRATA_OK; /* end of the run */
  }
  int ok = fread(&p->cancelled, 1, 1, s->f) == 1 && fread(&p->ikey, sizeof p->ikey, 1, s->f) == 1 &&
           fread(&p->key_len, sizeof p->key_len, 1, s->f) == 1 &&
           fread(&p->invoice_len, sizeof p->invoice_len, 1, s->f) == 1;
  size_t need = ok ? (size_t)p->key_len + p->invoice_len : 0;
  if (ok && need > s->buf_cap) {
    char *b = realloc(s->buf, need);
    RETURN_IF(!b, STRATA_ERR_NOMEM, "out of memory");
    s->buf = b;
    s->buf_cap = need;
  }
  ok = ok && fread(s->buf, 1, need, s->f) == need && fread(&p->dmin, sizeof p->dmin, 1, s->f) == 1 &&
       fread(&p->dmax, sizeof p->dmax, 1, s->f) == 1 && fread(&p->amount, sizeof p->amount, 1, s->f) == 1;
  RETURN_IF(!ok, STRATA_ERR_IO, "cannot read a temporary run file: it is truncated");
  p->key = s->buf;
  p->invoice = s->buf + p->key_len;
  s->live = 1;
  return STRATA_OK;
}

/* What the sort moves: the order of a table entry, self-contained because
 * qsort passes no context. */
typedef struct {
  rfm_pair p; /* key, invoice, is_int, ikey: what the order reads */
  size_t index;
} sort_item;

static int item_cmp(const void *a, const void *b) {
  return pair_cmp(&((const sort_item *)a)->p, &((const sort_item *)b)->p);
}

static strata_status sorted_order(const rfm_groups *g, size_t **out) {
  size_t n = g->n ? g->n : 1;
  *out = malloc(n * sizeof **out);
  sort_item *items = malloc(n * sizeof *items);
  if (!*out || !items) {
    free(*out);
    free(items);
    *out = NULL;
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < g->n; i++) {
    const entry *e = &g->e[i];
    items[i].p = (rfm_pair){.key = g->arena + e->off, .invoice = g->arena + e->off + e->key_len,
                            .key_len = e->key_len, .invoice_len = e->invoice_len, .ikey = e->ikey,
                            .is_int = e->is_int};
    items[i].index = i;
  }
  qsort(items, g->n, sizeof *items, item_cmp);
  for (size_t i = 0; i < g->n; i++) (*out)[i] = items[i].index;
  free(items);
  return STRATA_OK;
}

/* Merges the sources (each sorted, each pair once) and hands out each
 * distinct pair once, equal pairs combined. */
static strata_status merge(source *src, size_t k, rfm_pair_fn each, void *ctx) {
  strata_status st = STRATA_OK;
  for (size_t s = 0; s < k && st == STRATA_OK; s++) st = source_next(&src[s]);
  rfm_pair cur;
  char *cur_buf = NULL;
  size_t cur_cap = 0;
  int have = 0;
  while (st == STRATA_OK) {
    size_t m = k;
    for (size_t s = 0; s < k; s++)
      if (src[s].live && (m == k || pair_cmp(&src[s].cur, &src[m].cur) < 0)) m = s;
    if (m == k) break;
    const rfm_pair *p = &src[m].cur;
    if (have && pair_cmp(&cur, p) == 0) {
      if (p->dmin < cur.dmin) cur.dmin = p->dmin;
      if (p->dmax > cur.dmax) cur.dmax = p->dmax;
      strata_xacc_combine(&cur.amount, &p->amount);
      strata_xacc_carry(&cur.amount);
    } else {
      if (have && (st = each(ctx, &cur)) != STRATA_OK) break;
      size_t need = (size_t)p->key_len + p->invoice_len;
      if (need > cur_cap) {
        char *b = realloc(cur_buf, need);
        if (!b) {
          st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
          break;
        }
        cur_buf = b;
        cur_cap = need;
      }
      cur = *p;
      memcpy(cur_buf, p->key, p->key_len);
      memcpy(cur_buf + p->key_len, p->invoice, p->invoice_len);
      cur.key = cur_buf;
      cur.invoice = cur_buf + p->key_len;
      have = 1;
    }
    st = source_next(&src[m]);
  }
  if (st == STRATA_OK && have) st = each(ctx, &cur);
  free(cur_buf);
  return st;
}

static strata_status write_each(void *ctx, const rfm_pair *p) {
  RETURN_IF(!put_pair(ctx, p), STRATA_ERR_WRITE, "cannot write a temporary run file: %s", strerror(errno));
  return STRATA_OK;
}

/* Merges runs [from, nruns), and the table when `order` is given, into
 * `each`. */
static strata_status merge_runs(rfm_groups *g, size_t from, const size_t *order, rfm_pair_fn each, void *ctx) {
  source src[MAX_RUNS + 1];
  memset(src, 0, sizeof src);
  size_t k = 0;
  strata_status st = STRATA_OK;
  for (size_t r = from; r < g->nruns && st == STRATA_OK; r++) {
    src[k++].f = g->run[r];
    if (fflush(g->run[r]) != 0 || fseek(g->run[r], 0, SEEK_SET) != 0)
      st = strata_fail(STRATA_ERR_IO, "cannot rewind a temporary run file: %s", strerror(errno));
  }
  if (order) src[k++] = (source){.g = g, .order = order, .n = g->n};
  if (st == STRATA_OK) st = merge(src, k, each, ctx);
  for (size_t s = 0; s < k; s++) free(src[s].buf);
  return st;
}

/* While the last FAN_IN runs share a level, merges them into one run of
 * the next level. */
static strata_status cascade(rfm_groups *g) {
  while (g->nruns >= FAN_IN && g->level[g->nruns - FAN_IN] == g->level[g->nruns - 1]) {
    size_t from = g->nruns - FAN_IN;
    FILE *f;
    FORWARD_IF_ERROR(open_run(g, &f));
    strata_status st = merge_runs(g, from, NULL, write_each, f);
    if (st != STRATA_OK) {
      fclose(f);
      return st;
    }
    for (size_t r = from; r < g->nruns; r++) fclose(g->run[r]);
    g->level[from]++;
    g->run[from] = f;
    g->nruns = from + 1;
  }
  return STRATA_OK;
}

static void reset_table(rfm_groups *g) {
  g->n = 0;
  g->arena_len = 0;
  memset(g->slot, 0, g->nslots * sizeof *g->slot);
}

/* The table as a sorted run of level 0. */
static strata_status spill(rfm_groups *g) {
  RETURN_IF(g->nruns == MAX_RUNS, STRATA_ERR_INTERNAL, "too many spilled runs");
  size_t *order;
  FORWARD_IF_ERROR(sorted_order(g, &order));
  FILE *f;
  strata_status st = open_run(g, &f);
  for (size_t i = 0; i < g->n && st == STRATA_OK; i++) {
    rfm_pair p = as_pair(g, &g->e[order[i]]);
    st = write_each(f, &p);
  }
  free(order);
  if (st != STRATA_OK) {
    if (f) fclose(f);
    return st;
  }
  g->level[g->nruns] = 0;
  g->run[g->nruns++] = f;
  g->spilled += g->n;
  reset_table(g);
  return cascade(g);
}

/* ------------------------------------------------------------ the table */

static uint64_t pair_hash(const char *key, size_t kn, const char *inv, size_t in) {
  return csv_hash(key, kn) * UINT64_C(0x9e3779b97f4a7c15) ^ csv_hash(inv, in);
}

static int grow_slots(rfm_groups *g) {
  size_t ns = g->nslots * 2;
  uint32_t *s = calloc(ns, sizeof *s);
  if (!s) return 0;
  for (size_t i = 0; i < g->n; i++) {
    const entry *e = &g->e[i];
    uint64_t h = pair_hash(g->arena + e->off, e->key_len, g->arena + e->off + e->key_len, e->invoice_len);
    size_t at = (size_t)h & (ns - 1);
    while (s[at]) at = (at + 1) & (ns - 1);
    s[at] = (uint32_t)(i + 1);
  }
  free(g->slot);
  g->slot = s;
  g->nslots = ns;
  return 1;
}

strata_status rfm_groups_add(rfm_groups *g, const char *key, size_t key_len, const char *invoice,
                             size_t invoice_len, double day, double x, double y) {
  RETURN_IF(key_len > UINT32_MAX / 2 || invoice_len > UINT32_MAX / 2, STRATA_ERR_DATA, "a key is too long");
  uint64_t h = pair_hash(key, key_len, invoice, invoice_len);
  size_t at = (size_t)h & (g->nslots - 1);
  for (uint32_t s; (s = g->slot[at]) != 0; at = (at + 1) & (g->nslots - 1)) {
    entry *e = &g->e[s - 1];
    if (e->key_len == key_len && e->invoice_len == invoice_len && memcmp(g->arena + e->off, key, key_len) == 0 &&
        memcmp(g->arena + e->off + key_len, invoice, invoice_len) == 0) {
      if (day < e->dmin) e->dmin = day;
      if (day > e->dmax) e->dmax = day;
      strata_xacc_add_product(&e->amount, x, y);
      return STRATA_OK;
    }
  }
  /* A new pair.  The buffers only grow while they stay within the limit;
   * when growing would pass it, the table spills instead and is reused. */
  size_t bytes = key_len + invoice_len;
  size_t ecap = g->n == g->cap ? (g->cap ? 2 * g->cap : 16) : g->cap;
  size_t acap = g->arena_cap;
  if (g->arena_len + bytes > acap) {
    acap = acap ? 2 * acap : 4096;
    while (acap < g->arena_len + bytes) acap *= 2;
  }
  size_t ns = 2 * (g->n + 1) > g->nslots ? 2 * g->nslots : g->nslots;
  if (g->n > 0 && acap + ecap * sizeof(entry) + ns * sizeof *g->slot > g->mem_limit) {
    FORWARD_IF_ERROR(spill(g));
    return rfm_groups_add(g, key, key_len, invoice, invoice_len, day, x, y);
  }
  if (g->n == g->cap) {
    entry *e = realloc(g->e, ecap * sizeof *e);
    RETURN_IF(!e, STRATA_ERR_NOMEM, "out of memory");
    g->e = e;
    g->cap = ecap;
  }
  if (g->arena_len + bytes > g->arena_cap) {
    char *a = realloc(g->arena, acap);
    RETURN_IF(!a, STRATA_ERR_NOMEM, "out of memory");
    g->arena = a;
    g->arena_cap = acap;
  }
  RETURN_IF(g->n >= UINT32_MAX - 1, STRATA_ERR_NOMEM, "too many pairs in memory");
  entry *e = &g->e[g->n];
  memset(e, 0, sizeof *e);
  e->off = g->arena_len;
  e->key_len = (uint32_t)key_len;
  e->invoice_len = (uint32_t)invoice_len;
  memcpy(g->arena + g->arena_len, key, key_len);
  memcpy(g->arena + g->arena_len + key_len, invoice, invoice_len);
  g->arena_len += bytes;
  e->is_int = csv_parse_int64(key, key_len, &e->ikey) == 1;
  size_t i = 0;
  while (i < invoice_len && (invoice[i] == ' ' || invoice[i] == '\t')) i++;
  e->cancelled = i < invoice_len && invoice[i] == 'C';
  e->dmin = e->dmax = day;
  strata_xacc_add_product(&e->amount, x, y);
  g->slot[at] = (uint32_t)(++g->n);
  if (2 * g->n > g->nslots) RETURN_IF(!grow_slots(g), STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

strata_status rfm_groups_walk(rfm_groups *g, rfm_pair_fn each, void *ctx) {
  size_t *order;
  FORWARD_IF_ERROR(sorted_order(g, &order));
  strata_status st = merge_runs(g, 0, order, each, ctx);
  free(order);
  return st;
}
