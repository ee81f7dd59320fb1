/* The borrowed strided array (io/source.h, kind "strided"): element (i, j)
 * at x + i*row_stride + j*col_stride, float32 or float64.  Opening copies
 * the column names only: memory held is O(cols), never O(rows), so a
 * binding can hand in a NumPy array (any strides, even reversed or
 * broadcast) without a copy.  Reads convert to float32 as HDF5 does
 * (round to nearest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "source.h"

typedef struct {
  strata_source base; /* first: a strata_source * points here */
  strata_source_col *desc;
  char **names;
  const void *x;
  strata_elem_type type;
  ptrdiff_t row_stride, col_stride;
  void *owned; /* freed on close */
} strided_source;

/* The start of row `row` (its element in column 0). */
#define ROW_AT(T, s, row) ((const T *)(s)->x + (ptrdiff_t)(row) * (s)->row_stride)

/* Element (row, pick[j]) of a row that starts at `row`. */
#define AT(row, s, pick, j) (row)[(ptrdiff_t)((pick) ? (pick)[j] : (j)) * (s)->col_stride]

/* The loop for element type T (float or double), rounding to float32. */
#define READ_ROWS(T, s, row0, rows, pick, npick, out)                    \
  for (size_t i = 0; i < (rows); i++) {                                 \
    const T *row = ROW_AT(T, s, (row0) + i);                             \
    float *dst = (out) + i * (npick);                                    \
    for (size_t j = 0; j < (npick); j++) dst[j] = (float)AT(row, s, pick, j); \
  }

static strata_status strided_read(strata_source *src, size_t row0, size_t rows, const size_t *pick, size_t npick,
                                  float *out) {
  const strided_source *s = (const strided_source *)src;
  if (s->type == STRATA_ELEM_F32 && !pick && s->col_stride == 1) {
    for (size_t i = 0; i < rows; i++) memcpy(out + i * npick, ROW_AT(float, s, row0 + i), npick * sizeof *out);
    return STRATA_OK;
  }
  if (s->type == STRATA_ELEM_F32) {
    READ_ROWS(float, s, row0, rows, pick, npick, out)
  } else {
    READ_ROWS(double, s, row0, rows, pick, npick, out)
  }
  return STRATA_OK;
}

static void free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t j = 0; j < n; j++) free(names[j]);
  free(names);
}

static void strided_close(strata_source *src) {
  strided_source *s = (strided_source *)src;
  free_names(s->names, s->base.cols);
  free(s->desc);
  free(s->owned);
  free(s);
}

static const strata_source_ops strided_ops = {"strided", strided_read, strata_source_default_chunk, NULL,
                                              strided_close};

/* |a| * n <= PTRDIFF_MAX, i.e. n steps of stride a stay addressable. */
static int span_fits(ptrdiff_t a, size_t n) {
  size_t m = a < 0 ? (size_t)0 - (size_t)a : (size_t)a;
  return m == 0 || n <= (size_t)PTRDIFF_MAX / m;
}

strata_status strata_source_strided_adopt_names(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                                ptrdiff_t row_stride, ptrdiff_t col_stride, char **names,
                                                void *owned, strata_source **out) {
  *out = NULL;
  strided_source *s = calloc(1, sizeof *s);
  strata_source_col *desc = calloc(cols ? cols : 1, sizeof *desc);
  if (!s || !desc) {
    free(s);
    free(desc);
    free_names(names, cols);
    free(owned);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t j = 0; j < cols; j++)
    desc[j] = (strata_source_col){names[j], "float32", NULL, STRATA_COL_NUMERIC, 0, -1, NULL};
  s->desc = desc;
  s->names = names;
  s->x = x;
  s->type = type;
  s->row_stride = row_stride;
  s->col_stride = col_stride;
  s->owned = owned;
  s->base = (strata_source){.ops = &strided_ops,
                            .rows = rows,
                            .cols = cols,
                            .col = desc,
                            .path = STRATA_MEMORY_PATH,
                            .location = "",
                            .layout = STRATA_LAYOUT_MEMORY};
  *out = &s->base;
  return STRATA_OK;
}

/* Copies of the given names, or "c0".."c{cols-1}" when names is NULL. */
static strata_status copy_names(const char *const *names, size_t cols, char ***out) {
  char **v = calloc(cols, sizeof *v);
  RETURN_IF(!v, STRATA_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < cols; j++) {
    char gen[32];
    if (names) {
      const char *name = names[j];
      strata_status st = STRATA_OK;
      if (!name || !*name) st = strata_fail(STRATA_ERR_USAGE, "column %zu has an empty name", j);
      for (size_t i = 0; i < j && st == STRATA_OK; i++)
        if (strcmp(names[i], name) == 0) st = strata_fail(STRATA_ERR_USAGE, "column '%s' is given twice", name);
      if (st != STRATA_OK) {
        free_names(v, cols);
        return st;
      }
    } else {
      snprintf(gen, sizeof gen, "c%zu", j);
    }
    v[j] = strdup(names ? names[j] : gen);
    if (!v[j]) {
      free_names(v, cols);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory");
    }
  }
  *out = v;
  return STRATA_OK;
}

strata_status strata_source_strided(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                    ptrdiff_t row_stride, ptrdiff_t col_stride, const char *const *names,
                                    void *owned, strata_source **out) {
  *out = NULL;
  strata_status st = STRATA_OK;
  if (cols == 0)
    st = strata_fail(STRATA_ERR_USAGE, "no columns");
  else if (rows > 0 && !x)
    st = strata_fail(STRATA_ERR_USAGE, "the array is NULL");
  else if (type != STRATA_ELEM_F32 && type != STRATA_ELEM_F64)
    st = strata_fail(STRATA_ERR_USAGE, "element type %d is neither float32 nor float64", (int)type);
  else if (rows > 0 && (!span_fits(row_stride, rows - 1) || !span_fits(col_stride, cols - 1) ||
                        (size_t)PTRDIFF_MAX - (size_t)llabs((long long)row_stride) * (rows - 1) <
                            (size_t)llabs((long long)col_stride) * (cols - 1)))
    st = strata_fail(STRATA_ERR_USAGE, "%zu rows of %zu columns at strides %td, %td do not fit in memory", rows,
                     cols, row_stride, col_stride);
  char **copied = NULL;
  if (st == STRATA_OK) st = copy_names(names, cols, &copied);
  if (st != STRATA_OK) {
    free(owned);
    return st;
  }
  return strata_source_strided_adopt_names(x, type, rows, cols, row_stride, col_stride, copied, owned, out);
}
