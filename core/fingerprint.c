/* strata_dataset_fingerprint: a cheap identity of the data a result was
 * made on (strata.h).  Reads a fixed set of rows, so the cost does not grow
 * with the table and the hash does not depend on threads or chunking. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"

enum { RUNS = 16, RUN_ROWS = 4096 };

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

strata_status strata_dataset_fingerprint(strata_dataset *ds, uint64_t *hash) {
  RETURN_IF(!ds || !hash, STRATA_ERR_USAGE, "strata_dataset_fingerprint: NULL argument");
  size_t n = strata_dataset_rows(ds), d = strata_dataset_cols(ds);
  uint64_t h = 0xcbf29ce484222325ULL, rows = n, cols = d;
  h = fnv(h, &rows, sizeof rows);
  h = fnv(h, &cols, sizeof cols);
  for (size_t j = 0; j < d; j++) {
    const char *name = strata_dataset_col_name(ds, j);
    h = fnv(h, name, strlen(name) + 1);
  }
  float *x = malloc((size_t)RUN_ROWS * (d ? d : 1) * sizeof *x);
  RETURN_IF(!x, STRATA_ERR_NOMEM, "out of memory");
  strata_status st = STRATA_OK;
  size_t runs = n <= (size_t)RUNS * RUN_ROWS ? (n + RUN_ROWS - 1) / RUN_ROWS : RUNS;
  for (size_t r = 0; r < runs && st == STRATA_OK; r++) {
    size_t start = n <= (size_t)RUNS * RUN_ROWS ? r * RUN_ROWS : r * (n - RUN_ROWS) / (RUNS - 1);
    size_t len = n - start < RUN_ROWS ? n - start : RUN_ROWS;
    st = strata_dataset_read(ds, start, len, x);
    for (size_t i = 0; st == STRATA_OK && i < len * d; i++) {
      float v = isnan(x[i]) ? NAN : x[i] == 0.0f ? 0.0f : x[i];
      uint32_t bits;
      memcpy(&bits, &v, sizeof bits);
      h = fnv(h, &bits, sizeof bits);
    }
  }
  free(x);
  if (st == STRATA_OK) *hash = h;
  return st;
}
