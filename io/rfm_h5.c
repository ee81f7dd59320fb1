/* Reading the transaction table of `strata rfm` from HDF5 (io/rfm_h5.h). */
#include "rfm_h5.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "categorical.h"
#include "ctx.h"
#include "dataset.h"
#include "error.h"
#include "h5_util.h"

#define SCAN_ROWS ((size_t)65536)

typedef struct {
  size_t index;  /* column of the listing */
  int cat;       /* categorical: its index among them; -1 otherwise */
  int as_int;
  int is_date;
  hid_t dset, space;
  const char *const *dict;
  size_t categories;
  int64_t *i;
  double *d;
} column;

typedef struct {
  const char *path;
  strata_dataset *all;
  strata_catcols *cat;
  hid_t file, group;
  size_t ncols, ncat;
  column *col;
  int32_t *codes;
  rfm_cell *cells;
} scanner;

static strata_status h5_failed(const char *what, const char *path) {
  char why[512];
  return strata_fail(STRATA_ERR_FORMAT, "cannot read column '%s' of '%s': %s", what, path,
                     strata_h5_error_text(why, sizeof why));
}

static strata_status open_columns(scanner *s, const char *const *names) {
  FORWARD_IF_ERROR(strata_dataset_open_all(s->path, NULL, &s->all));
  size_t d = strata_dataset_cols(s->all);
  const char **catnames = calloc(s->ncols, sizeof *catnames);
  RETURN_IF(!catnames, STRATA_ERR_NOMEM, "out of memory");
  strata_status st = STRATA_OK;
  for (size_t k = 0; k < s->ncols && st == STRATA_OK; k++) {
    column *c = &s->col[k];
    c->dset = c->space = -1;
    c->cat = -1;
    size_t j = 0;
    while (j < d && strcmp(strata_dataset_col_name(s->all, j), names[k]) != 0) j++;
    if (j == d) {
      st = strata_fail(STRATA_ERR_COLUMN, "column '%s' not found in '%s'", names[k], s->path);
      break;
    }
    c->index = j;
    const char *storage = strata_dataset_col_type(s->all, j), *stype = strata_dataset_col_stype(s->all, j);
    if (strata_dataset_col_kind(s->all, j) == STRATA_COL_CATEGORICAL) {
      c->cat = (int)s->ncat;
      catnames[s->ncat++] = names[k];
    } else {
      c->as_int = storage && strstr(storage, "int") != NULL;
      c->is_date = stype && strcmp(stype, "date") == 0;
    }
  }
  const char *loc = s->all ? strata_dataset_location(s->all) : "/";
  if (st == STRATA_OK && s->ncat) st = strata_dataset_open_categorical(s->path, loc, catnames, s->ncat, &s->cat);
  free(catnames);
  for (size_t k = 0; k < s->ncols && st == STRATA_OK; k++)
    if (s->col[k].cat >= 0)
      st = strata_catcols_dict(s->cat, (size_t)s->col[k].cat, &s->col[k].dict, &s->col[k].categories);
  if (st == STRATA_OK) st = strata_h5_open_read(s->path, &s->file);
  if (st != STRATA_OK) return st;
  strata_h5_lock();
  s->group = H5Gopen2(s->file, loc, H5P_DEFAULT);
  if (s->group < 0) st = strata_fail(STRATA_ERR_FORMAT, "%s:%s is not a group of columns", s->path, loc);
  for (size_t k = 0; k < s->ncols && st == STRATA_OK; k++) {
    column *c = &s->col[k];
    if (c->cat >= 0) continue;
    c->dset = H5Dopen2(s->group, names[k], H5P_DEFAULT);
    c->space = c->dset >= 0 ? H5Dget_space(c->dset) : -1;
    if (c->space < 0) st = h5_failed(names[k], s->path);
  }
  strata_h5_unlock();
  return st;
}

