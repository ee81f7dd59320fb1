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
#include "reduce.h"
#include "stats.h"

static strata_status stats_block(void *vctx, const strata_block *b, int t) {
  strata_moments_set_add(vctx, t, b->x, b->m, 0, NULL);
  return STRATA_OK;
}

strata_status strata_dataset_stats(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows,
                                   strata_column_stats *stats) {
  RETURN_IF(!ds || !stats, STRATA_ERR_USAGE, "strata_dataset_stats: NULL argument");
  size_t d = strata_dataset_cols(ds);
  strata_pass *pass = NULL;
  FORWARD_IF_ERROR(strata_pass_open(ctx, ds, NULL, chunk_rows, 0, &pass));
  strata_moments_set set;
  strata_colacc *total = calloc(d ? d : 1, sizeof *total);
  strata_status st = strata_moments_set_init(&set, d, strata_pass_threads(pass));
  if (st == STRATA_OK && !total) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for column statistics");
  if (st != STRATA_OK) goto done;
  strata_pass_fns fns = {.block = stats_block, .ctx = &set};
  GOTO_IF_ERROR(st, strata_pass_run(pass, &fns), done);
  GOTO_IF_ERROR(st, strata_moments_set_total(&set, total), done);
  for (size_t j = 0; j < d; j++) {
    const strata_colacc *a = &total[j];
    stats[j] = (strata_column_stats){
        .name = strata_dataset_col_name(ds, j),
        .type = strata_dataset_col_type(ds, j),
        .count = a->n, .missing = a->missing, .infinite = a->inf,
        .mean = a->n ? a->mean : NAN, .var = a->n ? strata_colacc_var(a) : NAN,
        .min = a->n ? a->min : NAN, .max = a->n ? a->max : NAN};
  }
done:
  free(total);
  strata_moments_set_free(&set);
  strata_pass_free(pass);
  return st;
}
