/* Columnar HDF5 input (strata.h strata_dataset_*, io/dataset.h).
 *
 * Two layouts are read: a group holding one 1-D dataset per feature, or one
 * 2-D n×d dataset.  In the group layout a column may carry the attributes of
 * an imported table (io/table_format.h): categorical columns (int32 codes)
 * and identifier columns are never picked when no features are named, and a
 * categorical column is refused as a feature; strata_dataset_open_all opens
 * every column for listing them (strata inspect).  Every HDF5 id a read needs is opened once at open time
 * and kept for the life of the handle; reads convert to float32 inside
 * HDF5 (which handles every integer and float type) and interleave the
 * columns into the row-major chunk the kernels want. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "h5_util.h"
#include "onehot.h"
#include "table_format.h"

#define TYPE_NAME_MAX 16

/* HDF5 decompresses a filtered chunk into its chunk cache (1 MiB by default
 * per dataset); a chunk that does not fit is decompressed again on every
 * partial read, e.g. 16 times over for 64Ki-row reads of 1Mi-row chunks.
 * Such columns get a cache of one chunk, up to CHUNK_CACHE_MAX each and
 * CHUNK_CACHE_BUDGET for all selected columns together; reads aligned with
 * the file's chunks (strata_dataset_recommend_chunk) never need it. */
#define CHUNK_CACHE_DEFAULT ((size_t)1 << 20)
#define CHUNK_CACHE_MAX ((size_t)16 << 20)
#define CHUNK_CACHE_BUDGET ((size_t)64 << 20)

/* Used when a caller passes target_bytes == 0 to recommend_chunk. */
#define DEFAULT_CHUNK_BYTES ((size_t)8 << 20)

typedef struct {
  char *name;
  char type[TYPE_NAME_MAX];
  char stype[TYPE_NAME_MAX]; /* @strata_type, "" when absent */
  strata_col_kind kind;
  int is_id;                 /* @strata_role = "id" */
  hid_t dset;  /* group layout: this column's dataset; -1 in the 2-D layout */
  hid_t space; /* its file dataspace, reselected on every read */
} column;

struct strata_dataset {
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

  /* Reads of one dataset are serialised: they share the ids and the buffer. */
  pthread_mutex_t read_mutex;
  float *buf; /* one column (group layout) or one row block (2-D layout) */
  size_t buf_floats;

  /* Categorical columns expanded one-hot after the numeric ones
   * (strata_dataset_add_categorical); `cols` counts the numeric ones only. */
  strata_onehot *onehot;
  pthread_mutex_t onehot_mutex;
  float *numbuf; /* the numeric part of a read, before interleaving */
  size_t numbuf_floats;

  /* Rows held in memory (io/mem_dataset.c): rows×cols floats, owned; no
   * HDF5 ids are open then. */
  float *mem;
  /* One-hot groups of an in-memory dataset (strata_dataset_copy_groups):
   * cols entries, -1 numeric; NULL when it has none. */
  int *mem_group;
  char **mem_group_names;
  size_t mem_ngroups;
};

/* ------------------------------------------------------------ accessors */

