/* strata_dataset (strata.h, io/dataset.h): a thin handle over one data
 * source (io/source.h).  What the handle adds to its source:
 *  - one-hot columns: strata_dataset_add_categorical stacks the one-hot
 *    transform on the source it holds;
 *  - row views: strata_dataset_view_rows wraps the parent's source in a
 *    row-range source and remembers the parent (whose source it borrows);
 *  - copied groups: an in-memory copy of one-hot columns (core/stability.c
 *    refits on resamples) is told which columns form which group, so the
 *    categorical weighting applies to it as to the table it came from. */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"

struct strata_dataset {
  strata_source *src;             /* owned */
  const strata_dataset *parent;   /* a row view's dataset, whose source src borrows; else NULL */
  int *group;                     /* copied groups: cols entries, -1 numeric; NULL when none */
  char **group_names;
  size_t ngroups;
  strata_dataset *weights;        /* one column of row weights (owned), or NULL */
};

strata_status strata_dataset_wrap(strata_source *src, strata_dataset **out) {
  *out = NULL;
  strata_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) {
    strata_source_close(src);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  ds->src = src;
  *out = ds;
  return STRATA_OK;
}

strata_source *strata_dataset_source(const strata_dataset *ds) { return ds->src; }

static strata_status open_with(const char *path, const char *location, const char *const *features,
                               size_t nfeatures, int all, strata_dataset **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_open: out is NULL");
  *out = NULL;
  strata_source *src = NULL;
  FORWARD_IF_ERROR(strata_source_h5_open(path, location, features, nfeatures, all, &src));
  return strata_dataset_wrap(src, out);
}

strata_status strata_dataset_open(const char *path, const char *location, const char *const *features,
                                  size_t nfeatures, strata_dataset **out) {
  return open_with(path, location, features, nfeatures, 0, out);
}

strata_status strata_dataset_open_all(const char *path, const char *location, strata_dataset **out) {
  return open_with(path, location, NULL, 0, 1, out);
}

strata_status strata_dataset_view_rows(strata_dataset *ds, size_t first, size_t end, strata_dataset **out) {
  RETURN_IF(!out || !ds, STRATA_ERR_USAGE, "strata_dataset_view_rows: NULL argument");
  *out = NULL;
  strata_source *view = NULL;
  FORWARD_IF_ERROR(strata_source_rows(ds->src, first, end, &view));
  FORWARD_IF_ERROR(strata_dataset_wrap(view, out));
  (*out)->parent = ds;
  if (ds->weights) {
    strata_status st = strata_dataset_view_rows(ds->weights, first, end, &(*out)->weights);
    if (st != STRATA_OK) {
      strata_dataset_free(*out);
      *out = NULL;
      return st;
    }
  }
  return STRATA_OK;
}

strata_status strata_dataset_set_weights(strata_dataset *ds, strata_dataset *w) {
  if (!ds || !w) {
    strata_dataset_free(w);
    return strata_fail(STRATA_ERR_USAGE, "strata_dataset_set_weights: NULL argument");
  }
  strata_status st = STRATA_OK;
  if (strata_dataset_cols(w) != 1)
    st = strata_fail(STRATA_ERR_USAGE, "row weights are one column (got %zu)", strata_dataset_cols(w));
  else if (strata_dataset_rows(w) != strata_dataset_rows(ds))
    st = strata_fail(STRATA_ERR_DATA, "weight column '%s' has %zu rows, the features %zu",
                     strata_dataset_col_name(w, 0), strata_dataset_rows(w), strata_dataset_rows(ds));
  else if (ds->weights)
    st = strata_fail(STRATA_ERR_USAGE, "the dataset already has row weights ('%s')",
                     strata_dataset_col_name(ds->weights, 0));
  for (size_t j = 0; st == STRATA_OK && j < strata_dataset_cols(ds); j++)
    if (strcmp(strata_dataset_col_name(ds, j), strata_dataset_col_name(w, 0)) == 0)
      st = strata_fail(STRATA_ERR_USAGE, "weight column '%s' is also a feature; a row's weight cannot be one of "
                       "the values it is clustered on", strata_dataset_col_name(w, 0));
  if (st != STRATA_OK) {
    strata_dataset_free(w);
    return st;
  }
  ds->weights = w;
  return STRATA_OK;
}

strata_dataset *strata_dataset_weights(const strata_dataset *ds) { return ds ? ds->weights : NULL; }

const char *strata_dataset_weights_name(const strata_dataset *ds) {
  return ds && ds->weights ? strata_dataset_col_name(ds->weights, 0) : NULL;
}

void strata_dataset_free(strata_dataset *ds) {
  if (!ds) return;
  strata_dataset_free(ds->weights);
  strata_source_close(ds->src);
  free(ds->group);
  for (size_t g = 0; ds->group_names && g < ds->ngroups; g++) free(ds->group_names[g]);
  free(ds->group_names);
  free(ds);
}

/* ------------------------------------------------------------ columns */

