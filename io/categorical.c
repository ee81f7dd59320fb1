/* Categorical columns (io/categorical.h). */
#include "categorical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "h5_util.h"
#include "table_format.h"

#define COUNT_CHUNK_ROWS ((size_t)65536)

typedef struct {
  char *name;
  hid_t dset, space;
  size_t categories;
  char **dict; /* NULL until read */
} catcol;

struct strata_catcols {
  char *path, *location;
  hid_t file, group;
  size_t rows, cols, file_chunk_rows;
  catcol *col;
  int32_t *buf; /* one column of a read */
  size_t buf_rows;
};

size_t strata_catcols_rows(const strata_catcols *c) { return c->rows; }
size_t strata_catcols_cols(const strata_catcols *c) { return c->cols; }
const char *strata_catcols_name(const strata_catcols *c, size_t j) { return j < c->cols ? c->col[j].name : NULL; }
size_t strata_catcols_categories(const strata_catcols *c, size_t j) { return j < c->cols ? c->col[j].categories : 0; }
size_t strata_catcols_file_chunk_rows(const strata_catcols *c) { return c->file_chunk_rows; }

void strata_catcols_free(strata_catcols *c) {
  if (!c) return;
  strata_h5_lock();
  for (size_t j = 0; j < c->cols; j++) {
    strata_h5_close(c->col[j].space);
    strata_h5_close(c->col[j].dset);
  }
  strata_h5_close(c->group);
  strata_h5_close(c->file);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  for (size_t j = 0; j < c->cols; j++) {
    if (c->col[j].dict)
      for (size_t k = 0; k < c->col[j].categories; k++) free(c->col[j].dict[k]);
    free(c->col[j].dict);
    free(c->col[j].name);
  }
  free(c->col);
  free(c->buf);
  free(c->path);
  free(c->location);
  free(c);
}

/* @strata_type of obj is "categorical". */
static int is_categorical(hid_t obj) {
  if (H5Aexists(obj, STRATA_ATTR_TYPE) <= 0) return 0;
  hid_t attr = H5Aopen(obj, STRATA_ATTR_TYPE, H5P_DEFAULT);
  char *v = NULL;
  int yes = attr >= 0 && strata_h5_read_strings(attr, 1, 1, &v) == 0 && strcmp(v, "categorical") == 0;
  free(v);
  strata_h5_close(attr);
  return yes;
}

