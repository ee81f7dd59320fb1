/* strata_inspect (strata.h): what `strata inspect` shows, as a call.  The
 * columns' names and types stay owned by the dataset the inspection keeps
 * open. */
#include <stdlib.h>
#include <string.h>

#include "categorical.h"
#include "dataset.h"
#include "error.h"

typedef struct {
  strata_inspection pub;
  strata_dataset *all;  /* every column: owns the strings the columns point at */
  strata_inspect_column *cols;
} inspection;

void strata_inspection_free(strata_inspection *pub) {
  if (!pub) return;
  inspection *r = (inspection *)pub;
  strata_dataset_free(r->all);
  free(r->cols);
  free(r);
}

/* Indices into `all` of the columns asked for: every one, or the named
 * ones in the order named.  An unknown name fails as opening it would. */
static strata_status chosen_columns(const char *path, const char *location, const strata_dataset *all,
                                    const char *const *names, size_t nnames, size_t **idx, size_t *n) {
  size_t d = strata_dataset_cols(all);
  *n = names ? nnames : d;
  *idx = calloc(*n ? *n : 1, sizeof **idx);
  RETURN_IF(!*idx, STRATA_ERR_NOMEM, "out of memory");
  for (size_t f = 0; f < *n; f++) {
    size_t j = f;
    if (names) {
      j = 0;
      while (j < d && strcmp(strata_dataset_col_name(all, j), names[f]) != 0) j++;
    }
    if (j == d) {
      /* The reader's message names the column and what there is. */
      strata_dataset *probe = NULL;
      strata_status st = strata_dataset_open(path, location, names, nnames, &probe);
      strata_dataset_free(probe);
      return st != STRATA_OK ? st : strata_fail(STRATA_ERR_COLUMN, "no column '%s' in '%s'", names[f], path);
    }
    (*idx)[f] = j;
  }
  return STRATA_OK;
}

/* Statistics of the numeric columns (one streaming pass), counts of the
 * categorical ones. */
static strata_status gather(const strata_ctx *ctx, inspection *r, const size_t *idx, size_t chunk_rows) {
  const strata_dataset *all = r->all;
  size_t n = r->pub.ncols, nn = 0, nc = 0;
  const char **num = calloc(n ? n : 1, sizeof *num), **cat = calloc(n ? n : 1, sizeof *cat);
  size_t *num_at = calloc(n ? n : 1, sizeof *num_at), *cat_at = calloc(n ? n : 1, sizeof *cat_at);
  strata_column_stats *stats = calloc(n ? n : 1, sizeof *stats);
  uint64_t *missing = calloc(n ? n : 1, sizeof *missing);
  strata_status st = STRATA_OK;
  if (!num || !cat || !num_at || !cat_at || !stats || !missing) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  for (size_t k = 0; st == STRATA_OK && k < n; k++) {
    size_t j = idx[k];
    strata_inspect_column *c = &r->cols[k];
    c->name = strata_dataset_col_name(all, j);
    c->storage = strata_dataset_col_type(all, j);
    c->stype = strata_dataset_col_stype(all, j);
    c->is_id = strata_dataset_col_is_id(all, j);
    c->categorical = strata_dataset_col_kind(all, j) == STRATA_COL_CATEGORICAL;
    if (c->categorical) cat_at[nc] = k, cat[nc++] = c->name;
    else num_at[nn] = k, num[nn++] = c->name;
  }
  const char *path = strata_dataset_path(all), *location = strata_dataset_location(all);
  strata_dataset *ds = NULL;
  strata_catcols *cc = NULL;
  if (st == STRATA_OK && nn > 0) {
    st = strata_dataset_open(path, location, num, nn, &ds);
    if (st == STRATA_OK) st = strata_dataset_stats(ctx, ds, chunk_rows, stats);
    for (size_t k = 0; st == STRATA_OK && k < nn; k++) r->cols[num_at[k]].stats = stats[k];
  }
  if (st == STRATA_OK && nc > 0) {
    st = strata_dataset_open_categorical(path, location, cat, nc, &cc);
    if (st == STRATA_OK) st = strata_catcols_count_missing(cc, missing);
    for (size_t k = 0; st == STRATA_OK && k < nc; k++) {
      strata_inspect_column *c = &r->cols[cat_at[k]];
      c->categories = strata_catcols_categories(cc, k);
      c->stats.missing = missing[k];
      c->stats.count = strata_catcols_rows(cc) - missing[k];
    }
  }
  /* The statistics name their columns with the strings `all` owns (the
   * datasets opened here go away). */
  for (size_t k = 0; st == STRATA_OK && k < n; k++) {
    r->cols[k].stats.name = r->cols[k].name;
    r->cols[k].stats.type = r->cols[k].storage;
  }
  strata_dataset_free(ds);
  strata_catcols_free(cc);
  free(num); free(cat); free(num_at); free(cat_at); free(stats); free(missing);
  return st;
}

strata_status strata_inspect(const strata_ctx *ctx, const char *path, const char *location,
                             const char *const *columns, size_t ncolumns, size_t chunk_rows,
                             strata_inspection **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_inspect: out is NULL");
  *out = NULL;
  RETURN_IF(!path, STRATA_ERR_USAGE, "strata_inspect: no file");
  inspection *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  size_t *idx = NULL, n = 0;
  strata_status st = strata_dataset_open_all(path, location, &r->all);
  if (st == STRATA_OK) st = chosen_columns(path, location, r->all, columns, ncolumns, &idx, &n);
  if (st == STRATA_OK && !(r->cols = calloc(n ? n : 1, sizeof *r->cols)))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  if (st == STRATA_OK) {
    r->pub.path = strata_dataset_path(r->all);
    r->pub.location = strata_dataset_location(r->all);
    r->pub.rows = strata_dataset_rows(r->all);
    r->pub.ncols = n;
    r->pub.columns = r->cols;
    st = gather(ctx, r, idx, chunk_rows);
  }
  free(idx);
  if (st != STRATA_OK) {
    strata_inspection_free(&r->pub);
    return st;
  }
  *out = &r->pub;
  return STRATA_OK;
}
