/* HDF5 sources (io/source.h): a group holding one 1-D dataset per column
 * ("hdf5-columns"), or one 2-D n×d dataset ("hdf5-matrix").
 *
 * In the group layout a column may carry the attributes of an imported
 * table (io/table_format.h): categorical columns (int32 codes) and
 * identifier columns are never picked when no features are named, and a
 * categorical column is refused as a feature; `all` opens every column for
 * listing them (strata inspect).  Every HDF5 id a read needs is opened once
 * at open time and kept for the life of the source; reads convert to
 * float32 inside HDF5 (which handles every integer and float type) and
 * interleave the columns into the row-major chunk the kernels want. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "h5_util.h"
#include "meminfo.h"
#include "source.h"
#include "table_format.h"

#define TYPE_NAME_MAX 16

/* HDF5 decompresses a filtered chunk into its chunk cache (1 MiB by default
 * per dataset); a chunk that does not fit is decompressed again on every
 * partial read, e.g. 16 times over for 64Ki-row reads of 1Mi-row chunks.
 * Such columns get a cache of one chunk, up to CHUNK_CACHE_MAX each and
 * CHUNK_CACHE_BUDGET for all selected columns together; reads aligned with
 * the file's chunks (strata_source_recommend_chunk) never need it. */
#define CHUNK_CACHE_DEFAULT ((size_t)1 << 20)
#define CHUNK_CACHE_MAX ((size_t)16 << 20)
#define CHUNK_CACHE_BUDGET ((size_t)64 << 20)

typedef struct {
  char *name;
  char type[TYPE_NAME_MAX];
  char stype[TYPE_NAME_MAX]; /* @strata_type, "" when absent */
  strata_col_kind kind;
  int is_id;                 /* @strata_role = "id" */
  hid_t dset;  /* group layout: this column's dataset; -1 in the 2-D layout */
  hid_t space; /* its file dataspace, reselected on every read */
} column;

typedef struct {
  strata_source base; /* first: a strata_source * points here */
  strata_source_col *desc;
  char *path;
  char *location; /* resolved: "/" or "/customers" for a group, "/X" for a matrix */
  hid_t file;
  size_t rows, cols;
  column *col;
  size_t file_chunk_rows;

  /* 2-D layout only. */
  hid_t matrix, matrix_space;
  size_t matrix_cols; /* d of the file's matrix */
  size_t *pick;       /* pick[j]: matrix column of selected column j */
  int identity;       /* every matrix column, in order: read straight into out */

  /* Reads of one source are serialised: they share the ids and the buffer. */
  pthread_mutex_t read_mutex;
  float *buf; /* one column (group layout) or one row block (2-D layout) */
  size_t buf_floats;

  /* The file as opened, and what the passes read (see watch_read). */
  struct stat st0;
  int have_st0;
  uint64_t lane[8];     /* checksum lanes of the pass under way, while it reads in order */
  size_t next_row;      /* where it continues; SIZE_MAX = not in order */
  uint64_t pass_pick;   /* the columns it reads */
  uint64_t first_hash, first_pick; /* of the first complete pass */
  int have_first;
} h5_source;

/* ------------------------------------------------------------ group scan */

typedef enum {
  ENTRY_COLUMN,      /* 1-D numeric dataset */
  ENTRY_CATEGORICAL, /* 1-D integer codes with @strata_type = categorical */
  ENTRY_MATRIX,      /* 2-D numeric dataset */
  ENTRY_NOT_NUMERIC, /* a dataset of strings, compounds, ... */
  ENTRY_OTHER_RANK   /* a numeric dataset that is neither 1-D nor 2-D */
} entry_kind;

typedef struct {
  char *name;
  entry_kind kind;
  hsize_t dims[2];
  char type[TYPE_NAME_MAX];
  char stype[TYPE_NAME_MAX]; /* @strata_type, "" when absent */
  int is_id;                 /* @strata_role = "id" */
} entry;

typedef struct {
  entry *v;
  size_t n, cap;
  int oom;
} entry_list;

static void entry_list_free(entry_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i].name);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* "int8".."uint64", "float32", "float64"; 0 when the type is not numeric. */
static int numeric_type_name(hid_t type, char name[TYPE_NAME_MAX]) {
  H5T_class_t cls = strata_h5_numeric_class(type);
  size_t bits = H5Tget_size(type) * 8;
  if (cls == H5T_INTEGER) {
    snprintf(name, TYPE_NAME_MAX, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    return 1;
  }
  if (cls == H5T_FLOAT) {
    snprintf(name, TYPE_NAME_MAX, "float%zu", bits);
    return 1;
  }
  return 0;
}

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  entry_list *l = data;
  (void)group;
  (void)info;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    entry *v = realloc(l->v, cap * sizeof *v);
    if (!v) goto oom;
    l->v = v;
    l->cap = cap;
  }
  memset(&l->v[l->n], 0, sizeof l->v[l->n]);
  if (!(l->v[l->n].name = strdup(name))) goto oom;
  l->n++;
  return 0;
oom:
  l->oom = 1;
  return -1; /* stops the iteration */
}

/* A short string attribute of obj into buf ("" when absent or not a
 * string). */
static void string_attribute(hid_t obj, const char *name, char *buf, size_t size) {
  buf[0] = '\0';
  if (H5Aexists(obj, name) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return;
  }
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  char *v = NULL;
  if (attr >= 0 && strata_h5_read_strings(attr, 1, 1, &v) == 0) snprintf(buf, size, "%s", v);
  free(v);
  strata_h5_close(attr);
  H5Eclear2(H5E_DEFAULT);
}

/* Classifies one link; returns 0 when it is not a dataset (or cannot be
 * opened, e.g. a dangling soft link), which the scan then drops. */
