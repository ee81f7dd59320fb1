/* The sections of `strata report` read from the optional JSON inputs:
 * the k sweep, the stability result and the drift of an assign run.  The
 * trees were checked by cli/report_json.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "report_json.h"
#include "report_sections.h"
#include "svg_chart.h"

static void cell_num(strata_html *h, double v, const char *fmt) {
  if (isfinite(v)) {
    strata_html_raw(h, "<td>");
    strata_html_printf(h, fmt, v);
    strata_html_raw(h, "</td>");
  } else {
    strata_html_raw(h, "<td>—</td>");
  }
}

/* A measured quantity (inertia, a mean): no exponent notation. */
static void cell_value(strata_html *h, double v) {
  char buf[64];
  cli_report_number(v, buf, sizeof buf);
  strata_html_printf(h, "<td>%s</td>", buf);
}

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

void cli_report_sweep(strata_html *h, const cli_report *r) {
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(r->sweep, "results");
  size_t n = (size_t)cJSON_GetArraySize(res);
  double *k = cli_xcalloc(n, sizeof *k), *m[4];
  static const char *const key[4] = {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin"};
  static const char *const label[4] = {"Inertia (elbow)", "Silhouette (higher is better)",
                                       "Calinski–Harabasz (higher is better)", "Davies–Bouldin (lower is better)"};
  for (int c = 0; c < 4; c++) m[c] = cli_xcalloc(n, sizeof *m[c]);
  size_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, res) {
    k[i] = cli_json_num(e, "k");
    for (int c = 0; c < 4; c++) m[c][i] = cli_json_num(e, key[c]);
    i++;
  }
  double rec = cli_json_num(r->sweep, "recommended_k"), knee = cli_json_num(r->sweep, "knee_k");
  char model_k[48];
  snprintf(model_k, sizeof model_k, "this model: k = %d", r->info->k);
  strata_html_raw(h, "<section aria-labelledby=\"sweep\">\n<h2 id=\"sweep\">Choosing k</h2>\n<p>");
  strata_html_textf(h, "This model has k = %d (the dashed line). Recommended k: %.0f", r->info->k, rec);
  if (isfinite(knee)) strata_html_textf(h, " (elbow at k = %.0f)", knee);
  const char *reason = str_of(r->sweep, "reason");
  if (*reason) {
    strata_html_raw(h, ". ");
    strata_html_text(h, reason);
  }
  strata_html_raw(h, "</p>\n<div class=\"grid\">\n");
  for (int c = 0; c < 4; c++) {
    int any = 0;
    for (size_t j = 0; j < n; j++) any |= isfinite(m[c][j]);
    if (!any) continue;
    char id[32], desc[200];
    snprintf(id, sizeof id, "chart-sweep-%d", c);
    snprintf(desc, sizeof desc, "Line chart of %s against the number of segments k; the recommended k is "
                                "highlighted. The values are in the table below.", key[c]);
    strata_svg_line(h, id, label[c], desc, "k", key[c], k, m[c], n, rec, (double)r->info->k, model_k);
  }
  strata_html_raw(h, "</div>\n<table><caption>Sweep over k</caption>\n<tr><th>k</th><th>Inertia</th>"
                     "<th>Silhouette</th><th>Calinski–Harabasz</th><th>Davies–Bouldin</th></tr>\n");
  for (size_t j = 0; j < n; j++) {
    strata_html_raw(h, k[j] == rec ? "<tr class=\"ok\">" : "<tr>");
    if (k[j] == (double)r->info->k) strata_html_printf(h, "<td><strong>%.0f (this model)</strong></td>", k[j]);
    else cell_num(h, k[j], "%.0f");
    cell_value(h, m[0][j]);
    cell_num(h, m[1][j], "%.4f");
    cell_value(h, m[2][j]);
    cell_num(h, m[3][j], "%.4f");
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n");
  strata_html_raw(h, "<p class=\"note\">From ");
  strata_html_text(h, r->sweep_path);
  strata_html_raw(h, ".</p>\n</section>\n");
  for (int c = 0; c < 4; c++) free(m[c]);
  free(k);
}

void cli_report_stability(strata_html *h, const cli_report *r) {
  const cJSON *s = r->stability, *ari = cJSON_GetObjectItemCaseSensitive(s, "ari");
  const cJSON *segs = cJSON_GetObjectItemCaseSensitive(s, "segments");
  size_t n = (size_t)cJSON_GetArraySize(segs);
  double *jm = cli_xcalloc(n, sizeof *jm);
  char **names = cli_xcalloc(n, sizeof *names), **text = cli_xcalloc(n, sizeof *text);
  strata_html_raw(h, "<section aria-labelledby=\"stability\">\n<h2 id=\"stability\">Stability</h2>\n<p>");
  strata_html_textf(h, "Verdict: %s. Adjusted Rand index between %.0f re-fits of k = %.0f: mean %.3f "
                       "(std %.3f, min %.3f, max %.3f).",
                    str_of(s, "verdict"), cli_json_num(s, "runs"), cli_json_num(s, "k"),
                    cli_json_num(ari, "mean"), cli_json_num(ari, "std"), cli_json_num(ari, "min"),
                    cli_json_num(ari, "max"));
  strata_html_raw(h, "</p>\n");
  size_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, segs) {
    jm[i] = cli_json_num(e, "jaccard_mean");
    names[i] = cli_xmalloc(160);
    cli_report_segment_name(r, (int)cli_json_num(e, "segment"), names[i], 160);
    text[i] = cli_xmalloc(80);
    snprintf(text[i], 80, "%.3f (%s)", jm[i], str_of(e, "verdict"));
    i++;
  }
  strata_svg_bars(h, "chart-stability", "Mean Jaccard similarity per segment across re-fits",
                  "Bar chart of each segment's mean best-match Jaccard similarity over the re-fits; "
                  "the numbers are in the table below.",
                  (const char *const *)names, jm, (const char *const *)text, n);
  strata_html_raw(h, "<table><caption>Per-segment stability</caption>\n<tr><th class=\"l\">Segment</th>"
                     "<th>Size</th><th>Jaccard mean</th><th>Jaccard std</th><th>Dissolved</th>"
                     "<th class=\"l\">Verdict</th></tr>\n");
  cJSON_ArrayForEach(e, segs) {
    const char *v = str_of(e, "verdict");
    char name[160];
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, cli_report_segment_name(r, (int)cli_json_num(e, "segment"), name, sizeof name));
    strata_html_raw(h, "</td>");
    cell_num(h, cli_json_num(e, "size"), "%.0f");
    cell_num(h, cli_json_num(e, "jaccard_mean"), "%.3f");
    cell_num(h, cli_json_num(e, "jaccard_std"), "%.3f");
    cell_num(h, cli_json_num(e, "dissolved"), "%.0f");
    strata_html_printf(h, "<td class=\"l %s\">", v && v[0] == 's' && v[1] == 't' ? "ok" : "flag");
    strata_html_text(h, v);
    strata_html_raw(h, "</td></tr>\n");
  }
  strata_html_raw(h, "</table>\n<p class=\"note\">From ");
  strata_html_text(h, r->stability_path);
  strata_html_raw(h, ".</p>\n</section>\n");
  for (size_t j = 0; j < n; j++) {
    free(names[j]);
    free(text[j]);
  }
  free(names);
  free(text);
  free(jm);
}

