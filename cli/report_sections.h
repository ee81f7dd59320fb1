/* The sections of `strata report`'s HTML page, each from one source: the
 * model's metadata, the profile (sizes, heat map, descriptions), the PCA
 * scatter, and the optional sweep, stability and drift results. */
#ifndef STRATA_CLI_REPORT_SECTIONS_H
#define STRATA_CLI_REPORT_SECTIONS_H

#include <cjson/cJSON.h>

#include "html_writer.h"
#include "strata.h"

typedef struct {
  const char *title, *model_path, *data_path;
  const strata_model_info *info;
  const strata_profile *profile;
  const strata_pca *pca;                  /* 2 components at least; sample with segments */
  uint64_t seed;                          /* of the PCA sample */
  const cJSON *sweep, *stability, *drift; /* checked trees, or NULL */
  const char *sweep_path, *stability_path, *drift_path;
  const char *const *names;               /* k segment names (--names or personas), or NULL */
  const strata_explanation *explain;      /* the segments as rules, or NULL */
} cli_report;

/* The whole document. */
void cli_report_render(strata_html *h, const cli_report *r);

/* Sections from the optional JSON inputs (cli/report_extra.c). */
void cli_report_sweep(strata_html *h, const cli_report *r);
void cli_report_stability(strata_html *h, const cli_report *r);
void cli_report_drift(strata_html *h, const cli_report *r);
/* What a method chose on its own, drawn (cli/report_method.c): Ward's
 * dendrogram, DBSCAN's k-distance curve; nothing for other methods. */
void cli_report_method(strata_html *h, const cli_report *r);

/* "Segment 3" or, with names, "Segment 3: Loyal big spenders" into buf. */
const char *cli_report_segment_name(const cli_report *r, int s, char *buf, size_t size);

/* A number as an analyst reads it: no exponent, thousands separated above
 * 10,000 ("123,456", "12.35", "0.0042"); an exponent only where the plain
 * digits would not fit in size ("1e+100"). */
void cli_report_number(double v, char *buf, size_t size);
/* A share in [0, 1] as a percentage: "12.3%", "under 0.1%" (never 7.956e-05). */
void cli_report_share(double v, char *buf, size_t size);

#endif