static int classify(hid_t group, entry *e) {
  hid_t obj = H5Oopen(group, e->name, H5P_DEFAULT);
  if (obj < 0) {
    H5Eclear2(H5E_DEFAULT);
    return 0;
  }
  int is_dataset = H5Iget_type(obj) == H5I_DATASET;
  if (is_dataset) {
    hid_t type = H5Dget_type(obj), space = H5Dget_space(obj);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(space, e->dims, NULL);
    if (type < 0 || !numeric_type_name(type, e->type))
      e->kind = ENTRY_NOT_NUMERIC;
    else
      e->kind = rank == 1 ? ENTRY_COLUMN : rank == 2 ? ENTRY_MATRIX : ENTRY_OTHER_RANK;
    if (e->kind == ENTRY_COLUMN) {
      char role[TYPE_NAME_MAX];
      string_attribute(obj, STRATA_ATTR_TYPE, e->stype, sizeof e->stype);
      string_attribute(obj, STRATA_ATTR_ROLE, role, sizeof role);
      e->is_id = strcmp(role, STRATA_ROLE_ID) == 0;
      if (strcmp(e->stype, "categorical") == 0)
        e->kind = H5Tget_class(type) == H5T_INTEGER ? ENTRY_CATEGORICAL : ENTRY_NOT_NUMERIC;
    }
    strata_h5_close(type);
    strata_h5_close(space);
  }
  H5Oclose(obj);
  return is_dataset;
}

/* Lists the datasets of a group in file order: creation order when the
 * group tracks it (Strata's importer does, so columns keep their CSV
 * order), else name order, which is what h5py and most writers give. */
static strata_status scan_group(const h5_source *ds, hid_t group, const char *where, entry_list *out) {
  memset(out, 0, sizeof *out);
  unsigned order_flags = 0;
  hid_t gcpl = H5Gget_create_plist(group);
  if (gcpl >= 0) H5Pget_link_creation_order(gcpl, &order_flags);
  strata_h5_close(gcpl);
  H5_index_t index = (order_flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;

  hsize_t at = 0;
  char why[512];
  if (H5Literate(group, index, H5_ITER_INC, &at, collect_name, out) < 0) {
    int oom = out->oom;
    strata_h5_error_text(why, sizeof why);
    entry_list_free(out);
    RETURN_IF(oom, STRATA_ERR_NOMEM, "out of memory listing %s:%s", ds->path, where);
    return strata_fail(STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: cannot list %s: %s", ds->path, where,
                       why);
  }
  size_t kept = 0;
  for (size_t i = 0; i < out->n; i++) {
    if (classify(group, &out->v[i]))
      out->v[kept++] = out->v[i];
    else
      free(out->v[i].name);
  }
  out->n = kept;
  return STRATA_OK;
}

/* ------------------------------------------------------------ selection */

/* "a, b, c" of the usable names, cut with ", ..." to fit. */
static void usable_names(char *buf, size_t size, const char *const *names, const char *const *why_unusable,
                         size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (why_unusable[i]) continue;
    const char *sep = len ? ", " : "";
    size_t need = strlen(sep) + strlen(names[i]);
    if (len + need + 6 > size) {
      snprintf(buf + len, size - len, "%s...", sep);
      return;
    }
    len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, names[i]);
  }
}

typedef struct {
  const char *name; /* NULL sorts first */
  size_t index;
} named;

static int cmp_named(const void *a, const void *b) {
  const named *x = a, *y = b;
  int c = !x->name || !y->name ? (x->name != NULL) - (y->name != NULL) : strcmp(x->name, y->name);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* names[0..n) with their indices, sorted by name, then index; NULL when
 * out of memory. */
static named *sorted_names(const char *const *names, size_t n) {
  named *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) v[i] = (named){names[i], i};
  qsort(v, n, sizeof *v, cmp_named);
  return v;
}