size_t strata_dataset_rows(const strata_dataset *ds) { return ds->rows; }
static size_t onehot_cols(const strata_dataset *ds) {
  return ds->onehot ? strata_onehot_cols(ds->onehot) : 0;
}
size_t strata_dataset_cols(const strata_dataset *ds) { return ds->cols + onehot_cols(ds); }
const char *strata_dataset_col_name(const strata_dataset *ds, size_t j) {
  if (j >= ds->cols && j - ds->cols < onehot_cols(ds)) return strata_onehot_col_name(ds->onehot, j - ds->cols);
  return j < ds->cols ? ds->col[j].name : NULL;
}
int strata_dataset_col_group(const strata_dataset *ds, size_t j) {
  if (ds->mem_group) return j < ds->cols ? ds->mem_group[j] : -1;
  if (j < ds->cols || j - ds->cols >= onehot_cols(ds)) return -1;
  return (int)strata_onehot_col_group(ds->onehot, j - ds->cols);
}
size_t strata_dataset_groups(const strata_dataset *ds) {
  if (ds->mem_group) return ds->mem_ngroups;
  return ds->onehot ? strata_onehot_groups(ds->onehot) : 0;
}
const char *strata_dataset_group_name(const strata_dataset *ds, size_t g) {
  if (ds->mem_group) return g < ds->mem_ngroups ? ds->mem_group_names[g] : NULL;
  return strata_onehot_group_name(ds->onehot, g);
}
const char *strata_dataset_col_category(const strata_dataset *ds, size_t j) {
  if (strata_dataset_col_group(ds, j) < 0) return NULL;
  if (ds->mem_group) {
    /* One-hot columns are named "column=category". */
    const char *eq = strchr(ds->col[j].name, '=');
    return eq ? eq + 1 : ds->col[j].name;
  }
  return strata_onehot_col_category(ds->onehot, j - ds->cols);
}
uint64_t strata_dataset_unknown_categories(const strata_dataset *ds) {
  return ds->onehot ? strata_onehot_unknown(ds->onehot) : 0;
}
const char *strata_dataset_col_type(const strata_dataset *ds, size_t j) {
  if (strata_dataset_col_group(ds, j) >= 0) return "one-hot";
  return j < ds->cols ? ds->col[j].type : NULL;
}
strata_col_kind strata_dataset_col_kind(const strata_dataset *ds, size_t j) {
  return j < ds->cols ? ds->col[j].kind : STRATA_COL_NUMERIC;
}
const char *strata_dataset_col_stype(const strata_dataset *ds, size_t j) {
  return j < ds->cols && ds->col[j].stype[0] ? ds->col[j].stype : NULL;
}
int strata_dataset_col_is_id(const strata_dataset *ds, size_t j) { return j < ds->cols && ds->col[j].is_id; }
const char *strata_dataset_path(const strata_dataset *ds) { return ds->path; }
const char *strata_dataset_location(const strata_dataset *ds) { return ds->location; }
size_t strata_dataset_file_chunk_rows(const strata_dataset *ds) { return ds->file_chunk_rows; }

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
  H5T_class_t cls = H5Tget_class(type);
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
static strata_status scan_group(const strata_dataset *ds, hid_t group, const char *where, entry_list *out) {
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

/* Maps the requested features to candidate indices.  names[i] is candidate
 * i; why_unusable[i] is NULL when it can be a column, else the reason
 * ("is not numeric"); categorical[i] (may be NULL) marks a categorical
 * column, whose refusal names --categorical.  features NULL/0: every usable
 * candidate in order, but those with not_default[i] set (identifiers; may
 * be NULL).  pick OUT (malloc'ed, *npick entries). */
static strata_status select_columns(const strata_dataset *ds, const char *const *names,
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
    for (size_t f = 0; f < nfeatures; f++) {
      const char *name = features[f];
      strata_status st = STRATA_OK;
      if (!name || !*name) {
        st = strata_fail(STRATA_ERR_USAGE, "feature %zu has an empty name", f + 1);
      } else {
        for (size_t g = 0; g < f && st == STRATA_OK; g++)
          if (features[g] && strcmp(features[g], name) == 0)
            st = strata_fail(STRATA_ERR_USAGE, "feature '%s' is given twice", name);
      }
      size_t i = 0;
      while (st == STRATA_OK && i < n && strcmp(names[i], name) != 0) i++;
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
        free(p);
        return st;
      }
      p[f] = i;
    }
  }
  *pick = p;
  *npick = want;
  return STRATA_OK;
}

