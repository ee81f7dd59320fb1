/* Datasets over rows in memory, all through the strided source
 * (io/source_memory.c):
 *  - strata_dataset_from_strided borrows the caller's array (zero-copy);
 *  - strata_dataset_from_memory copies the rows first, so the caller's
 *    buffer may go away at once (the stability command refits on
 *    resamples this way);
 *  - strata_dataset_adopt_memory takes a buffer the caller malloc'ed. */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"

strata_status strata_dataset_from_strided(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                          ptrdiff_t row_stride, ptrdiff_t col_stride, const char *const *names,
                                          strata_dataset **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_from_strided: out is NULL");
  *out = NULL;
  strata_source *src = NULL;
  FORWARD_IF_ERROR(strata_source_strided(x, type, rows, cols, row_stride, col_stride, names, NULL, &src));
  return strata_dataset_wrap(src, out);
}

strata_status strata_dataset_from_memory(const float *x, size_t rows, size_t cols, const char *const *names,
                                         strata_dataset **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_from_memory: out is NULL");
  *out = NULL;
  RETURN_IF(cols == 0, STRATA_ERR_USAGE, "strata_dataset_from_memory: no columns");
  RETURN_IF(rows > 0 && !x, STRATA_ERR_USAGE, "strata_dataset_from_memory: x is NULL");
  RETURN_IF(rows > SIZE_MAX / sizeof(float) / cols, STRATA_ERR_USAGE, "strata_dataset_from_memory: %zu rows of %zu "
            "columns is too large", rows, cols);
  size_t bytes = rows * cols * sizeof(float);
  float *copy = malloc(bytes ? bytes : 1);
  RETURN_IF(!copy, STRATA_ERR_NOMEM, "out of memory copying %zu rows", rows);
  if (bytes) memcpy(copy, x, bytes);
  strata_source *src = NULL;
  FORWARD_IF_ERROR(strata_source_strided(copy, STRATA_ELEM_F32, rows, cols, (ptrdiff_t)cols, 1, names, copy, &src));
  return strata_dataset_wrap(src, out);
}

strata_status strata_dataset_adopt_memory(float *x, size_t rows, size_t cols, char **names,
                                          strata_dataset **out) {
  strata_source *src = NULL;
  FORWARD_IF_ERROR(strata_source_strided_adopt_names(x, STRATA_ELEM_F32, rows, cols, (ptrdiff_t)cols, 1, names, x,
                                                     &src));
  return strata_dataset_wrap(src, out);
}