/* The lowest index whose name is `name`, else n. */
static size_t first_named(const named *v, size_t n, const char *name) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (!v[mid].name || strcmp(v[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo].name && strcmp(v[lo].name, name) == 0 ? v[lo].index : n;
}

/* Maps the requested features to candidate indices.  names[i] is candidate
 * i; why_unusable[i] is NULL when it can be a column, else the reason
 * ("is not numeric"); categorical[i] (may be NULL) marks a categorical
 * column, whose refusal names --categorical.  features NULL/0: every usable
 * candidate in order, but those with not_default[i] set (identifiers; may
 * be NULL).  pick OUT (malloc'ed, *npick entries). */
static strata_status select_columns(const h5_source *ds, const char *const *names,
                                    const char *const *why_unusable, const unsigned char *categorical,
                                    const unsigned char *not_default, size_t n, const char *const *features,
                                    size_t nfeatures, size_t **pick, size_t *npick) {
  *pick = NULL;
  *npick = 0;
  size_t want = nfeatures;
  if (!features || nfeatures == 0) {
    want = 0;
    size_t left_out = 0;
    for (size_t i = 0; i < n; i++) {
      int usable = !why_unusable[i] && !(not_default && not_default[i]);
      want += usable;
      left_out += !usable && (!why_unusable[i] || (categorical && categorical[i]));
    }
    RETURN_IF(want == 0 && left_out, STRATA_ERR_FORMAT,
              "no numeric feature columns in %s:%s (identifier and categorical columns are used only when named)",
              ds->path, ds->location);
    RETURN_IF(want == 0, STRATA_ERR_FORMAT, "no numeric columns in %s:%s", ds->path, ds->location);
  }
  size_t *p = malloc(want * sizeof *p);
  RETURN_IF(!p, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);

  if (!features || nfeatures == 0) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (!why_unusable[i] && !(not_default && not_default[i])) p[m++] = i;
  } else {
    /* Names and features sorted once, looked up by bisection: a wide
     * matrix (2^21 columns, every one named) took hours by pairwise
     * comparison. */
    named *by_name = sorted_names(names, n), *given = sorted_names(features, nfeatures);
    unsigned char *repeated = calloc(nfeatures, 1);
    if (!by_name || !given || !repeated) {
      free(by_name);
      free(given);
      free(repeated);
      free(p);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    }
    for (size_t g = 1; g < nfeatures; g++)
      if (given[g].name && given[g - 1].name && *given[g].name && strcmp(given[g].name, given[g - 1].name) == 0)
        repeated[given[g].index] = 1;
    for (size_t f = 0; f < nfeatures; f++) {
      const char *name = features[f];
      strata_status st = STRATA_OK;
      if (!name || !*name)
        st = strata_fail(STRATA_ERR_USAGE, "feature %zu has an empty name", f + 1);
      else if (repeated[f])
        st = strata_fail(STRATA_ERR_USAGE, "feature '%s' is given twice", name);
      size_t i = st == STRATA_OK ? first_named(by_name, n, name) : n;
      if (st == STRATA_OK && i == n) {
        char have[512];
        usable_names(have, sizeof have, names, why_unusable, n);
        st = strata_fail(STRATA_ERR_COLUMN, "column '%s' not found in %s:%s (have: %s)", name, ds->path,
                         ds->location, have);
      } else if (st == STRATA_OK && categorical && categorical[i] && why_unusable[i]) {
        st = strata_fail(STRATA_ERR_COLUMN, "column '%s' is categorical; use --categorical %s", name, name);
      } else if (st == STRATA_OK && why_unusable[i]) {
        st = strata_fail(STRATA_ERR_COLUMN, "column '%s' in %s:%s %s", name, ds->path, ds->location,
                         why_unusable[i]);
      }
      if (st != STRATA_OK) {
        free(by_name);
        free(given);
        free(repeated);
        free(p);
        return st;
      }
      p[f] = i;
    }
    free(by_name);
    free(given);
    free(repeated);
  }
  *pick = p;
  *npick = want;
  return STRATA_OK;
}

static strata_status alloc_columns(h5_source *ds, size_t cols) {
  ds->col = calloc(cols, sizeof *ds->col);
  RETURN_IF(!ds->col, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
  for (size_t j = 0; j < cols; j++) ds->col[j].dset = ds->col[j].space = -1;
  ds->cols = cols;
  return STRATA_OK;
}

/* ------------------------------------------------------------ open */

/* Opens a dataset; when it is chunked, *chunk_rows gets the chunk length
 * along the row axis (else 0), and a compressed chunk larger than HDF5's
 * default cache but within cache_max gets a cache of its own size. */
static hid_t open_dataset(hid_t loc, const char *name, size_t cache_max, size_t *chunk_rows) {
  *chunk_rows = 0;
  hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
  if (dset < 0) return -1;
  hid_t dcpl = H5Dget_create_plist(dset), type = H5Dget_type(dset);
  size_t cache = 0;
  if (dcpl >= 0 && type >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, dims);
    if (rank >= 1) {
      size_t bytes = H5Tget_size(type);
      for (int r = 0; r < rank; r++) bytes *= (size_t)dims[r];
      *chunk_rows = (size_t)dims[0];
      if (H5Pget_nfilters(dcpl) > 0 && bytes > CHUNK_CACHE_DEFAULT && bytes <= cache_max) cache = bytes;
    }
  }
  strata_h5_close(dcpl);
  strata_h5_close(type);
  if (cache) {
    /* The cache belongs to the dataset's shared state, which a second open
     * of a dataset still open would reuse: close first, then reopen. */
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl >= 0 &&
        H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, cache, H5D_CHUNK_CACHE_W0_DEFAULT) >= 0) {
      H5Dclose(dset);
      dset = H5Dopen2(loc, name, dapl);
    }
    strata_h5_close(dapl);
  }
  return dset;
}