static strata_status alloc_columns(strata_dataset *ds, size_t cols) {
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
static strata_status open_group_layout(strata_dataset *ds, hid_t group, const entry_list *l,
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

/* Column names of a matrix: its "columns" string attribute, else c0..c{d-1}. */
static strata_status matrix_names(strata_dataset *ds, hid_t dset, size_t d, char **names) {
  htri_t has = H5Aexists(dset, "columns");
  if (has > 0) {
    hid_t attr = H5Aopen(dset, "columns", H5P_DEFAULT);
    int rc = attr >= 0 ? strata_h5_read_strings(attr, 1, d, names) : -1;
    strata_h5_close(attr);
    RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
    RETURN_IF(rc != 0, STRATA_ERR_FORMAT, "attribute 'columns' of %s:%s is not an array of %zu strings",
              ds->path, ds->location, d);
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

static strata_status open_matrix_layout(strata_dataset *ds, const char *const *features, size_t nfeatures) {
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
  hsize_t dims[2];
  H5Sget_simple_extent_dims(ds->matrix_space, dims, NULL);
  ds->rows = (size_t)dims[0];
  ds->matrix_cols = (size_t)dims[1];
  ds->file_chunk_rows = chunk_rows;
  RETURN_IF(ds->matrix_cols == 0, STRATA_ERR_FORMAT, "no columns in %s:%s", ds->path, ds->location);

  size_t d = ds->matrix_cols, cols = 0;
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

static strata_status set_location(strata_dataset *ds, const char *a, const char *b) {
  size_t len = strlen(a) + strlen(b) + 2;
  ds->location = malloc(len);
  RETURN_IF(!ds->location, STRATA_ERR_NOMEM, "out of memory opening '%s'", ds->path);
  snprintf(ds->location, len, "%s%s%s", a[0] == '/' ? "" : "/", a, b);
  return STRATA_OK;
}

/* No location: the root's 1-D numeric columns, else its only 2-D dataset. */
static strata_status open_default(strata_dataset *ds, const char *const *features, size_t nfeatures, int all) {
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
    st = strata_fail(STRATA_ERR_FORMAT, "%s:/ holds no numeric 1-D columns and no 2-D dataset", ds->path);
  } else {
    st = strata_fail(STRATA_ERR_FORMAT, "%s:/ holds %zu 2-D datasets; name the one to read as the location",
                     ds->path, matrices);
  }
done:
  entry_list_free(&l);
  H5Gclose(root);
  return st;
}

static strata_status open_location(strata_dataset *ds, const char *location, const char *const *features,
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

static strata_status open_dataset_with(const char *path, const char *location, const char *const *features,
                                       size_t nfeatures, int all, strata_dataset **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_open: out is NULL");
  *out = NULL;
  RETURN_IF(!path || !*path, STRATA_ERR_USAGE, "strata_dataset_open: no file name");

  strata_dataset *ds = calloc(1, sizeof *ds);
  RETURN_IF(!ds, STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  ds->file = ds->matrix = ds->matrix_space = -1;
  pthread_mutex_init(&ds->read_mutex, NULL);
  pthread_mutex_init(&ds->onehot_mutex, NULL);
  if (!(ds->path = strdup(path))) {
    strata_dataset_free(ds);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  }
  strata_status st = strata_h5_open_read(path, &ds->file);
  if (st == STRATA_OK) {
    strata_h5_lock();
    st = open_location(ds, location, features, nfeatures, all);
    strata_h5_unlock();
  }
  if (st != STRATA_OK) {
    strata_dataset_free(ds);
    return st;
  }
  *out = ds;
  return STRATA_OK;
}

strata_status strata_dataset_open(const char *path, const char *location, const char *const *features,
                                  size_t nfeatures, strata_dataset **out) {
  return open_dataset_with(path, location, features, nfeatures, 0, out);
}

strata_status strata_dataset_open_all(const char *path, const char *location, strata_dataset **out) {
  return open_dataset_with(path, location, NULL, 0, 1, out);
}

strata_status strata_dataset_adopt_memory(float *x, size_t rows, size_t cols, char **names,
                                          strata_dataset **out) {
  strata_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) {
    free(x);
    for (size_t j = 0; j < cols; j++) free(names[j]);
    free(names);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  ds->file = ds->matrix = ds->matrix_space = -1;
  pthread_mutex_init(&ds->read_mutex, NULL);
  pthread_mutex_init(&ds->onehot_mutex, NULL);
  ds->mem = x;
  ds->rows = rows;
  ds->path = strdup(STRATA_MEMORY_PATH);
  ds->location = strdup("");
  strata_status st = ds->path && ds->location ? alloc_columns(ds, cols) : strata_fail(STRATA_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < cols; j++) {
    if (st == STRATA_OK) {
      ds->col[j].name = names[j];
      memcpy(ds->col[j].type, "float32", sizeof "float32");
    } else {
      free(names[j]);
    }
  }
  free(names);
  if (st != STRATA_OK) {
    strata_dataset_free(ds);
    return st;
  }
  *out = ds;
  return STRATA_OK;
}

strata_status strata_dataset_copy_groups(strata_dataset *dst, const strata_dataset *src) {
  size_t d = strata_dataset_cols(dst), ng = strata_dataset_groups(src);
  RETURN_IF(!dst->mem || dst->mem_group || strata_dataset_cols(src) != d, STRATA_ERR_INTERNAL,
            "strata_dataset_copy_groups: needs an in-memory dataset without groups and as many columns");
  if (ng == 0) return STRATA_OK;
  int *group = malloc(d * sizeof *group);
  char **names = calloc(ng, sizeof *names);
  int ok = group && names;
  for (size_t j = 0; ok && j < d; j++) group[j] = strata_dataset_col_group(src, j);
  for (size_t g = 0; ok && g < ng; g++) ok = (names[g] = strdup(strata_dataset_group_name(src, g))) != NULL;
  if (!ok) {
    free(group);
    for (size_t g = 0; names && g < ng; g++) free(names[g]);
    free(names);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  dst->mem_group = group;
  dst->mem_group_names = names;
  dst->mem_ngroups = ng;
  return STRATA_OK;
}

void strata_dataset_free(strata_dataset *ds) {
  if (!ds) return;
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
  strata_onehot_free(ds->onehot);
  free(ds->numbuf);
  free(ds->mem);
  free(ds->mem_group);
  for (size_t g = 0; ds->mem_group_names && g < ds->mem_ngroups; g++) free(ds->mem_group_names[g]);
  free(ds->mem_group_names);
  free(ds->pick);
  free(ds->buf);
  free(ds->path);
  free(ds->location);
  pthread_mutex_destroy(&ds->read_mutex);
  pthread_mutex_destroy(&ds->onehot_mutex);
  free(ds);
}

/* ------------------------------------------------------------ reads */

static int ensure_buffer(strata_dataset *ds, size_t floats) {
  if (floats <= ds->buf_floats) return 1;
  float *b = realloc(ds->buf, floats * sizeof *b);
  if (!b) return 0;
  ds->buf = b;
  ds->buf_floats = floats;
  return 1;
}

static strata_status read_failed(const strata_dataset *ds, const char *what, size_t row0, size_t rows) {
  char why[512];
  return strata_fail(STRATA_ERR_IO, "cannot read rows %zu-%zu of %s in '%s': %s", row0, row0 + rows - 1, what,
                     ds->path, strata_h5_error_text(why, sizeof why));
}

/* out[i*stride] = src[i]: scatters one column into the row-major chunk. */
static void scatter_column(float *restrict out, size_t stride, const float *restrict src, size_t rows) {
  for (size_t i = 0; i < rows; i++) out[i * stride] = src[i];
}

static strata_status read_group_layout(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  size_t cols = ds->cols;
  /* One column needs no interleaving: HDF5 writes the chunk directly. */
  float *buf = cols == 1 ? out : ds->buf;
  hsize_t start = row0, count = rows;
  strata_status st = STRATA_OK;

  strata_h5_lock();
  hid_t mem = H5Screate_simple(1, &count, NULL);
  strata_h5_unlock();
  RETURN_IF(mem < 0, STRATA_ERR_NOMEM, "cannot read '%s': out of memory", ds->path);

  for (size_t j = 0; j < cols && st == STRATA_OK; j++) {
    column *c = &ds->col[j];
    strata_h5_lock();
    if (H5Sselect_hyperslab(c->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        H5Dread(c->dset, H5T_NATIVE_FLOAT, mem, c->space, H5P_DEFAULT, buf) < 0) {
      char what[300];
      snprintf(what, sizeof what, "column '%s'", c->name);
      st = read_failed(ds, what, row0, rows);
    }
    strata_h5_unlock();
    /* Outside the lock, so another thread's HDF5 call can run meanwhile. */
    if (st == STRATA_OK && cols > 1) scatter_column(out + j, cols, buf, rows);
  }
  strata_h5_lock();
  H5Sclose(mem);
  strata_h5_unlock();
  return st;
}

static strata_status read_matrix_layout(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  size_t d = ds->matrix_cols, cols = ds->cols;
  /* Whole rows are read even for a few columns: row blocks are what both
   * contiguous and chunked storage deliver cheaply. */
  float *block = ds->identity ? out : ds->buf;
  hsize_t start[2] = {row0, 0}, count[2] = {rows, d};
  strata_status st = STRATA_OK;

  strata_h5_lock();
  hid_t mem = H5Screate_simple(2, count, NULL);
  if (mem < 0 || H5Sselect_hyperslab(ds->matrix_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(ds->matrix, H5T_NATIVE_FLOAT, mem, ds->matrix_space, H5P_DEFAULT, block) < 0)
    st = read_failed(ds, ds->location, row0, rows);
  strata_h5_close(mem);
  strata_h5_unlock();
  if (st != STRATA_OK || ds->identity) return st;

  const size_t *pick = ds->pick;
  for (size_t i = 0; i < rows; i++) {
    const float *src = block + i * d;
    float *dst = out + i * cols;
    for (size_t j = 0; j < cols; j++) dst[j] = src[pick[j]];
  }
  return STRATA_OK;
}

static strata_status read_numeric(strata_dataset *ds, size_t row0, size_t rows, float *out);

/* Numeric columns into a side buffer, then numeric and one-hot parts
 * interleaved into out. */
static strata_status read_with_onehot(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  size_t nc = ds->cols, total = strata_dataset_cols(ds);
  if (nc > 0) {
    if (rows * nc > ds->numbuf_floats) {
      float *b = realloc(ds->numbuf, rows * nc * sizeof *b);
      RETURN_IF(!b, STRATA_ERR_NOMEM, "out of memory reading %zu rows of '%s'", rows, ds->path);
      ds->numbuf = b;
      ds->numbuf_floats = rows * nc;
    }
    FORWARD_IF_ERROR(read_numeric(ds, row0, rows, ds->numbuf));
    for (size_t i = 0; i < rows; i++) memcpy(out + i * total, ds->numbuf + i * nc, nc * sizeof *out);
  }
  return strata_onehot_read(ds->onehot, row0, rows, out + nc, total);
}

strata_status strata_dataset_add_categorical(strata_dataset *ds, const char *const *names, size_t n,
                                             const char *const *const *categories,
                                             const size_t *ncategories) {
  RETURN_IF(!ds || (n && !names), STRATA_ERR_USAGE, "strata_dataset_add_categorical: NULL argument");
  RETURN_IF(ds->onehot, STRATA_ERR_USAGE, "categorical columns were already added to '%s'", ds->path);
  RETURN_IF(ds->mem && n > 0, STRATA_ERR_USAGE, "an in-memory dataset has no categorical columns");
  RETURN_IF(ds->matrix >= 0 && n > 0, STRATA_ERR_USAGE,
            "'%s' is a 2-D dataset: categorical columns need a columnar table", ds->path);
  if (n == 0) return STRATA_OK;
  for (size_t g = 0; g < n; g++)
    for (size_t j = 0; j < ds->cols; j++)
      RETURN_IF(strcmp(names[g], ds->col[j].name) == 0, STRATA_ERR_USAGE,
                "column '%s' is both a feature and categorical", names[g]);
  const char *loc = ds->location;
  return strata_onehot_open(ds->path, loc, names, n, categories, ncategories, ds->rows, &ds->onehot);
}

strata_status strata_dataset_read(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  RETURN_IF(row0 > ds->rows || rows > ds->rows - row0, STRATA_ERR_USAGE,
            "rows %zu-%zu are outside '%s' (%zu rows)", row0, row0 + rows - 1, ds->path, ds->rows);
  if (rows == 0) return STRATA_OK;
  if (ds->mem) {
    memcpy(out, ds->mem + row0 * ds->cols, rows * ds->cols * sizeof *out);
    return STRATA_OK;
  }
  if (!ds->onehot) return read_numeric(ds, row0, rows, out);
  /* Its own lock: read_numeric takes read_mutex inside. */
  pthread_mutex_lock(&ds->onehot_mutex);
  strata_status st = read_with_onehot(ds, row0, rows, out);
  pthread_mutex_unlock(&ds->onehot_mutex);
  return st;
}

static strata_status read_numeric(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  size_t width = ds->matrix >= 0 ? ds->matrix_cols : 1;
  int need_buffer = ds->matrix >= 0 ? !ds->identity : ds->cols > 1;
  RETURN_IF(rows > SIZE_MAX / sizeof(float) / width, STRATA_ERR_USAGE, "cannot read %zu rows of '%s' at once",
            rows, ds->path);

  pthread_mutex_lock(&ds->read_mutex);
  strata_status st = STRATA_OK;
  if (need_buffer && !ensure_buffer(ds, rows * width))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory reading %zu rows of '%s'", rows, ds->path);
  else if (ds->matrix >= 0)
    st = read_matrix_layout(ds, row0, rows, out);
  else
    st = read_group_layout(ds, row0, rows, out);
  pthread_mutex_unlock(&ds->read_mutex);
  return st;
}

/* ------------------------------------------------------------ chunk size */

static size_t gcd_size(size_t a, size_t b) {
  while (b) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Nearest multiple of m to x, at least m. */
static size_t round_to_multiple(size_t x, size_t m) {
  size_t r = (x + m / 2) / m * m;
  return r < m ? m : r;
}

size_t strata_dataset_recommend_chunk(const strata_dataset *ds, size_t multiple, size_t target_bytes) {
  size_t m = multiple ? multiple : 1;
  size_t cols = ds->cols ? ds->cols : 1;
  size_t target = (target_bytes ? target_bytes : DEFAULT_CHUNK_BYTES) / (sizeof(float) * cols);
  size_t r = round_to_multiple(target, m);

  /* Following the file's chunks means each is read (and decompressed) once
   * per pass; worth it while the common multiple stays near the target. */
  size_t fc = ds->file_chunk_rows;
  if (fc > 0) {
    size_t g = gcd_size(m, fc);
    size_t lcm = m / g <= SIZE_MAX / fc ? m / g * fc : 0;
    if (lcm > 0 && lcm <= 2 * target) r = round_to_multiple(target, lcm);
  }

  size_t cover = ds->rows == 0 ? m : (ds->rows + m - 1) / m * m;
  return r < cover ? r : cover;
}