/* Opens column j: its codes and the size of its dictionary.  Caller holds the lock. */
static strata_status open_column(strata_catcols *c, size_t j, const char *name) {
  catcol *col = &c->col[j];
  col->dset = col->space = -1;
  RETURN_IF(!(col->name = strdup(name)), STRATA_ERR_NOMEM, "out of memory opening '%s'", c->path);
  if (H5Lexists(c->group, name, H5P_DEFAULT) <= 0 || (col->dset = H5Dopen2(c->group, name, H5P_DEFAULT)) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return strata_fail(STRATA_ERR_COLUMN, "column '%s' not found in %s:%s", name, c->path, c->location);
  }
  col->space = H5Dget_space(col->dset);
  hid_t type = H5Dget_type(col->dset);
  int ok = col->space >= 0 && type >= 0 && H5Sget_simple_extent_ndims(col->space) == 1 &&
           strata_h5_numeric_class(type) == H5T_INTEGER && is_categorical(col->dset);
  strata_h5_close(type);
  H5Eclear2(H5E_DEFAULT);
  RETURN_IF(!ok, STRATA_ERR_COLUMN, "column '%s' in %s:%s is not categorical", name, c->path, c->location);
  char what[1100];
  snprintf(what, sizeof what, "column '%s'", name);
  FORWARD_IF_ERROR(strata_h5_check_stored(c->path, what, col->dset, col->space));
  hsize_t rows;
  H5Sget_simple_extent_dims(col->space, &rows, NULL);
  if (j == 0) c->rows = (size_t)rows;
  RETURN_IF((size_t)rows != c->rows, STRATA_ERR_FORMAT, "columns of unequal length in %s:%s: '%s' and '%s'", c->path,
            c->location, c->col[0].name, name);
  hid_t dcpl = H5Dget_create_plist(col->dset);
  hsize_t chunk;
  if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &chunk) == 1 &&
      (size_t)chunk > c->file_chunk_rows)
    c->file_chunk_rows = (size_t)chunk;
  strata_h5_close(dcpl);

  char dict_path[1100];
  snprintf(dict_path, sizeof dict_path, "%s/%s", STRATA_DICT_GROUP, name);
  hid_t dict = H5Lexists(c->group, STRATA_DICT_GROUP, H5P_DEFAULT) > 0 &&
                       H5Lexists(c->group, dict_path, H5P_DEFAULT) > 0
                   ? H5Dopen2(c->group, dict_path, H5P_DEFAULT)
                   : -1;
  hid_t dspace = dict >= 0 ? H5Dget_space(dict) : -1;
  hssize_t k = dspace >= 0 ? H5Sget_simple_extent_npoints(dspace) : -1;
  strata_h5_close(dspace);
  strata_h5_close(dict);
  H5Eclear2(H5E_DEFAULT);
  RETURN_IF(k < 0, STRATA_ERR_FORMAT, "%s:%s has no dictionary for categorical column '%s' (%s)", c->path,
            c->location, name, dict_path);
  col->categories = (size_t)k;
  return STRATA_OK;
}

