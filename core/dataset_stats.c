/* strata_dataset_stats (strata.h): the column statistics of a dataset in one
 * pass.  Apart from core/stats.c so that the accumulator (stats.h) needs no
 * pass: the pass scales through the scaler, which is fitted from the
 * accumulator, so a stats.c that ran passes closed a file cycle
 * pass -> scaler -> stats -> pass. */
#include <math.h>
#include <stdlib.h>

#include "dataset.h"
#include "error.h"
#include "pass.h"
#include "stats.h"

typedef struct {
  size_t d;
  strata_colacc *total;
  strata_colacc *per_thread; /* T × d */
  double *tmp;               /* T × 2d */
} stats_ctx;

static strata_status stats_block(void *vctx, const strata_block *b, int t) {
  stats_ctx *c = vctx;
  strata_colacc *a = c->per_thread + (size_t)t * c->d;
  strata_colacc_reset(a, c->d);
  strata_colacc_block(a, b->x, b->m, c->d, 0, NULL, c->tmp + (size_t)t * 2 * c->d);
  return STRATA_OK;
}

static void stats_merge(void *vctx, const strata_block *b, int t) {
  stats_ctx *c = vctx;
  strata_colacc_merge(c->total, c->per_thread + (size_t)t * c->d, c->d);
}

strata_status strata_dataset_stats(strata_dataset *ds, size_t chunk_rows,
                                   strata_column_stats *stats) {
  RETURN_IF(!ds || !stats, STRATA_ERR_USAGE, "strata_dataset_stats: NULL argument");
  size_t d = strata_dataset_cols(ds);
  strata_pass *pass = NULL;
  FORWARD_IF_ERROR(strata_pass_open(ds, NULL, chunk_rows, 0, 0, &pass));
  int T = strata_pass_threads(pass);
  stats_ctx c = {.d = d};
  c.total = calloc(d ? d : 1, sizeof *c.total);
  c.per_thread = calloc((size_t)T * (d ? d : 1), sizeof *c.per_thread);
  c.tmp = calloc((size_t)T * 2 * (d ? d : 1), sizeof *c.tmp);
  strata_status st = STRATA_OK;
  if (!c.total || !c.per_thread || !c.tmp) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for column statistics");
    goto done;
  }
  strata_colacc_reset(c.total, d);
  strata_pass_fns fns = {.block = stats_block, .merge = stats_merge, .ctx = &c};
  GOTO_IF_ERROR(st, strata_pass_run(pass, &fns), done);
  for (size_t j = 0; j < d; j++) {
    const strata_colacc *a = &c.total[j];
    stats[j] = (strata_column_stats){
        .name = strata_dataset_col_name(ds, j),
        .type = strata_dataset_col_type(ds, j),
        .count = a->n, .missing = a->missing, .infinite = a->inf,
        .mean = a->n ? a->mean : NAN, .var = a->n ? strata_colacc_var(a) : NAN,
        .min = a->n ? a->min : NAN, .max = a->n ? a->max : NAN};
  }
done:
  free(c.total);
  free(c.per_thread);
  free(c.tmp);
  strata_pass_free(pass);
  return st;
}