/* all: every column, categorical ones included (strata_dataset_open_all). */
static strata_status open_group_layout(h5_source *ds, hid_t group, const entry_list *l,
                                       const char *const *features, size_t nfeatures, int all) {
  size_t nl = l->n ? l->n : 1;
  const char **names = malloc(nl * sizeof *names);
  const char **why = malloc(nl * sizeof *why);
  unsigned char *categorical = calloc(nl, 1), *not_default = calloc(nl, 1);
  strata_status st = STRATA_OK;
  size_t *pick = NULL, cols = 0;
  if (!names || !why || !categorical || !not_default) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    goto done;
  }
  for (size_t i = 0; i < l->n; i++) {
    const entry *e = &l->v[i];
    names[i] = e->name;
    categorical[i] = e->kind == ENTRY_CATEGORICAL;
    not_default[i] = e->is_id && !all;
    why[i] = e->kind == ENTRY_COLUMN || (all && e->kind == ENTRY_CATEGORICAL) ? NULL
             : e->kind == ENTRY_CATEGORICAL                                  ? "is categorical"
             : e->kind == ENTRY_NOT_NUMERIC                                  ? "is not numeric"
                                                                             : "is not a 1-D column";
  }
  GOTO_IF_ERROR(st,
                select_columns(ds, names, why, categorical, not_default, l->n, features, nfeatures, &pick, &cols),
                done);

  const entry *first = &l->v[pick[0]];
  for (size_t j = 1; j < cols; j++) {
    const entry *e = &l->v[pick[j]];
    if (e->dims[0] != first->dims[0]) {
      st = strata_fail(STRATA_ERR_FORMAT,
                       "columns of unequal length in %s:%s: '%s' has %llu rows, '%s' has %llu", ds->path,
                       ds->location, first->name, (unsigned long long)first->dims[0], e->name,
                       (unsigned long long)e->dims[0]);
      goto done;
    }
  }
  ds->rows = (size_t)first->dims[0];
  GOTO_IF_ERROR(st, alloc_columns(ds, cols), done);
  size_t cache_max =
      CHUNK_CACHE_BUDGET / cols < CHUNK_CACHE_MAX ? CHUNK_CACHE_BUDGET / cols : CHUNK_CACHE_MAX;
  for (size_t j = 0; j < cols; j++) {
    const entry *e = &l->v[pick[j]];
    column *c = &ds->col[j];
    size_t chunk_rows = 0;
    memcpy(c->type, e->type, sizeof c->type);
    memcpy(c->stype, e->stype, sizeof c->stype);
    c->kind = e->kind == ENTRY_CATEGORICAL ? STRATA_COL_CATEGORICAL : STRATA_COL_NUMERIC;
    c->is_id = e->is_id;
    c->name = strdup(e->name);
    c->dset = open_dataset(group, e->name, cache_max, &chunk_rows);
    c->space = c->dset >= 0 ? H5Dget_space(c->dset) : -1;
    if (!c->name) {
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
      goto done;
    }
    if (c->space < 0) {
      char h5why[512];
      st = strata_fail(STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: cannot open column '%s': %s",
                       ds->path, e->name, strata_h5_error_text(h5why, sizeof h5why));
      goto done;
    }
    char what[300];
    snprintf(what, sizeof what, "column '%s'", e->name);
    GOTO_IF_ERROR(st, strata_h5_check_stored(ds->path, what, c->dset, c->space), done);
    if (chunk_rows > ds->file_chunk_rows) ds->file_chunk_rows = chunk_rows;
  }
done:
  free(pick);
  free(names);
  free(why);
  free(categorical);
  free(not_default);
  return st;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name that stands more than once in names[0..n-1], or NULL; (const char
 * *)names itself when out of memory.  Sorted copy: n log n for wide tables. */
static const char *repeated_name(const char *const *names, size_t n) {
  const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return (const char *)names;
  memcpy(sorted, names, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_names);
  const char *twice = NULL;
  for (size_t j = 1; j < n && !twice; j++)
    if (strcmp(sorted[j - 1], sorted[j]) == 0) twice = sorted[j];
  free(sorted);
  return twice;
}