strata_status strata_dataset_open_categorical(const char *path, const char *location, const char *const *names,
                                              size_t n, strata_catcols **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_open_categorical: out is NULL");
  *out = NULL;
  RETURN_IF(!path || !names || n == 0, STRATA_ERR_USAGE, "strata_dataset_open_categorical: no file or no columns");
  strata_catcols *c = calloc(1, sizeof *c);
  RETURN_IF(!c, STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  c->file = c->group = -1;
  c->path = strdup(path);
  c->location = strdup(location && *location ? location : "/");
  c->col = calloc(n, sizeof *c->col);
  if (!c->path || !c->location || !c->col) {
    strata_catcols_free(c);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory opening '%s'", path);
  }
  strata_status st = strata_h5_open_read(path, &c->file);
  if (st == STRATA_OK) {
    strata_h5_lock();
    c->group = H5Gopen2(c->file, c->location, H5P_DEFAULT);
    if (c->group < 0) {
      H5Eclear2(H5E_DEFAULT);
      st = strata_fail(STRATA_ERR_NOT_FOUND, "group '%s' not found in '%s'", c->location, path);
    }
    for (size_t j = 0; j < n && st == STRATA_OK; j++) {
      c->cols = j + 1;
      st = open_column(c, j, names[j]);
    }
    strata_h5_unlock();
  }
  if (st != STRATA_OK) {
    strata_catcols_free(c);
    return st;
  }
  *out = c;
  return STRATA_OK;
}

strata_status strata_catcols_read(strata_catcols *c, size_t row0, size_t rows, int32_t *codes) {
  RETURN_IF(row0 > c->rows || rows > c->rows - row0, STRATA_ERR_USAGE, "rows %zu-%zu are outside '%s' (%zu rows)",
            row0, row0 + rows - 1, c->path, c->rows);
  if (rows == 0) return STRATA_OK;
  if (rows > c->buf_rows) {
    int32_t *b = realloc(c->buf, rows * sizeof *b);
    RETURN_IF(!b, STRATA_ERR_NOMEM, "out of memory reading '%s'", c->path);
    c->buf = b;
    c->buf_rows = rows;
  }
  hsize_t start = row0, count = rows;
  for (size_t j = 0; j < c->cols; j++) {
    catcol *col = &c->col[j];
    int32_t *dst = c->cols == 1 ? codes : c->buf;
    strata_status st = STRATA_OK;
    char why[512];
    strata_h5_lock();
    hid_t mem = H5Screate_simple(1, &count, NULL);
    if (mem < 0 || H5Sselect_hyperslab(col->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        strata_h5_read(col->dset, H5T_NATIVE_INT32, mem, col->space, dst) < 0) {
      /* As io/source_h5.c: a system fault exits 1, a corrupt file 2. */
      strata_status code = strata_h5_error_is_nomem()    ? STRATA_ERR_NOMEM
                           : strata_h5_error_is_system() ? STRATA_ERR_IO
                                                         : STRATA_ERR_FORMAT;
      st = strata_fail(code, "cannot read rows %zu-%zu of column '%s' in '%s'%s: %s", row0, row0 + rows - 1,
                       col->name, c->path, code == STRATA_ERR_FORMAT ? " (corrupt)" : "",
                       strata_h5_error_text(why, sizeof why));
    }
    strata_h5_close(mem);
    strata_h5_unlock();
    FORWARD_IF_ERROR(st);
    const int64_t k = (int64_t)col->categories;
    for (size_t i = 0; i < rows; i++) {
      RETURN_IF(dst[i] < -1 || dst[i] >= k, STRATA_ERR_FORMAT,
                "column '%s' of '%s' has code %d at row %zu but %lld categories", col->name, c->path, (int)dst[i],
                row0 + i, (long long)k);
      if (c->cols > 1) codes[i * c->cols + j] = dst[i];
    }
  }
  return STRATA_OK;
}

strata_status strata_catcols_dict(strata_catcols *c, size_t j, const char *const **strings, size_t *count) {
  RETURN_IF(j >= c->cols || !strings || !count, STRATA_ERR_USAGE, "strata_catcols_dict: bad argument");
  catcol *col = &c->col[j];
  if (!col->dict) {
    char **d = calloc(col->categories ? col->categories : 1, sizeof *d);
    RETURN_IF(!d, STRATA_ERR_NOMEM, "out of memory reading the dictionary of '%s'", col->name);
    char dict_path[1100];
    snprintf(dict_path, sizeof dict_path, "%s/%s", STRATA_DICT_GROUP, col->name);
    strata_h5_lock();
    hid_t dset = H5Dopen2(c->group, dict_path, H5P_DEFAULT);
    int rc = col->categories == 0 ? 0 : dset >= 0 ? strata_h5_read_strings(dset, 0, col->categories, d) : -1;
    strata_h5_close(dset);
    H5Eclear2(H5E_DEFAULT);
    strata_h5_unlock();
    if (rc != 0) {
      free(d);
      RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory reading the dictionary of '%s'", col->name);
      return strata_fail(STRATA_ERR_FORMAT, "cannot read the dictionary %s:%s/%s", c->path, c->location, dict_path);
    }
    col->dict = d;
  }
  *strings = (const char *const *)col->dict;
  *count = col->categories;
  return STRATA_OK;
}

strata_status strata_catcols_count_missing(strata_catcols *c, uint64_t *missing) {
  size_t step = c->file_chunk_rows ? c->file_chunk_rows : COUNT_CHUNK_ROWS;
  int32_t *codes = malloc(step * c->cols * sizeof *codes);
  RETURN_IF(!codes, STRATA_ERR_NOMEM, "out of memory reading '%s'", c->path);
  for (size_t j = 0; j < c->cols; j++) missing[j] = 0;
  strata_status st = STRATA_OK;
  for (size_t row = 0; row < c->rows && st == STRATA_OK; row += step) {
    size_t m = c->rows - row < step ? c->rows - row : step;
    st = strata_catcols_read(c, row, m, codes);
    for (size_t i = 0; st == STRATA_OK && i < m * c->cols; i++) missing[i % c->cols] += codes[i] < 0;
  }
  free(codes);
  return st;
}
