/* Human-readable drift and lineage: the tables `strata assign` and a refit
 * with `strata fit --warm-start/--match-ids` print and the warning lines
 * (the threshold options are in the option table, option_table.c). */
#ifndef STRATA_CLI_DRIFT_OUT_H
#define STRATA_CLI_DRIFT_OUT_H

#include <stdio.h>

#include "strata.h"

/* The segment and feature tables under a heading naming the reference and
 * the thresholds.  Flagged rows are marked "drift". */
void cli_print_drift(FILE *f, const strata_drift *d, size_t width);

/* One "strata: warning: drift: ..." line per crossed threshold (quiet
 * drops them, as every warning). */
void cli_warn_drift(const strata_drift *d);

/* Which parent segment each segment continues and at what centroid
 * distance, the new ones, and the parent's segments nothing continues.
 * parent_k: the parent's number of segments. */
void cli_print_lineage(FILE *f, const strata_model_info *info, int parent_k, size_t width);

#endif
