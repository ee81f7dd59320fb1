/* strata_dataset_from_memory: a dataset over rows the caller already holds,
 * so that strata_fit, strata_assign and strata_dataset_stats run on them
 * through the same pass driver as on a file (the stability command refits
 * on resamples this way).  The rows are copied: the caller's buffer may go
 * away at once.  The handle itself lives in io/h5_dataset.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"

static void free_names(char **names, size_t n) {
  if (!names) return;
  for (size_t j = 0; j < n; j++) free(names[j]);
  free(names);
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

strata_status strata_dataset_from_memory(const float *x, size_t rows, size_t cols, const char *const *names,
                                         strata_dataset **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_dataset_from_memory: out is NULL");
  *out = NULL;
  RETURN_IF(cols == 0, STRATA_ERR_USAGE, "strata_dataset_from_memory: no columns");
  RETURN_IF(rows > 0 && !x, STRATA_ERR_USAGE, "strata_dataset_from_memory: x is NULL");
  RETURN_IF(rows > SIZE_MAX / sizeof(float) / cols, STRATA_ERR_USAGE, "strata_dataset_from_memory: %zu rows of %zu "
            "columns is too large", rows, cols);
  char **copied = NULL;
  FORWARD_IF_ERROR(copy_names(names, cols, &copied));
  size_t bytes = rows * cols * sizeof(float);
  float *copy = malloc(bytes ? bytes : 1);
  if (!copy) {
    free_names(copied, cols);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory copying %zu rows", rows);
  }
  if (bytes) memcpy(copy, x, bytes);
  return strata_dataset_adopt_memory(copy, rows, cols, copied, out);
}
