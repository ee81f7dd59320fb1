/* The report's method section (cli/report_method.c): what a method chose
 * on its own, drawn — Ward's dendrogram (its top levels, each cluster
 * labelled with its size and segment) and DBSCAN's k-distance curve with
 * the eps that --eps auto read from it.  Nothing for k-means or a mixture. */
#ifndef STRATA_CLI_REPORT_METHOD_H
#define STRATA_CLI_REPORT_METHOD_H

#include "html_writer.h"
#include "report_sections.h"

/* The most clusters the drawn dendrogram ends in (2k when that is more). */
#define CLI_REPORT_DENDRO_LEAVES 16

void cli_report_method(strata_html *h, const cli_report *r);

#endif