static strata_status read_chunk(scanner *s, const char *const *names, size_t row0, size_t m) {
  hsize_t start = row0, count = m;
  strata_status st = STRATA_OK;
  strata_h5_lock();
  hid_t mem = H5Screate_simple(1, &count, NULL);
  if (mem < 0) st = h5_failed(names[0], s->path);
  for (size_t k = 0; k < s->ncols && st == STRATA_OK; k++) {
    column *c = &s->col[k];
    if (c->cat >= 0) continue;
    if (H5Sselect_hyperslab(c->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        strata_h5_read(c->dset, c->as_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, mem, c->space,
                       c->as_int ? (void *)c->i : (void *)c->d) < 0)
      st = h5_failed(names[k], s->path);
  }
  strata_h5_close(mem);
  strata_h5_unlock();
  if (st == STRATA_OK && s->cat) st = strata_catcols_read(s->cat, row0, m, s->codes);
  return st;
}

static void close_scanner(scanner *s) {
  strata_h5_lock();
  for (size_t k = 0; s->col && k < s->ncols; k++) {
    strata_h5_close(s->col[k].space);
    strata_h5_close(s->col[k].dset);
  }
  strata_h5_close(s->group);
  strata_h5_close(s->file);
  strata_h5_unlock();
  for (size_t k = 0; s->col && k < s->ncols; k++) {
    free(s->col[k].i);
    free(s->col[k].d);
  }
  free(s->col);
  free(s->codes);
  free(s->cells);
  strata_catcols_free(s->cat);
  strata_dataset_free(s->all);
}

strata_status rfm_h5_scan(const strata_ctx *ctx, const char *path, const char *const *names, size_t ncols,
                          rfm_row_fn row, void *fnctx) {
  scanner s;
  memset(&s, 0, sizeof s);
  s.path = path;
  s.file = s.group = -1;
  s.ncols = ncols;
  s.col = calloc(ncols, sizeof *s.col);
  s.cells = calloc(ncols, sizeof *s.cells);
  s.codes = malloc(SCAN_ROWS * ncols * sizeof *s.codes);
  strata_status st = !s.col || !s.cells || !s.codes ? strata_fail(STRATA_ERR_NOMEM, "out of memory") : STRATA_OK;
  if (st == STRATA_OK) st = open_columns(&s, names);
  for (size_t k = 0; k < ncols && st == STRATA_OK; k++) {
    column *c = &s.col[k];
    if (c->cat >= 0) continue;
    if (c->as_int) c->i = malloc(SCAN_ROWS * sizeof *c->i);
    else c->d = malloc(SCAN_ROWS * sizeof *c->d);
    if (!c->i && !c->d) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  size_t rows = st == STRATA_OK ? strata_dataset_rows(s.all) : 0;
  for (size_t row0 = 0; row0 < rows && st == STRATA_OK; row0 += SCAN_ROWS) {
    size_t m = rows - row0 < SCAN_ROWS ? rows - row0 : SCAN_ROWS;
    st = read_chunk(&s, names, row0, m);
    for (size_t i = 0; i < m && st == STRATA_OK; i++) {
      for (size_t k = 0; k < ncols; k++) {
        const column *c = &s.col[k];
        rfm_cell *cell = &s.cells[k];
        memset(cell, 0, sizeof *cell);
        if (c->cat >= 0) {
          int32_t code = s.codes[i * s.ncat + (size_t)c->cat];
          cell->missing = code < 0 || (size_t)code >= c->categories;
          if (!cell->missing) {
            cell->text = c->dict[code];
            cell->len = strlen(cell->text);
          }
        } else if (c->as_int) {
          cell->is_int = 1;
          cell->inum = c->i[i];
          cell->num = (double)c->i[i];
        } else {
          cell->num = c->d[i];
          cell->missing = isnan(cell->num);
          cell->is_date = c->is_date;
        }
      }
      st = row(fnctx, s.cells, row0 + i);
    }
    if (st == STRATA_OK) st = strata_check_cancel(ctx);
  }
  close_scanner(&s);
  return st;
}
