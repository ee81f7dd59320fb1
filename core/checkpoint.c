/* Checkpoint files of a k-means fit (see checkpoint.h). */
#include "checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "comm.h"
#include "ctx.h"
#include "dataset.h"
#include "error.h"
#include "output_file.h"

static const char MAGIC[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'C', 'K'};
enum { VERSION = 1, HEADER = 8 + 4 + 4 + 8, TRAILER = 8 };
static const uint32_t BYTE_ORDER_MARK = 0x01020304u;

static uint64_t fnv1a(const void *data, size_t n, uint64_t h) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}
#define FNV_START 14695981039346656037ull

/* ------------------------------------------------------------ fingerprint */

static strata_status fp_add(strata_fingerprint *fp, const char *fmt, ...) STRATA_PRINTF(2, 3);
static strata_status fp_add(strata_fingerprint *fp, const char *fmt, ...) {
  if (fp->n == fp->cap) {
    size_t cap = fp->cap ? 2 * fp->cap : 32;
    char **items = realloc(fp->items, cap * sizeof *items);
    RETURN_IF(!items, STRATA_ERR_NOMEM, "out of memory");
    fp->items = items;
    fp->cap = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
  RETURN_IF(!s, STRATA_ERR_NOMEM, "out of memory");
  va_start(ap, fmt);
  vsnprintf(s, (size_t)len + 1, fmt, ap);
  va_end(ap);
  fp->items[fp->n++] = s;
  return STRATA_OK;
}

void strata_fingerprint_free(strata_fingerprint *fp) {
  for (size_t i = 0; i < fp->n; i++) free(fp->items[i]);
  free(fp->items);
  memset(fp, 0, sizeof *fp);
}

strata_status strata_fingerprint_input(strata_fingerprint *fp, strata_dataset *ds, const strata_fit_params *p) {
  const char *path = strata_dataset_path(ds);
  /* The absolute path: a requeued job may start in another directory. */
  char *abs = path ? realpath(path, NULL) : NULL;
  struct stat sb;
  int have = path && stat(path, &sb) == 0;
  strata_status st = fp_add(fp, "input=%s", abs ? abs : path ? path : "(memory)");
  free(abs);
  FORWARD_IF_ERROR(st);
  const char *loc = strata_dataset_location(ds);
  FORWARD_IF_ERROR(fp_add(fp, "dataset=%s", loc ? loc : ""));
  if (have) {
    FORWARD_IF_ERROR(fp_add(fp, "input size=%lld bytes", (long long)sb.st_size));
    FORWARD_IF_ERROR(fp_add(fp, "input modified=%lld.%09ld", (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec));
  }
  size_t d = strata_dataset_cols(ds);
  FORWARD_IF_ERROR(fp_add(fp, "rows=%zu", strata_dataset_rows(ds)));
  /* Names joined: a long list is hashed so that the message stays a line. */
  uint64_t h = FNV_START;
  for (size_t j = 0; j < d; j++) {
    const char *name = strata_dataset_col_name(ds, j);
    h = fnv1a(name, strlen(name) + 1, h);
  }
  FORWARD_IF_ERROR(fp_add(fp, "features=%zu columns, %s%s (names hash %016llx)", d, d ? strata_dataset_col_name(ds, 0) : "",
                          d > 1 ? ", ..." : "", (unsigned long long)h));
  FORWARD_IF_ERROR(fp_add(fp, "algorithm=%s", p->algorithm ? p->algorithm : "kmeans"));
  FORWARD_IF_ERROR(fp_add(fp, "k=%d", p->k));
  FORWARD_IF_ERROR(fp_add(fp, "seed=%llu", (unsigned long long)p->seed));
  FORWARD_IF_ERROR(fp_add(fp, "scale=%d", (int)p->scale));
  FORWARD_IF_ERROR(fp_add(fp, "missing=%d", (int)p->missing));
  FORWARD_IF_ERROR(fp_add(fp, "init=%d", (int)p->init));
  if (p->init == STRATA_INIT_GIVEN && p->init_centroids) {
    uint64_t c = fnv1a(p->init_centroids, (size_t)p->k * d * sizeof *p->init_centroids, FNV_START);
    FORWARD_IF_ERROR(fp_add(fp, "initial centroids=hash %016llx", (unsigned long long)c));
  }
  FORWARD_IF_ERROR(fp_add(fp, "n-init=%d", p->n_init));
  FORWARD_IF_ERROR(fp_add(fp, "max-iter=%d", p->max_iter));
  FORWARD_IF_ERROR(fp_add(fp, "tol=%.17g", p->tol));
  FORWARD_IF_ERROR(fp_add(fp, "init-sample=%zu", p->init_sample));
  FORWARD_IF_ERROR(fp_add(fp, "categorical-weight=%.17g", p->categorical_weight));
  FORWARD_IF_ERROR(fp_add(fp, "warm-start=%d", p->warm_start));
  /* Only with row weights, so that unweighted checkpoints keep their lines. */
  if (strata_dataset_weights_name(ds)) FORWARD_IF_ERROR(fp_add(fp, "weights=%s", strata_dataset_weights_name(ds)));
  return fp_add(fp, "parent model=%s", p->parent ? (p->parent_path ? p->parent_path : "(given)") : "(none)");
}

strata_status strata_fingerprint_data(strata_fingerprint *fp, const strata_fit_data *f) {
  size_t d = f->d;
  uint64_t h = FNV_START;
  h = fnv1a(f->scaler.shift, d * sizeof(double), h);
  h = fnv1a(f->scaler.factor, d * sizeof(double), h);
  h = fnv1a(f->scaler.impute, d * sizeof(double), h);
  FORWARD_IF_ERROR(fp_add(fp, "rows used=%llu", (unsigned long long)f->kept));
  return fp_add(fp, "data statistics=scaler hash %016llx", (unsigned long long)h);
}

/* ------------------------------------------------------------ encoding */

typedef strata_wbuf wbuf;
static void put(wbuf *b, const void *v, size_t n) { strata_wbuf_put(b, v, n); }
static void put_u32(wbuf *b, uint32_t v) { strata_wbuf_put_u32(b, v); }
static void put_i32(wbuf *b, int v) { put_u32(b, (uint32_t)v); }
static void put_u64(wbuf *b, uint64_t v) { strata_wbuf_put_u64(b, v); }
static void put_str(wbuf *b, const char *s) {
  size_t n = strlen(s);
  put_u32(b, (uint32_t)n);
  put(b, s, n);
}
static void put_f64s(wbuf *b, const double *v, size_t n) { put(b, v, n * sizeof *v); }
static void put_iters(wbuf *b, const strata_iter_stats *it, int n) {
  for (int i = 0; i < n; i++) {
    put_f64s(b, &it[i].inertia, 1);
    put_f64s(b, &it[i].shift, 1);
    put_u64(b, (uint64_t)it[i].relocations);
    put_f64s(b, &it[i].seconds, 1);
    put_f64s(b, &it[i].rows_per_second, 1);
  }
}

typedef strata_rbuf rbuf;
static int get(rbuf *b, void *v, size_t n) { return strata_rbuf_get(b, v, n); }
static uint32_t get_u32(rbuf *b) { return strata_rbuf_u32(b); }
static int get_i32(rbuf *b) { return (int)get_u32(b); }
static uint64_t get_u64(rbuf *b) { return strata_rbuf_u64(b); }
static char *get_str(rbuf *b) {
  uint32_t n = get_u32(b);
  if (b->bad || n > b->n - b->at) {
    b->bad = 1;
    return NULL;
  }
  char *s = malloc((size_t)n + 1);
  if (!s) {
    b->bad = 1;
    return NULL;
  }
  memcpy(s, b->p + b->at, n);
  s[n] = 0;
  b->at += n;
  return s;
}
/* n doubles, each finite: centres and objectives are never NaN or Inf. */
static double *get_f64s(rbuf *b, size_t n) {
  if (b->bad || n > (b->n - b->at) / sizeof(double)) {
    b->bad = 1;
    return NULL;
  }
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) {
    b->bad = 1;
    return NULL;
  }
  get(b, v, n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) b->bad = 1;
  return v;
}
static strata_iter_stats *get_iters(rbuf *b, int n) {
  if (b->bad || n < 0 || (size_t)n > (b->n - b->at) / 40) {
    b->bad = 1;
    return NULL;
  }
  strata_iter_stats *it = calloc(n ? (size_t)n : 1, sizeof *it);
  if (!it) {
    b->bad = 1;
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    get(b, &it[i].inertia, 8);
    get(b, &it[i].shift, 8);
    it[i].relocations = (int64_t)get_u64(b);
    get(b, &it[i].seconds, 8);
    get(b, &it[i].rows_per_second, 8);
    /* the model records them: counts and measures, never negative, NaN or Inf */
    const double v[4] = {it[i].inertia, it[i].shift, it[i].seconds, it[i].rows_per_second};
    for (int j = 0; j < 4; j++)
      if (!(v[j] >= 0.0 && v[j] < INFINITY)) b->bad = 1;
    if (it[i].relocations < 0) b->bad = 1;
  }
  return it;
}

/* ------------------------------------------------------------ the file */

struct strata_checkpoint {
  char *path;
  strata_fingerprint fp;
  char *backend;
  uint64_t k, np;
  strata_fit_state state;
  strata_fit_best best;
  double *params, *previous;
  strata_iter_stats *iters;
};

void strata_checkpoint_free(strata_checkpoint *c) {
  if (!c) return;
  free(c->path);
  strata_fingerprint_free(&c->fp);
  free(c->backend);
  free(c->params);
  free(c->previous);
  free(c->iters);
  strata_fit_best_free(&c->best);
  free(c);
}

const char *strata_checkpoint_backend(const strata_checkpoint *c) { return c->backend; }
const char *strata_checkpoint_path(const strata_checkpoint *c) { return c->path; }

static strata_status encode(const strata_checkpointer *w, const strata_fit_state *s, wbuf *b) {
  wbuf pl = {0};
  put_u32(&pl, (uint32_t)w->fp->n);
  for (size_t i = 0; i < w->fp->n; i++) put_str(&pl, w->fp->items[i]);
  put_str(&pl, w->backend);
  put_u64(&pl, w->k);
  put_u64(&pl, w->np);
  put_i32(&pl, s->run);
  put_i32(&pl, s->iterations);
  put_f64s(&pl, s->params, w->np);
  put_f64s(&pl, s->previous, w->np);
  put_iters(&pl, s->iters, s->iterations);
  const strata_fit_best *best = s->best;
  int has_best = best && best->objective < INFINITY;
  put_i32(&pl, has_best);
  if (has_best) {
    put_f64s(&pl, &best->objective, 1);
    put_i32(&pl, best->run);
    put_i32(&pl, best->iterations);
    put_i32(&pl, best->converged);
    put_f64s(&pl, best->params, w->np);
    for (size_t c = 0; c < w->k; c++) put_u64(&pl, (uint64_t)best->sizes[c]);
    put_iters(&pl, best->iters, best->iterations);
    /* the kept run's refinement, which its model records */
    put_i32(&pl, best->refine.trials);
    put_i32(&pl, best->refine.swaps);
    put_i32(&pl, best->refine.passes);
    put_i32(&pl, best->refine.unconverged);
  }
  put(b, MAGIC, sizeof MAGIC);
  put_u32(b, VERSION);
  put_u32(b, BYTE_ORDER_MARK);
  put_u64(b, pl.n);
  put(b, pl.p, pl.n);
  put_u64(b, fnv1a(pl.p, pl.n, FNV_START));
  int failed = pl.failed || b->failed;
  free(pl.p);
  RETURN_IF(failed, STRATA_ERR_NOMEM, "out of memory for the checkpoint");
  return STRATA_OK;
}

#define DAMAGED(path, why) strata_fail(STRATA_ERR_FORMAT, "checkpoint '%s' is damaged or not a Strata checkpoint (%s)", path, why)

static strata_status decode(strata_checkpoint *c, const unsigned char *p, size_t n) {
  const char *path = c->path;
  if (n < HEADER + TRAILER || memcmp(p, MAGIC, sizeof MAGIC) != 0) return DAMAGED(path, "no checkpoint header");
  rbuf h = {p, n, sizeof MAGIC, 0};
  uint32_t version = get_u32(&h), bom = get_u32(&h);
  uint64_t len = get_u64(&h);
  if (bom != BYTE_ORDER_MARK) return DAMAGED(path, "written on a machine of another byte order");
  if (version != VERSION)
    return strata_fail(STRATA_ERR_FORMAT, "checkpoint '%s' has version %u; this Strata reads version %d", path,
                       (unsigned)version, VERSION);
  if (len != n - HEADER - TRAILER) return DAMAGED(path, "truncated or extended: its length does not match");
  uint64_t sum;
  memcpy(&sum, p + HEADER + len, sizeof sum);
  if (sum != fnv1a(p + HEADER, len, FNV_START)) return DAMAGED(path, "checksum mismatch");

  rbuf b = {p + HEADER, len, 0, 0};
  uint32_t nfp = get_u32(&b);
  if (nfp > len / 4) b.bad = 1;
  for (uint32_t i = 0; !b.bad && i < nfp; i++) {
    char *s = get_str(&b);
    if (!s) break;
    if (fp_add(&c->fp, "%s", s) != STRATA_OK) b.bad = 1;
    free(s);
  }
  c->backend = get_str(&b);
  c->k = get_u64(&b);
  c->np = get_u64(&b);
  if (c->k == 0 || c->np == 0 || c->np % c->k != 0 || c->np > len / 16) b.bad = 1;
  c->state.run = get_i32(&b);
  c->state.iterations = get_i32(&b);
  if (c->state.run < 0 || c->state.iterations < 1) b.bad = 1;
  c->params = get_f64s(&b, c->np);
  c->previous = get_f64s(&b, c->np);
  c->iters = get_iters(&b, c->state.iterations);
  int has_best = get_i32(&b);
  c->best.objective = INFINITY;
  if (has_best == 1) {
    double *obj = get_f64s(&b, 1);
    if (obj) c->best.objective = *obj;
    free(obj);
    c->best.run = get_i32(&b);
    c->best.iterations = get_i32(&b);
    c->best.converged = get_i32(&b);
    if (c->best.run < 0 || c->best.run >= c->state.run || c->best.iterations < 1) b.bad = 1;
    c->best.params = get_f64s(&b, c->np);
    if (!b.bad && c->k <= (len - b.at) / 8) {
      c->best.sizes = calloc(c->k, sizeof *c->best.sizes);
      if (!c->best.sizes) b.bad = 1;
      for (size_t i = 0; !b.bad && i < c->k; i++) c->best.sizes[i] = (int64_t)get_u64(&b);
    } else {
      b.bad = 1;
    }
    c->best.iters = get_iters(&b, c->best.iterations);
    c->best.refine.trials = get_i32(&b);
    c->best.refine.swaps = get_i32(&b);
    c->best.refine.passes = get_i32(&b);
    c->best.refine.unconverged = get_i32(&b);
    if (c->best.refine.trials < 0 || c->best.refine.swaps < 0 || c->best.refine.swaps > c->best.refine.trials ||
        c->best.refine.passes < 0 || (unsigned)c->best.refine.unconverged > 1)
      b.bad = 1;
  } else if (has_best != 0) {
    b.bad = 1;
  }
  if (b.bad || b.at != len) return DAMAGED(path, "its contents are inconsistent");
  c->state.params = c->params;
  c->state.previous = c->previous;
  c->state.iters = c->iters;
  c->state.best = &c->best;
  return STRATA_OK;
}

/* Rank 0's bytes of the file.  *data OUT (malloc'd). */
static strata_status read_file(const char *path, unsigned char **data, size_t *n) {
  *data = NULL;
  *n = 0;
  struct stat sb;
  RETURN_IF(stat(path, &sb) != 0, STRATA_ERR_NOT_FOUND, "cannot open checkpoint '%s': %s", path, strerror(errno));
  RETURN_IF(!S_ISREG(sb.st_mode), STRATA_ERR_NOT_FOUND, "checkpoint '%s' is not a regular file", path);
  FILE *f = fopen(path, "rb");
  RETURN_IF(!f, STRATA_ERR_NOT_FOUND, "cannot open checkpoint '%s': %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  strata_status st = STRATA_OK;
  for (;;) {
    if (!buf) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory reading checkpoint '%s'", path);
      break;
    }
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap) break;
    unsigned char *more = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
    if (!more) free(buf);
    buf = more;
    cap *= 2;
  }
  if (st == STRATA_OK && ferror(f)) st = strata_fail(STRATA_ERR_IO, "cannot read checkpoint '%s'", path);
  fclose(f);
  if (st != STRATA_OK) {
    free(buf);
    return st;
  }
  *data = buf;
  *n = len;
  return STRATA_OK;
}

