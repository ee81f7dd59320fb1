/* One-hot expansion of categorical columns (see onehot.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "categorical.h"
#include "error.h"
#include "onehot.h"

typedef struct {
  size_t first;   /* first expanded column */
  size_t width;   /* categories expanded */
  int32_t *map;   /* file code -> index in 0..width-1, or -1 (unknown) */
  size_t file_categories;
} group;

struct strata_onehot {
  strata_catcols *cat;
  size_t ngroups, cols;
  group *g;
  char **names;       /* cols "name=category" */
  const char **cats;  /* cols: pointer into names after '=' */
  size_t *col_group;  /* cols */
  int32_t *codes;     /* row-major rows × ngroups buffer */
  size_t codes_rows;
  uint64_t unknown;
};

size_t strata_onehot_cols(const strata_onehot *o) { return o->cols; }
size_t strata_onehot_groups(const strata_onehot *o) { return o->ngroups; }
const char *strata_onehot_col_name(const strata_onehot *o, size_t j) { return o->names[j]; }
size_t strata_onehot_col_group(const strata_onehot *o, size_t j) { return o->col_group[j]; }
const char *strata_onehot_group_name(const strata_onehot *o, size_t g) {
  return strata_catcols_name(o->cat, g);
}
const char *strata_onehot_col_category(const strata_onehot *o, size_t j) { return o->cats[j]; }
uint64_t strata_onehot_unknown(const strata_onehot *o) { return o->unknown; }

void strata_onehot_free(strata_onehot *o) {
  if (!o) return;
  for (size_t j = 0; o->names && j < o->cols; j++) free(o->names[j]);
  for (size_t g = 0; o->g && g < o->ngroups; g++) free(o->g[g].map);
  free(o->names); free(o->cats); free(o->col_group); free(o->g); free(o->codes);
  strata_catcols_free(o->cat);
  free(o);
}

/* Names the expanded columns of group g and maps the file's codes onto them. */
static strata_status build_group(strata_onehot *o, size_t g, const char *const *wanted, size_t nwanted) {
  const char *const *dict = NULL;
  size_t ndict = 0;
  FORWARD_IF_ERROR(strata_catcols_dict(o->cat, g, &dict, &ndict));
  group *gr = &o->g[g];
  gr->file_categories = ndict;
  gr->width = wanted ? nwanted : ndict;
  gr->map = malloc((ndict ? ndict : 1) * sizeof *gr->map);
  RETURN_IF(!gr->map, STRATA_ERR_NOMEM, "out of memory");
  for (size_t c = 0; c < ndict; c++) {
    gr->map[c] = wanted ? -1 : (int32_t)c;
    /* A model's category list is short: a linear search per file category. */
    for (size_t w = 0; wanted && w < nwanted; w++)
      if (strcmp(dict[c], wanted[w]) == 0) { gr->map[c] = (int32_t)w; break; }
  }
  const char *name = strata_catcols_name(o->cat, g);
  for (size_t w = 0; w < gr->width; w++) {
    const char *cat = wanted ? wanted[w] : dict[w];
    size_t len = strlen(name) + 1 + strlen(cat) + 1;
    char *s = malloc(len);
    RETURN_IF(!s, STRATA_ERR_NOMEM, "out of memory");
    snprintf(s, len, "%s=%s", name, cat);
    size_t j = gr->first + w;
    o->names[j] = s;
    o->cats[j] = s + strlen(name) + 1;
    o->col_group[j] = g;
  }
  return STRATA_OK;
}

strata_status strata_onehot_open(const char *path, const char *location, const char *const *names,
                                 size_t n, const char *const *const *categories,
                                 const size_t *ncategories, size_t rows, strata_onehot **out) {
  *out = NULL;
  strata_onehot *o = calloc(1, sizeof *o);
  RETURN_IF(!o, STRATA_ERR_NOMEM, "out of memory");
  strata_status st = strata_dataset_open_categorical(path, location, names, n, &o->cat);
  if (st != STRATA_OK) { strata_onehot_free(o); return st; }
  if (strata_catcols_rows(o->cat) != rows) {
    st = strata_fail(STRATA_ERR_FORMAT, "categorical columns of '%s' have %zu rows, the numeric ones %zu",
                     path, strata_catcols_rows(o->cat), rows);
    strata_onehot_free(o);
    return st;
  }
  o->ngroups = n;
  o->g = calloc(n, sizeof *o->g);
  if (!o->g) { strata_onehot_free(o); return strata_fail(STRATA_ERR_NOMEM, "out of memory"); }
  for (size_t g = 0; g < n; g++) {
    o->g[g].first = o->cols;
    o->cols += categories ? ncategories[g] : strata_catcols_categories(o->cat, g);
  }
  o->names = calloc(o->cols ? o->cols : 1, sizeof *o->names);
  o->cats = calloc(o->cols ? o->cols : 1, sizeof *o->cats);
  o->col_group = calloc(o->cols ? o->cols : 1, sizeof *o->col_group);
  if (!o->names || !o->cats || !o->col_group) {
    strata_onehot_free(o);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t g = 0; g < n && st == STRATA_OK; g++)
    st = build_group(o, g, categories ? categories[g] : NULL, categories ? ncategories[g] : 0);
  if (st != STRATA_OK) { strata_onehot_free(o); return st; }
  *out = o;
  return STRATA_OK;
}

strata_status strata_onehot_read(strata_onehot *o, size_t row0, size_t rows, float *out, size_t stride) {
  if (rows > o->codes_rows) {
    int32_t *c = realloc(o->codes, rows * o->ngroups * sizeof *c);
    RETURN_IF(!c, STRATA_ERR_NOMEM, "out of memory reading categorical columns");
    o->codes = c;
    o->codes_rows = rows;
  }
  FORWARD_IF_ERROR(strata_catcols_read(o->cat, row0, rows, o->codes));
  uint64_t unknown = 0;
  for (size_t i = 0; i < rows; i++) {
    float *row = out + i * stride;
    for (size_t g = 0; g < o->ngroups; g++) {
      const group *gr = &o->g[g];
      float *dst = row + gr->first;
      int32_t code = o->codes[i * o->ngroups + g];
      if (code < 0) {
        for (size_t w = 0; w < gr->width; w++) dst[w] = NAN;
        continue;
      }
      for (size_t w = 0; w < gr->width; w++) dst[w] = 0.0f;
      int32_t at = gr->map[code];
      if (at >= 0) dst[at] = 1.0f;
      else unknown++;
    }
  }
  o->unknown += unknown;
  return STRATA_OK;
}
