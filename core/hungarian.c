/* The Hungarian method with potentials (Kuhn–Munkres, as in the e-maxx
 * formulation): rows are added one at a time and a shortest augmenting path
 * is grown over the columns; O(n²·m) for n <= m. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "hungarian.h"

/* n <= m.  a(i, j) reads the cost of row i, column j (0-based). */
static strata_status solve(const double *cost, size_t n, size_t m, int transposed, int *match_col) {
  /* 1-based arrays; index 0 is the virtual start of each augmenting path. */
  double *u = calloc(n + 1, sizeof *u), *v = calloc(m + 1, sizeof *v);
  double *minv = malloc((m + 1) * sizeof *minv);
  size_t *p = calloc(m + 1, sizeof *p), *way = calloc(m + 1, sizeof *way);
  char *used = malloc(m + 1);
  strata_status st = STRATA_OK;
  if (!u || !v || !minv || !p || !way || !used) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for a %zux%zu assignment", n, m);
    goto done;
  }
  for (size_t i = 1; i <= n; i++) {
    p[0] = i;
    size_t j0 = 0;
    for (size_t j = 0; j <= m; j++) { minv[j] = INFINITY; used[j] = 0; }
    do {
      used[j0] = 1;
      size_t i0 = p[j0], j1 = 0;
      double delta = INFINITY;
      for (size_t j = 1; j <= m; j++) {
        if (used[j]) continue;
        double a = transposed ? cost[(j - 1) * n + (i0 - 1)] : cost[(i0 - 1) * m + (j - 1)];
        double cur = a - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (size_t j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
        else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  for (size_t i = 0; i < n; i++) match_col[i] = -1;
  for (size_t j = 1; j <= m; j++)
    if (p[j]) match_col[p[j] - 1] = (int)(j - 1);
done:
  free(u); free(v); free(minv); free(p); free(way); free(used);
  return st;
}

strata_status strata_hungarian(const double *cost, size_t rows, size_t cols, int *row_to_col,
                               double *total) {
  RETURN_IF(!cost || !row_to_col, STRATA_ERR_USAGE, "strata_hungarian: NULL argument");
  for (size_t i = 0; i < rows * cols; i++)
    RETURN_IF(!isfinite(cost[i]), STRATA_ERR_USAGE, "assignment cost %zu is not finite", i);
  for (size_t i = 0; i < rows; i++) row_to_col[i] = -1;
  if (rows == 0 || cols == 0) {
    if (total) *total = 0.0;
    return STRATA_OK;
  }
  if (rows <= cols) {
    FORWARD_IF_ERROR(solve(cost, rows, cols, 0, row_to_col));
  } else {
    /* Solve over the columns, then read the matching back per row. */
    int *col_to_row = malloc(cols * sizeof *col_to_row);
    RETURN_IF(!col_to_row, STRATA_ERR_NOMEM, "out of memory");
    strata_status st = solve(cost, cols, rows, 1, col_to_row);
    for (size_t j = 0; st == STRATA_OK && j < cols; j++)
      if (col_to_row[j] >= 0) row_to_col[col_to_row[j]] = (int)j;
    free(col_to_row);
    FORWARD_IF_ERROR(st);
  }
  if (total) {
    double s = 0.0;
    for (size_t i = 0; i < rows; i++)
      if (row_to_col[i] >= 0) s += cost[i * cols + (size_t)row_to_col[i]];
    *total = s;
  }
  return STRATA_OK;
}