strata_status strata_checkpoint_load(const strata_ctx *ctx, const char *path, strata_checkpoint **out) {
  *out = NULL;
  const strata_comm *comm = strata_ctx_comm(ctx);
  unsigned char *data = NULL;
  size_t n = 0;
  strata_status st = STRATA_OK;
  if (strata_comm_rank(comm) == 0) st = read_file(path, &data, &n);
  FORWARD_IF_ERROR(strata_comm_agree(comm, st));
  uint64_t len = n;
  FORWARD_IF_ERROR(strata_comm_bcast(comm, &len, sizeof len, 0));
  if (strata_comm_rank(comm) != 0) {
    data = malloc(len ? (size_t)len : 1);
    st = data ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory for checkpoint '%s'", path);
  }
  st = strata_comm_agree(comm, st);
  if (st == STRATA_OK) st = strata_comm_bcast(comm, data, (size_t)len, 0);
  strata_checkpoint *c = NULL;
  if (st == STRATA_OK) {
    c = calloc(1, sizeof *c);
    if (c) c->path = strdup(path);
    if (!c || !c->path) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  if (st == STRATA_OK) st = decode(c, data, (size_t)len);
  free(data);
  if (st != STRATA_OK) {
    strata_checkpoint_free(c);
    return st;
  }
  *out = c;
  return STRATA_OK;
}

static const char *find(const strata_checkpoint *c, const char *item, size_t keylen) {
  for (size_t i = 0; i < c->fp.n; i++)
    if (strncmp(c->fp.items[i], item, keylen + 1) == 0) return c->fp.items[i] + keylen + 1;
  return NULL;
}

strata_status strata_checkpoint_match(const strata_ctx *ctx, const strata_checkpoint *c,
                                      const strata_fingerprint *fp) {
  const strata_comm *comm = strata_ctx_comm(ctx);
  strata_status st = STRATA_OK;
  for (size_t i = 0; strata_comm_rank(comm) == 0 && st == STRATA_OK && i < fp->n; i++) {
    const char *item = fp->items[i], *eq = strchr(item, '=');
    size_t keylen = (size_t)(eq - item);
    const char *there = find(c, item, keylen);
    if (!there)
      st = strata_fail(STRATA_ERR_USAGE, "checkpoint '%s' does not belong to this fit: it records no %.*s", c->path,
                       (int)keylen, item);
    else if (strcmp(there, eq + 1) != 0)
      st = strata_fail(STRATA_ERR_USAGE, "checkpoint '%s' does not belong to this fit: %.*s is %s there, %s here",
                       c->path, (int)keylen, item, there, eq + 1);
  }
  return strata_comm_agree(comm, st);
}

strata_status strata_checkpoint_state(const strata_checkpoint *c, size_t np, size_t k, const strata_fit_state **out) {
  RETURN_IF(c->np != np || c->k != k, STRATA_ERR_FORMAT,
            "checkpoint '%s' holds %llu parameters for %llu clusters; this fit has %zu for %zu", c->path,
            (unsigned long long)c->np, (unsigned long long)c->k, np, k);
  *out = &c->state;
  return STRATA_OK;
}

/* ------------------------------------------------------------ saving */

static strata_status save(strata_checkpointer *w, const strata_fit_state *s) {
  wbuf b = {0};
  strata_output_file f = {0};
  strata_status st = encode(w, s, &b);
  if (st == STRATA_OK) st = strata_output_begin(w->path, &f);
  if (st == STRATA_OK) st = strata_output_write_all(&f, b.p, b.n);
  if (st == STRATA_OK) st = strata_output_commit(&f);
  else strata_output_abort(&f);
  free(b.p);
  return st;
}

strata_status strata_checkpoint_boundary(void *user, const strata_fit_state *s) {
  strata_checkpointer *w = user;
  const strata_comm *comm = strata_ctx_comm(w->ctx);
  /* Every rank stops at the same boundary: a signal that reached one rank
   * reaches all through this flag's OR (one byte, one allreduce). */
  unsigned char asked = strata_ctx_checkpoint_requested(w->ctx) ? 1 : 0;
  if (strata_comm_size(comm) > 1) FORWARD_IF_ERROR(strata_comm_or(comm, &asked, 1));
  int periodic = w->every > 0 && s->iterations % w->every == 0;
  if (!asked && !periodic) return STRATA_OK;
  strata_status st = strata_comm_rank(comm) == 0 ? save(w, s) : STRATA_OK;
  FORWARD_IF_ERROR(strata_comm_agree(comm, st));
  w->saved_run = s->run;
  w->saved_iteration = s->iterations;
  strata_log(w->ctx, STRATA_LOG_INFO, "checkpoint saved to '%s' after iteration %d of run %d", w->path,
             s->iterations, s->run + 1);
  if (asked)
    return strata_fail(STRATA_STOPPED, "stopped on request after iteration %d of run %d; checkpoint saved to '%s'",
                       s->iterations, s->run + 1, w->path);
  return STRATA_OK;
}