/* Column names of a matrix: its "columns" string attribute, else c0..c{d-1}. */
static strata_status matrix_names(h5_source *ds, hid_t dset, size_t d, char **names) {
  htri_t has = H5Aexists(dset, "columns");
  if (has > 0) {
    hid_t attr = H5Aopen(dset, "columns", H5P_DEFAULT);
    int rc = attr >= 0 ? strata_h5_read_strings(attr, 1, d, names) : -1;
    strata_h5_close(attr);
    RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    RETURN_IF(rc != 0, STRATA_ERR_FORMAT, "attribute 'columns' of %s:%s is not an array of %zu strings",
              ds->path, ds->location, d);
    /* Features are chosen and models matched by name: a repeated one would
     * fit, then leave a model no data could be opened for. */
    const char *twice = repeated_name((const char *const *)names, d);
    RETURN_IF(twice == (const char *)names, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    RETURN_IF(twice, STRATA_ERR_FORMAT, "attribute 'columns' of %s:%s names '%s' more than once", ds->path,
              ds->location, twice);
    return STRATA_OK;
  }
  H5Eclear2(H5E_DEFAULT);
  for (size_t j = 0; j < d; j++) {
    char name[32];
    snprintf(name, sizeof name, "c%zu", j);
    RETURN_IF(!(names[j] = strdup(name)), STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
  }
  return STRATA_OK;
}

/* What a command holds per column before and beside its values: the
 * open's name, record and description, a statistics pass's accumulators
 * (inspect of 2^19 columns of 4 rows peaked at 1.0 GB, fit at 0.96 GB). */
#define COLUMN_STATE_BYTES 2048

static strata_status open_matrix_layout(h5_source *ds, const char *const *features, size_t nfeatures) {
  size_t chunk_rows = 0;
  char h5why[512];
  ds->matrix = open_dataset(ds->file, ds->location, CHUNK_CACHE_MAX, &chunk_rows);
  ds->matrix_space = ds->matrix >= 0 ? H5Dget_space(ds->matrix) : -1;
  hid_t type = ds->matrix >= 0 ? H5Dget_type(ds->matrix) : -1;
  char type_name[TYPE_NAME_MAX];
  int numeric = type >= 0 && numeric_type_name(type, type_name);
  strata_h5_close(type);
  RETURN_IF(ds->matrix_space < 0, STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: cannot open %s: %s",
            ds->path, ds->location, strata_h5_error_text(h5why, sizeof h5why));
  int rank = H5Sget_simple_extent_ndims(ds->matrix_space);
  RETURN_IF(rank == 1, STRATA_ERR_FORMAT, "%s:%s is a 1-D dataset; give the group that holds the columns",
            ds->path, ds->location);
  RETURN_IF(rank != 2 || !numeric, STRATA_ERR_FORMAT, "%s:%s is not a 2-D numeric dataset", ds->path,
            ds->location);
  FORWARD_IF_ERROR(strata_h5_check_stored(ds->path, ds->location, ds->matrix, ds->matrix_space));
  hsize_t dims[2];
  H5Sget_simple_extent_dims(ds->matrix_space, dims, NULL);
  ds->rows = (size_t)dims[0];
  ds->matrix_cols = (size_t)dims[1];
  ds->file_chunk_rows = chunk_rows;
  RETURN_IF(ds->matrix_cols == 0, STRATA_ERR_FORMAT, "no columns in %s:%s", ds->path, ds->location);

  size_t d = ds->matrix_cols, cols = 0;
  /* Every column has a name, a record and a description, and a pass of
   * statistics holds its accumulators, whatever its rows: a compressed
   * file of 18 MB holds 2^30 columns of zeros, whose bookkeeping grew
   * until the OOM killer ended the command, --mem-limit or not. */
  const uint64_t budget = strata_mem_available() / 4;
  RETURN_IF(d > budget / COLUMN_STATE_BYTES, STRATA_ERR_NOMEM,
            "%s:%s has %zu columns: reading them takes about %.1f GiB (%d KiB per column), more than a quarter "
            "of the %.1f GiB of memory available",
            ds->path, ds->location, d, (double)d * COLUMN_STATE_BYTES / 1073741824.0, COLUMN_STATE_BYTES / 1024,
            (double)strata_mem_available() / 1073741824.0);
  char **names = calloc(d, sizeof *names);
  const char **why = calloc(d, sizeof *why); /* all NULL: every matrix column is usable */
  strata_status st = STRATA_OK;
  if (!names || !why) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    goto done;
  }
  GOTO_IF_ERROR(st, matrix_names(ds, ds->matrix, d, names), done);
  GOTO_IF_ERROR(st,
                select_columns(ds, (const char *const *)names, why, NULL, NULL, d, features, nfeatures, &ds->pick,
                               &cols),
                done);
  GOTO_IF_ERROR(st, alloc_columns(ds, cols), done);
  ds->identity = cols == d;
  for (size_t j = 0; j < cols; j++) {
    ds->identity &= ds->pick[j] == j;
    memcpy(ds->col[j].type, type_name, sizeof type_name);
    ds->col[j].name = names[ds->pick[j]];
    names[ds->pick[j]] = NULL; /* moved */
  }
  /* A name picked twice would have been moved twice; duplicates were refused. */
done:
  if (names)
    for (size_t j = 0; j < d; j++) free(names[j]);
  free(names);
  free(why);
  return st;
}

static strata_status set_location(h5_source *ds, const char *a, const char *b) {
  size_t len = strlen(a) + strlen(b) + 2;
  ds->location = malloc(len);
  RETURN_IF(!ds->location, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
  snprintf(ds->location, len, "%s%s%s", a[0] == '/' ? "" : "/", a, b);
  return STRATA_OK;
}

/* The groups of the root that hold a table (1-D numeric or categorical
 * columns), in *found (names owned by it, n set).  For a file whose root
 * holds only e.g. /customers. */
static strata_status groups_with_tables(const h5_source *ds, hid_t root, entry_list *found) {
  memset(found, 0, sizeof *found);
  entry_list links;
  memset(&links, 0, sizeof links);
  hsize_t at = 0;
  if (H5Literate(root, H5_INDEX_NAME, H5_ITER_INC, &at, collect_name, &links) < 0) {
    int oom = links.oom;
    entry_list_free(&links);
    H5Eclear2(H5E_DEFAULT);
    RETURN_IF(oom, STRATA_ERR_NOMEM, "out of memory listing %s:/", ds->path);
    return STRATA_OK; /* the caller's error says what the root lacks */
  }
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < links.n && st == STRATA_OK; i++) {
    const char *name = links.v[i].name;
    if (strcmp(name, STRATA_DICT_GROUP) == 0) continue;
    hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    if (obj < 0) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    if (H5Iget_type(obj) == H5I_GROUP) {
      char where[1100];
      snprintf(where, sizeof where, "/%s", name);
      entry_list l;
      st = scan_group(ds, obj, where, &l);
      size_t columns = 0;
      for (size_t k = 0; st == STRATA_OK && k < l.n; k++)
        columns += l.v[k].kind == ENTRY_COLUMN || l.v[k].kind == ENTRY_CATEGORICAL;
      if (st == STRATA_OK) entry_list_free(&l);
      if (st == STRATA_OK && columns > 0) {
        st = collect_name(root, name, NULL, found) == 0 ? STRATA_OK
                                                        : strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
      }
    }
    H5Oclose(obj);
  }
  entry_list_free(&links);
  if (st != STRATA_OK) entry_list_free(found);
  return st;
}

/* A root without a table: the one group that holds one, else an error
 * naming them. */
static strata_status open_only_group(h5_source *ds, hid_t root, const char *const *features, size_t nfeatures,
                                     int all) {
  entry_list g;
  FORWARD_IF_ERROR(groups_with_tables(ds, root, &g));
  strata_status st = STRATA_OK;
  if (g.n == 0) {
    st = strata_fail(STRATA_ERR_FORMAT, "%s:/ holds no numeric 1-D columns and no 2-D dataset", ds->path);
  } else if (g.n == 1) {
    st = set_location(ds, "/", g.v[0].name);
    hid_t grp = st == STRATA_OK ? H5Gopen2(root, g.v[0].name, H5P_DEFAULT) : -1;
    entry_list l;
    if (st == STRATA_OK && grp < 0) st = strata_fail(STRATA_ERR_FORMAT, "cannot open %s:%s", ds->path, ds->location);
    if (st == STRATA_OK && (st = scan_group(ds, grp, ds->location, &l)) == STRATA_OK) {
      st = open_group_layout(ds, grp, &l, features, nfeatures, all);
      entry_list_free(&l);
    }
    strata_h5_close(grp);
  } else {
    char list[400];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < g.n && len + strlen(g.v[i].name) + 8 < sizeof list; i++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s/%s", i ? ", " : "", g.v[i].name);
    st = strata_fail(STRATA_ERR_FORMAT, "%s:/ holds no table but %zu groups do (%s); name one as the location (--dataset)",
                     ds->path, g.n, list);
  }
  entry_list_free(&g);
  return st;
}

/* No location: the root's 1-D numeric columns, else its only 2-D dataset,
 * else the only group of the root that holds columns. */
static strata_status open_default(h5_source *ds, const char *const *features, size_t nfeatures, int all) {
  hid_t root = H5Gopen2(ds->file, "/", H5P_DEFAULT);
  char h5why[512];
  RETURN_IF(root < 0, STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: %s", ds->path,
            strata_h5_error_text(h5why, sizeof h5why));
  entry_list l;
  strata_status st = scan_group(ds, root, "/", &l);
  if (st != STRATA_OK) {
    H5Gclose(root);
    return st;
  }
  size_t columns = 0, matrices = 0, matrix = 0;
  for (size_t i = 0; i < l.n; i++) {
    columns += l.v[i].kind == ENTRY_COLUMN || l.v[i].kind == ENTRY_CATEGORICAL;
    if (l.v[i].kind == ENTRY_MATRIX && matrices++ == 0) matrix = i;
  }
  if (columns > 0) {
    GOTO_IF_ERROR(st, set_location(ds, "/", ""), done);
    st = open_group_layout(ds, root, &l, features, nfeatures, all);
  } else if (matrices == 1) {
    GOTO_IF_ERROR(st, set_location(ds, "/", l.v[matrix].name), done);
    st = open_matrix_layout(ds, features, nfeatures);
  } else if (matrices == 0) {
    st = open_only_group(ds, root, features, nfeatures, all);
  } else {
    st = strata_fail(STRATA_ERR_FORMAT, "%s:/ holds %zu 2-D datasets; name the one to read as the location",
                     ds->path, matrices);
  }
done:
  entry_list_free(&l);
  H5Gclose(root);
  return st;
}

static strata_status open_location(h5_source *ds, const char *location, const char *const *features,
                                   size_t nfeatures, int all) {
  if (!location || !*location) return open_default(ds, features, nfeatures, all);
  FORWARD_IF_ERROR(set_location(ds, location, ""));
  hid_t obj = H5Oopen(ds->file, ds->location, H5P_DEFAULT);
  if (obj < 0) {
    H5Eclear2(H5E_DEFAULT);
    return strata_fail(STRATA_ERR_NOT_FOUND, "'%s' not found in '%s'", ds->location, ds->path);
  }
  H5I_type_t kind = H5Iget_type(obj);
  strata_status st = STRATA_OK;
  if (kind == H5I_GROUP) {
    entry_list l;
    st = scan_group(ds, obj, ds->location, &l);
    if (st == STRATA_OK) st = open_group_layout(ds, obj, &l, features, nfeatures, all);
    entry_list_free(&l);
  } else if (kind == H5I_DATASET) {
    st = open_matrix_layout(ds, features, nfeatures);
  } else {
    st = strata_fail(STRATA_ERR_FORMAT, "%s:%s is neither a group nor a dataset", ds->path, ds->location);
  }
  H5Oclose(obj);
  return st;
}

/* ------------------------------------------------------------ reads */

static int ensure_buffer(h5_source *ds, size_t floats) {
  if (floats <= ds->buf_floats) return 1;
  float *b = realloc(ds->buf, floats * sizeof *b);
  if (!b) return 0;
  ds->buf = b;
  ds->buf_floats = floats;
  return 1;
}

/* A system fault is a runtime error (exit 1); a chunk or metadata HDF5
 * cannot decode is bad input (exit 2). */
static strata_status read_failed(const h5_source *ds, const char *what, size_t row0, size_t rows) {
  char why[512];
  int system = strata_h5_error_is_system(), nomem = strata_h5_error_is_nomem();
  strata_h5_error_text(why, sizeof why);
  if (nomem)
    return strata_fail(STRATA_ERR_NOMEM, "out of memory reading rows %zu-%zu of %s in '%s': %s", row0,
                       row0 + rows - 1, what, ds->path, why);
  if (system)
    return strata_fail(STRATA_ERR_IO, "cannot read rows %zu-%zu of %s in '%s': %s", row0, row0 + rows - 1, what,
                       ds->path, why);
  return strata_fail(STRATA_ERR_FORMAT, "'%s' is corrupt: cannot read rows %zu-%zu of %s: %s", ds->path, row0,
                     row0 + rows - 1, what, why);
}

/* out[i*stride] = src[i]: scatters one column into the row-major chunk. */
static void scatter_column(float *restrict out, size_t stride, const float *restrict src, size_t rows) {
  for (size_t i = 0; i < rows; i++) out[i * stride] = src[i];
}

/* One hyperslab read per chosen column. */
static strata_status read_group_layout(h5_source *ds, size_t row0, size_t rows, const size_t *pick,
                                       size_t npick, float *out) {
  /* One column needs no interleaving: HDF5 writes the chunk directly. */
  float *buf = npick == 1 ? out : ds->buf;
  hsize_t start = row0, count = rows;
  strata_status st = STRATA_OK;

  strata_h5_lock();
  hid_t mem = H5Screate_simple(1, &count, NULL);
  strata_h5_unlock();
  RETURN_IF(mem < 0, STRATA_ERR_NOMEM, "cannot read '%s': out of memory", ds->path);

  for (size_t j = 0; j < npick && st == STRATA_OK; j++) {
    column *c = &ds->col[pick ? pick[j] : j];
    strata_h5_lock();
    if (H5Sselect_hyperslab(c->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        strata_h5_read(c->dset, H5T_NATIVE_FLOAT, mem, c->space, buf) < 0) {
      char what[300];
      snprintf(what, sizeof what, "column '%s'", c->name);
      st = read_failed(ds, what, row0, rows);
    }
    strata_h5_unlock();
    /* Outside the lock, so another thread's HDF5 call can run meanwhile. */
    if (st == STRATA_OK && npick > 1) scatter_column(out + j, npick, buf, rows);
  }
  strata_h5_lock();
  H5Sclose(mem);
  strata_h5_unlock();
  return st;
}

/* Whole rows are read even for a few columns: row blocks are what both
 * contiguous and chunked storage deliver cheaply. */
static strata_status read_matrix_layout(h5_source *ds, size_t row0, size_t rows, const size_t *pick,
                                        size_t npick, float *out) {
  size_t d = ds->matrix_cols;
  int direct = ds->identity && !pick;
  float *block = direct ? out : ds->buf;
  hsize_t start[2] = {row0, 0}, count[2] = {rows, d};
  strata_status st = STRATA_OK;

  strata_h5_lock();
  hid_t mem = H5Screate_simple(2, count, NULL);
  if (mem < 0 || H5Sselect_hyperslab(ds->matrix_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      strata_h5_read(ds->matrix, H5T_NATIVE_FLOAT, mem, ds->matrix_space, block) < 0)
    st = read_failed(ds, ds->location, row0, rows);
  strata_h5_close(mem);
  strata_h5_unlock();
  if (st != STRATA_OK || direct) return st;

  for (size_t i = 0; i < rows; i++) {
    const float *src = block + i * d;
    float *dst = out + i * npick;
    for (size_t j = 0; j < npick; j++) dst[j] = src[ds->pick[pick ? pick[j] : j]];
  }
  return STRATA_OK;
}

/* ---- the input must not change under a fit -------------------------------
 *
 * A streaming fit reads the file once per pass: a file rewritten in between
 * would give a model of neither version.  Each pass that starts at row 0
 * checks the file's identity, size and modification time against the open,
 * and a pass that reads every row in order hashes what it read; a later
 * complete pass over the same columns must hash the same (which also
 * catches a rewrite that restored the modification time). */

/* A checksum of what a pass read: every 64th value of the pass (counting
 * row-major over the picked columns), its bits added to one of eight lanes,
 * modulo 2^64.  It does not depend on how the pass was cut into reads.  A
 * sample, because summing every value cost a streaming pass 20% (memory
 * bandwidth): another writer's rewrite changes sampled values, and a small
 * edit changes the modification time, which is checked too. */
#define CHECK_STRIDE 64

static void hash_values(uint64_t lane[8], uint64_t g, const float *v, size_t n) {
  const uint32_t *w = (const uint32_t *)(const void *)v;
  uint64_t first = (g + CHECK_STRIDE - 1) / CHECK_STRIDE * CHECK_STRIDE;
  for (uint64_t x = first; x < g + n; x += CHECK_STRIDE) lane[(x / CHECK_STRIDE) & 7] += w[x - g];
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t pick_signature(const size_t *pick, size_t npick) {
  uint64_t h = hash_bytes(0x12345678u, &npick, sizeof npick);
  return pick ? hash_bytes(h, pick, npick * sizeof *pick) : h;
}

static strata_status file_unchanged(const h5_source *ds) {
  struct stat sb;
  if (!ds->have_st0 || stat(ds->path, &sb) != 0) return STRATA_OK; /* a read error will say more */
  RETURN_IF(sb.st_dev != ds->st0.st_dev || sb.st_ino != ds->st0.st_ino || sb.st_size != ds->st0.st_size ||
                sb.st_mtim.tv_sec != ds->st0.st_mtim.tv_sec || sb.st_mtim.tv_nsec != ds->st0.st_mtim.tv_nsec,
            STRATA_ERR_IO, "'%s' changed while it was being read (it is not the file that was opened); run again "
            "when nothing writes to it", ds->path);
  return STRATA_OK;
}

/* Called under read_mutex around every read: before (out == NULL) and
 * after it. */
static strata_status watch_read(h5_source *ds, size_t row0, size_t rows, const size_t *pick, size_t npick,
                                const float *out) {
  if (!out) {
    if (row0 == 0) {
      FORWARD_IF_ERROR(file_unchanged(ds));
      ds->pass_pick = pick_signature(pick, npick);
      for (int k = 0; k < 8; k++) ds->lane[k] = ds->pass_pick + (uint64_t)k;
      ds->next_row = 0;
    } else if (row0 != ds->next_row || pick_signature(pick, npick) != ds->pass_pick) {
      ds->next_row = SIZE_MAX;
    }
    return STRATA_OK;
  }
  if (ds->next_row != row0) return STRATA_OK;
  hash_values(ds->lane, (uint64_t)row0 * npick, out, rows * npick);
  ds->next_row = row0 + rows;
  if (ds->next_row < ds->rows) return STRATA_OK;
  ds->next_row = SIZE_MAX;
  FORWARD_IF_ERROR(file_unchanged(ds));
  const uint64_t pass_hash = hash_bytes(ds->lane[0], ds->lane + 1, 7 * sizeof *ds->lane);
  if (!ds->have_first || ds->first_pick != ds->pass_pick) {
    ds->first_hash = pass_hash;
    ds->first_pick = ds->pass_pick;
    ds->have_first = 1;
    return STRATA_OK;
  }
  RETURN_IF(pass_hash != ds->first_hash, STRATA_ERR_IO,
            "'%s' changed while it was being read: a pass read other values than the first; run again when "
            "nothing writes to it", ds->path);
  return STRATA_OK;
}

static strata_status h5_read(strata_source *s, size_t row0, size_t rows, const size_t *pick, size_t npick,
                             float *out) {
  h5_source *ds = (h5_source *)s;
  int matrix = ds->matrix >= 0;
  size_t width = matrix ? ds->matrix_cols : 1;
  int need_buffer = matrix ? !(ds->identity && !pick) : npick > 1;
  RETURN_IF(rows > SIZE_MAX / sizeof(float) / width, STRATA_ERR_USAGE, "cannot read %zu rows of '%s' at once",
            rows, ds->path);

  pthread_mutex_lock(&ds->read_mutex);
  strata_status st = watch_read(ds, row0, rows, pick, npick, NULL);
  if (st == STRATA_OK && need_buffer && !ensure_buffer(ds, rows * width))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory reading %zu rows of '%s'", rows, ds->path);
  else if (st == STRATA_OK)
    st = matrix ? read_matrix_layout(ds, row0, rows, pick, npick, out)
                : read_group_layout(ds, row0, rows, pick, npick, out);
  if (st == STRATA_OK) st = watch_read(ds, row0, rows, pick, npick, out);
  pthread_mutex_unlock(&ds->read_mutex);
  return st;
}

/* ------------------------------------------------------------ open, close */

static void h5_close(strata_source *s) {
  h5_source *ds = (h5_source *)s;
  strata_h5_lock();
  for (size_t j = 0; j < ds->cols; j++) {
    strata_h5_close(ds->col[j].space);
    strata_h5_close(ds->col[j].dset);
  }
  strata_h5_close(ds->matrix_space);
  strata_h5_close(ds->matrix);
  strata_h5_close(ds->file);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  for (size_t j = 0; j < ds->cols; j++) free(ds->col[j].name);
  free(ds->col);
  free(ds->desc);
  free(ds->pick);
  free(ds->buf);
  free(ds->path);
  free(ds->location);
  pthread_mutex_destroy(&ds->read_mutex);
  free(ds);
}

static const strata_source_ops columns_ops = {"hdf5-columns", h5_read, strata_source_default_chunk, NULL, h5_close};
static const strata_source_ops matrix_ops = {"hdf5-matrix", h5_read, strata_source_default_chunk, NULL, h5_close};

/* The description (io/source.h) of what open found. */
static strata_status describe(h5_source *ds) {
  ds->desc = calloc(ds->cols ? ds->cols : 1, sizeof *ds->desc);
  RETURN_IF(!ds->desc, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
  for (size_t j = 0; j < ds->cols; j++) {
    const column *c = &ds->col[j];
    ds->desc[j] = (strata_source_col){c->name, c->type, c->stype[0] ? c->stype : NULL, c->kind, c->is_id, -1, NULL};
  }
  int matrix = ds->matrix >= 0;
  ds->base = (strata_source){.ops = matrix ? &matrix_ops : &columns_ops,
                             .rows = ds->rows,
                             .cols = ds->cols,
                             .col = ds->desc,
                             .path = ds->path,
                             .location = ds->location,
                             .layout = matrix ? STRATA_LAYOUT_MATRIX : STRATA_LAYOUT_COLUMNS,
                             .file_chunk_rows = ds->file_chunk_rows};
  return STRATA_OK;
}

/* A source with nothing open yet, which h5_close can close. */
static strata_status new_source(const char *path, h5_source **out) {
  h5_source *ds = calloc(1, sizeof *ds);
  RETURN_IF(!ds, STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  ds->file = ds->matrix = ds->matrix_space = -1;
  ds->base.ops = &columns_ops;
  pthread_mutex_init(&ds->read_mutex, NULL);
  ds->next_row = SIZE_MAX;
  *out = ds;
  if (!(ds->path = strdup(path))) {
    h5_close(&ds->base);
    *out = NULL;
    return strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  }
  return STRATA_OK;
}

typedef struct {
  const char *location;
  const char *const *features;
  size_t nfeatures;
  int all;
} open_request;

/* The open's own calls, made first by the probe's child (io/h5_probe.c):
 * HDF5 1.10 can crash in them from the state its free lists are in, which
 * the child shares with the parent and the walk alone does not recreate. */
static strata_status open_as_child(hid_t file, const char *path, void *ctx) {
  const open_request *r = ctx;
  h5_source *ds;
  FORWARD_IF_ERROR(new_source(path, &ds));
  ds->file = file;
  strata_status st = open_location(ds, r->location, r->features, r->nfeatures, r->all);
  ds->file = -1; /* the caller's */
  h5_close(&ds->base);
  return st;
}

strata_status strata_source_h5_open(const char *path, const char *location, const char *const *features,
                                    size_t nfeatures, int all, strata_source **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_open: out is NULL");
  *out = NULL;
  RETURN_IF(!path || !*path, STRATA_ERR_USAGE, "strata_dataset_open: no file name");

  h5_source *ds;
  FORWARD_IF_ERROR(new_source(path, &ds));
  open_request request = {location, features, nfeatures, all};
  const strata_h5_check check = {open_as_child, &request, 1};
  strata_status st = strata_h5_open_read_checked(path, &ds->file, &check);
  if (st == STRATA_OK) ds->have_st0 = stat(path, &ds->st0) == 0;
  if (st == STRATA_OK) {
    strata_h5_lock();
    st = open_location(ds, location, features, nfeatures, all);
    strata_h5_unlock();
  }
  if (st == STRATA_OK) st = describe(ds);
  if (st != STRATA_OK) {
    h5_close(&ds->base);
    return st;
  }
  *out = &ds->base;
  return STRATA_OK;
}
