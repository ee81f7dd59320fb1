/* The group-by of `strata rfm` (io/rfm.c): one entry per (customer,
 * invoice) pair of a transaction table, kept in a hash table in memory;
 * when the table outgrows its memory limit it is sorted and spilled as a
 * run to an unlinked temporary file next to the output, and the runs are
 * merged at the end.  The merged stream comes out sorted by customer, then
 * invoice, with equal pairs combined - the same stream whether zero, one or
 * a hundred runs were spilled, so the result does not depend on the memory
 * limit (nor on the order of the input rows: amounts are exact sums,
 * common/xacc.h, rounded once per customer).
 *
 * Order of customers: integer keys (csv_parse_int64) first, by value; then
 * text keys, bytewise.  Invoices: bytewise. */
#ifndef STRATA_IO_RFM_RUNS_H
#define STRATA_IO_RFM_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"
#include "xacc.h"

/* One (customer, invoice) pair.  key and invoice are not NUL-terminated
 * and belong to whoever hands the entry out (valid until its next call). */
typedef struct {
  const char *key, *invoice;
  uint32_t key_len, invoice_len;
  int64_t ikey;       /* the key's value when is_int */
  uint8_t is_int;     /* the key is an integer (csv_parse_int64) */
  uint8_t cancelled;  /* the invoice number starts with 'C' */
  double dmin, dmax;  /* earliest and latest date of its rows (days since 1970-01-01) */
  strata_xacc amount; /* sum of its rows' amounts, exact */
} rfm_pair;

typedef struct rfm_groups rfm_groups;

/* dir: directory of the run files; mem_limit: bytes the table may hold
 * before it spills (>= 1).  out OUT. */
strata_status rfm_groups_new(const char *dir, size_t mem_limit, rfm_groups **out);
void rfm_groups_free(rfm_groups *g);

/* Adds one row: the pair's dates widen to `day`, its amount grows by the
 * exact product x * y.  key/invoice are copied. */
strata_status rfm_groups_add(rfm_groups *g, const char *key, size_t key_len, const char *invoice,
                             size_t invoice_len, double day, double x, double y);

/* Runs spilled so far. */
size_t rfm_groups_runs(const rfm_groups *g);
/* An upper bound of the distinct customers (pairs held plus pairs spilled). */
uint64_t rfm_groups_bound(const rfm_groups *g);

/* Ends the input and calls each(ctx, pair) for every distinct pair in
 * order; a non-OK return stops the walk and is returned. */
typedef strata_status (*rfm_pair_fn)(void *ctx, const rfm_pair *pair);
strata_status rfm_groups_walk(rfm_groups *g, rfm_pair_fn each, void *ctx);

/* The order of customers: <0, 0, >0. */
int rfm_key_cmp(const rfm_pair *a, const rfm_pair *b);

#endif