static void flag_cell(strata_html *h, const cJSON *o) {
  int f = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "flag"));
  strata_html_raw(h, f ? "<td class=\"l flag\">drift</td>" : "<td class=\"l ok\">ok</td>");
}

void cli_report_drift(strata_html *h, const cli_report *r) {
  const cJSON *d = r->drift, *e;
  strata_html_raw(h, "<section aria-labelledby=\"drift\">\n<h2 id=\"drift\">Drift</h2>\n");
  const char *ref = str_of(d, "reference");
  if (*ref) {
    strata_html_raw(h, "<p>Compared with the reference ");
    strata_html_text(h, ref);
    strata_html_raw(h, ".</p>\n");
  }
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(d, "warnings");
  if (cJSON_GetArraySize(w) > 0) {
    strata_html_raw(h, "<ul>\n");
    cJSON_ArrayForEach(e, w) {
      if (!cJSON_IsString(e)) continue;
      strata_html_raw(h, "<li class=\"flag\">");
      strata_html_text(h, e->valuestring);
      strata_html_raw(h, "</li>\n");
    }
    strata_html_raw(h, "</ul>\n");
  }
  strata_html_raw(h, "<table><caption>Segments: share and distance to the centroid</caption>\n<tr>"
                     "<th class=\"l\">Segment</th><th>Share (training)</th><th>Share (now)</th><th>Change</th>"
                     "<th>Mean distance (training)</th><th>Mean distance (now)</th><th>Change</th>"
                     "<th class=\"l\">Flag</th></tr>\n");
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(d, "segments")) {
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(e, "segment");
    char name[160];
    if (cJSON_IsNumber(seg)) {
      strata_html_raw(h, "<tr><td class=\"l\">");
      strata_html_text(h, cli_report_segment_name(r, (int)seg->valuedouble, name, sizeof name));
      strata_html_raw(h, "</td>");
    } else strata_html_printf(h, "<tr><td class=\"l\">Reference segment %.0f (vanished)</td>",
                            cli_json_num(e, "reference_segment"));
    char share[32];
    cli_report_share(cli_json_num(e, "share_train"), share, sizeof share);
    strata_html_printf(h, "<td>%s</td>", share);
    cli_report_share(cli_json_num(e, "share_now"), share, sizeof share);
    strata_html_printf(h, "<td>%s</td>", share);
    cell_num(h, 100 * cli_json_num(e, "share_change"), "%+.1f pt");
    cell_value(h, cli_json_num(e, "mean_distance_train"));
    cell_value(h, cli_json_num(e, "mean_distance_now"));
    cell_num(h, 100 * cli_json_num(e, "distance_change"), "%+.1f%%");
    flag_cell(h, e);
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n<table><caption>Features: shift of the mean in training standard deviations"
                     "</caption>\n<tr><th class=\"l\">Feature</th><th>Mean (training)</th><th>Mean (now)</th>"
                     "<th>Std (training)</th><th>Shift</th><th class=\"l\">Flag</th></tr>\n");
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(d, "features")) {
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, str_of(e, "feature"));
    strata_html_raw(h, "</td>");
    cell_value(h, cli_json_num(e, "mean_train"));
    cell_value(h, cli_json_num(e, "mean_now"));
    cell_value(h, cli_json_num(e, "std_train"));
    cell_num(h, cli_json_num(e, "shift"), "%+.3f");
    flag_cell(h, e);
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n<p class=\"note\">From ");
  strata_html_text(h, r->drift_path);
  strata_html_raw(h, ".</p>\n</section>\n");
}
