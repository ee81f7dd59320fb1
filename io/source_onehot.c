/* The one-hot transform (io/source.h, kind "one-hot"): a source stacked on
 * a columnar HDF5 source.  Its columns are the inner source's, then one
 * per category of each categorical column (io/onehot.h reads the codes
 * from the same table and expands them).  A read takes the inner rows
 * into a side buffer and interleaves both parts into the caller's chunk. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "onehot.h"
#include "source.h"

typedef struct {
  strata_source base; /* first: a strata_source * points here */
  strata_source *inner;
  strata_onehot *onehot;
  strata_source_col *desc;
  const char **group_names;
  /* Reads are serialised: they share the buffers. */
  pthread_mutex_t mutex;
  float *numbuf; /* the inner part of a read, before interleaving */
  size_t numbuf_floats;
  float *rowbuf; /* whole rows, when a read picks columns */
  size_t rowbuf_floats;
} onehot_source;

static int ensure(float **buf, size_t *have, size_t floats) {
  if (floats <= *have) return 1;
  float *b = realloc(*buf, floats * sizeof *b);
  if (!b) return 0;
  *buf = b;
  *have = floats;
  return 1;
}

/* Every column of rows [row0, row0+rows), row-major, into out. */
static strata_status read_all(onehot_source *o, size_t row0, size_t rows, float *out) {
  size_t nc = o->inner->cols, total = o->base.cols;
  if (nc > 0) {
    RETURN_IF(!ensure(&o->numbuf, &o->numbuf_floats, rows * nc), STRATA_ERR_NOMEM,
              "out of memory reading %zu rows of '%s'", rows, o->base.path);
    FORWARD_IF_ERROR(o->inner->ops->read(o->inner, row0, rows, NULL, nc, o->numbuf));
    for (size_t i = 0; i < rows; i++) memcpy(out + i * total, o->numbuf + i * nc, nc * sizeof *out);
  }
  return strata_onehot_read(o->onehot, row0, rows, out + nc, total);
}

static strata_status onehot_read(strata_source *src, size_t row0, size_t rows, const size_t *pick, size_t npick,
                                 float *out) {
  onehot_source *o = (onehot_source *)src;
  size_t total = o->base.cols;
  RETURN_IF(rows > SIZE_MAX / sizeof(float) / total, STRATA_ERR_USAGE, "cannot read %zu rows of '%s' at once",
            rows, o->base.path);
  pthread_mutex_lock(&o->mutex);
  strata_status st = STRATA_OK;
  if (!pick) {
    st = read_all(o, row0, rows, out);
  } else if (!ensure(&o->rowbuf, &o->rowbuf_floats, rows * total)) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory reading %zu rows of '%s'", rows, o->base.path);
  } else if ((st = read_all(o, row0, rows, o->rowbuf)) == STRATA_OK) {
    strata_source_pick(out, o->rowbuf, rows, total, pick, npick);
  }
  pthread_mutex_unlock(&o->mutex);
  return st;
}

/* As the inner source recommends: the chunk is sized by its columns (what
 * the file stores), as before one-hot was a transform. */
static size_t onehot_recommend_chunk(const strata_source *src, size_t multiple, size_t target_bytes) {
  const strata_source *inner = ((const onehot_source *)src)->inner;
  return strata_source_recommend_chunk(inner, multiple, target_bytes);
}

static uint64_t onehot_unknown(const strata_source *src) {
  return strata_onehot_unknown(((const onehot_source *)src)->onehot);
}

static void onehot_close(strata_source *src) {
  onehot_source *o = (onehot_source *)src;
  strata_source_close(o->inner);
  strata_onehot_free(o->onehot);
  free(o->desc);
  free(o->group_names);
  free(o->numbuf);
  free(o->rowbuf);
  pthread_mutex_destroy(&o->mutex);
  free(o);
}

static const strata_source_ops onehot_ops = {"one-hot", onehot_read, onehot_recommend_chunk, onehot_unknown,
                                             onehot_close};

/* The inner columns' descriptions, then the expanded ones'. */
static strata_status describe(onehot_source *o) {
  const strata_source *in = o->inner;
  size_t nc = in->cols, ne = strata_onehot_cols(o->onehot), ng = strata_onehot_groups(o->onehot);
  o->desc = calloc(nc + ne, sizeof *o->desc);
  o->group_names = calloc(ng ? ng : 1, sizeof *o->group_names);
  RETURN_IF(!o->desc || !o->group_names, STRATA_ERR_NOMEM, "out of memory opening '%s'", in->path);
  memcpy(o->desc, in->col, nc * sizeof *o->desc);
  for (size_t j = 0; j < ne; j++)
    o->desc[nc + j] = (strata_source_col){strata_onehot_col_name(o->onehot, j), "one-hot", NULL, STRATA_COL_NUMERIC,
                                          0, (int)strata_onehot_col_group(o->onehot, j),
                                          strata_onehot_col_category(o->onehot, j)};
  for (size_t g = 0; g < ng; g++) o->group_names[g] = strata_onehot_group_name(o->onehot, g);
  o->base = *in; /* path, location, layout, file chunks: the table's */
  o->base.ops = &onehot_ops;
  o->base.cols = nc + ne;
  o->base.col = o->desc;
  o->base.groups = ng;
  o->base.group_names = o->group_names;
  return STRATA_OK;
}

strata_status strata_source_onehot(strata_source *inner, const char *const *names, size_t n,
                                   const char *const *const *categories, const size_t *ncategories,
                                   strata_source **out) {
  *out = NULL;
  RETURN_IF(inner->layout == STRATA_LAYOUT_MEMORY, STRATA_ERR_USAGE, "an in-memory dataset has no categorical columns");
  RETURN_IF(inner->layout == STRATA_LAYOUT_MATRIX, STRATA_ERR_USAGE,
            "'%s' is a 2-D dataset: categorical columns need a columnar table", inner->path);
  for (size_t g = 0; g < n; g++)
    for (size_t j = 0; j < inner->cols; j++)
      RETURN_IF(strcmp(names[g], inner->col[j].name) == 0, STRATA_ERR_USAGE,
                "column '%s' is both a feature and categorical", names[g]);
  onehot_source *o = calloc(1, sizeof *o);
  RETURN_IF(!o, STRATA_ERR_NOMEM, "out of memory");
  pthread_mutex_init(&o->mutex, NULL);
  strata_status st = strata_onehot_open(inner->path, inner->location, names, n, categories, ncategories,
                                        inner->rows, &o->onehot);
  o->inner = inner;
  if (st == STRATA_OK) st = describe(o);
  if (st != STRATA_OK) {
    o->inner = NULL; /* still the caller's */
    onehot_close(&o->base);
    return st;
  }
  *out = &o->base;
  return STRATA_OK;
}
