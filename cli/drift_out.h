/* Human-readable drift and lineage: the tables `strata assign` and a refit
 * with `strata fit --warm-start/--match-ids` print, the warning lines, and
 * the drift threshold options both commands take. */
#ifndef STRATA_CLI_DRIFT_OUT_H
#define STRATA_CLI_DRIFT_OUT_H

#include <stdio.h>

#include "strata.h"

/* The --help lines for the threshold options. */
#define CLI_DRIFT_HELP                                                                        \
  "      --drift-share X     flag a segment whose share of the rows moved by more than X\n"   \
  "                          (absolute, default 0.05 = 5 points)\n"                           \
  "      --drift-distance X  flag a segment whose mean distance to its centroid changed by\n" \
  "                          more than X relative (default 0.25)\n"                           \
  "      --drift-shift X     flag a feature whose mean moved by more than X training\n"       \
  "                          standard deviations (default 0.25)\n"

/* Parses the value of --drift-share, --drift-distance or --drift-shift
 * (the option as typed) into t.  Returns 1, or 0 with err set. */
int cli_drift_option(const char *option, const char *arg, strata_drift_thresholds *t, char *err, size_t errlen);

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