/* The dataset whose copied groups apply to ds (itself or a view's parent). */
static const strata_dataset *copied_groups(const strata_dataset *ds) {
  while (!ds->group && ds->parent) ds = ds->parent;
  return ds->group ? ds : NULL;
}

static const strata_source_col *col(const strata_dataset *ds, size_t j) {
  return j < ds->src->cols ? &ds->src->col[j] : NULL;
}

size_t strata_dataset_rows(const strata_dataset *ds) { return ds->src->rows; }
size_t strata_dataset_cols(const strata_dataset *ds) { return ds->src->cols; }
const char *strata_dataset_path(const strata_dataset *ds) { return ds->src->path; }
const char *strata_dataset_location(const strata_dataset *ds) { return ds->src->location; }
size_t strata_dataset_file_chunk_rows(const strata_dataset *ds) { return ds->src->file_chunk_rows; }

const char *strata_dataset_col_name(const strata_dataset *ds, size_t j) {
  return col(ds, j) ? col(ds, j)->name : NULL;
}
strata_col_kind strata_dataset_col_kind(const strata_dataset *ds, size_t j) {
  return col(ds, j) ? col(ds, j)->kind : STRATA_COL_NUMERIC;
}
const char *strata_dataset_col_stype(const strata_dataset *ds, size_t j) {
  return col(ds, j) ? col(ds, j)->stype : NULL;
}
int strata_dataset_col_is_id(const strata_dataset *ds, size_t j) { return col(ds, j) && col(ds, j)->is_id; }

int strata_dataset_col_group(const strata_dataset *ds, size_t j) {
  const strata_dataset *copied = copied_groups(ds);
  if (!col(ds, j)) return -1;
  return copied ? copied->group[j] : col(ds, j)->group;
}
size_t strata_dataset_groups(const strata_dataset *ds) {
  const strata_dataset *copied = copied_groups(ds);
  return copied ? copied->ngroups : ds->src->groups;
}
const char *strata_dataset_group_name(const strata_dataset *ds, size_t g) {
  const strata_dataset *copied = copied_groups(ds);
  if (copied) return g < copied->ngroups ? copied->group_names[g] : NULL;
  return g < ds->src->groups ? ds->src->group_names[g] : NULL;
}
const char *strata_dataset_col_category(const strata_dataset *ds, size_t j) {
  if (strata_dataset_col_group(ds, j) < 0) return NULL;
  if (copied_groups(ds)) {
    /* One-hot columns are named "column=category". */
    const char *eq = strchr(col(ds, j)->name, '=');
    return eq ? eq + 1 : col(ds, j)->name;
  }
  return col(ds, j)->category;
}
const char *strata_dataset_col_type(const strata_dataset *ds, size_t j) {
  if (strata_dataset_col_group(ds, j) >= 0) return "one-hot";
  return col(ds, j) ? col(ds, j)->type : NULL;
}
uint64_t strata_dataset_unknown_categories(const strata_dataset *ds) {
  const strata_source *s = ds->src;
  return s->ops->unknown_categories ? s->ops->unknown_categories(s) : 0;
}

/* ------------------------------------------------------------ reads */

strata_status strata_dataset_read(strata_dataset *ds, size_t row0, size_t rows, float *out) {
  return strata_source_read(ds->src, row0, rows, NULL, 0, out);
}

size_t strata_dataset_recommend_chunk(const strata_dataset *ds, size_t multiple, size_t target_bytes) {
  return strata_source_recommend_chunk(ds->src, multiple, target_bytes);
}

/* ------------------------------------------------------------ categorical */

strata_status strata_dataset_add_categorical(strata_dataset *ds, const char *const *names, size_t n,
                                             const char *const *const *categories,
                                             const size_t *ncategories) {
  RETURN_IF(!ds || (n && !names), STRATA_ERR_USAGE, "strata_dataset_add_categorical: NULL argument");
  RETURN_IF(ds->src->groups > 0, STRATA_ERR_USAGE, "categorical columns were already added to '%s'",
            ds->src->path);
  if (n == 0) return STRATA_OK;
  RETURN_IF(ds->parent, STRATA_ERR_USAGE,
            "categorical columns of '%s' are added before a row view is taken, not to the view", ds->src->path);
  strata_source *onehot = NULL;
  FORWARD_IF_ERROR(strata_source_onehot(ds->src, names, n, categories, ncategories, &onehot));
  ds->src = onehot;
  return STRATA_OK;
}

strata_status strata_dataset_copy_groups(strata_dataset *dst, const strata_dataset *src) {
  size_t d = strata_dataset_cols(dst), ng = strata_dataset_groups(src);
  RETURN_IF(dst->src->layout != STRATA_LAYOUT_MEMORY || dst->parent || dst->group || strata_dataset_cols(src) != d,
            STRATA_ERR_INTERNAL,
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
  dst->group = group;
  dst->group_names = names;
  dst->ngroups = ng;
  return STRATA_OK;
}
