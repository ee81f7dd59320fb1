/* The row-range view (io/source.h, kind "rows"): rows [first, end) of
 * another source, renumbered from 0.  A read asks the inner source for
 * exactly the rows asked of the view, shifted by `first`, so that a rank
 * handed [first, end) never touches a row outside it.  The view holds no
 * buffer: reads from several threads are as safe as the inner source's. */
#include <stdlib.h>

#include "error.h"
#include "source.h"

typedef struct {
  strata_source base; /* first: a strata_source * points here */
  strata_source *inner;
  size_t first;
} rows_source;

static strata_status rows_read(strata_source *src, size_t row0, size_t rows, const size_t *pick, size_t npick,
                               float *out) {
  rows_source *v = (rows_source *)src;
  return v->inner->ops->read(v->inner, v->first + row0, rows, pick, npick, out);
}

/* The inner source's rule, covering only the view's rows: the rule is
 * min(target rounded, cover), and the view's cover is the smaller. */
static size_t rows_recommend_chunk(const strata_source *src, size_t multiple, size_t target_bytes) {
  const rows_source *v = (const rows_source *)src;
  size_t r = strata_source_recommend_chunk(v->inner, multiple, target_bytes);
  size_t m = multiple ? multiple : 1;
  size_t cover = src->rows == 0 ? m : (src->rows + m - 1) / m * m;
  return r < cover ? r : cover;
}

static uint64_t rows_unknown(const strata_source *src) {
  const strata_source *inner = ((const rows_source *)src)->inner;
  return inner->ops->unknown_categories ? inner->ops->unknown_categories(inner) : 0;
}

static void rows_close(strata_source *src) { free(src); }

static const strata_source_ops rows_ops = {"rows", rows_read, rows_recommend_chunk, rows_unknown, rows_close};

strata_status strata_source_rows(strata_source *inner, size_t first, size_t end, strata_source **out) {
  RETURN_IF(!out || !inner, STRATA_ERR_USAGE, "strata_source_rows: NULL argument");
  *out = NULL;
  RETURN_IF(first > end || end > inner->rows, STRATA_ERR_USAGE, "rows [%zu, %zu) are not a range of '%s' (%zu rows)",
            first, end, inner->path, inner->rows);
  rows_source *v = malloc(sizeof *v);
  RETURN_IF(!v, STRATA_ERR_NOMEM, "out of memory");
  v->inner = inner;
  v->first = first;
  v->base = *inner; /* columns, path, layout, groups: the inner source's */
  v->base.ops = &rows_ops;
  v->base.rows = end - first;
  *out = &v->base;
  return STRATA_OK;
}
