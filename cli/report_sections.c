/* The model, profile and PCA sections of `strata report` and the page
 * around them (cli/report_sections.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "report_sections.h"
#include "svg_chart.h"

const char *cli_report_segment_name(int s, char *buf, size_t size) {
  snprintf(buf, size, "Segment %d", s);
  return buf;
}

/* Segment names as an array the charts take; free with free_names. */
static char **segment_names(int k) {
  char **n = cli_xcalloc((size_t)k, sizeof *n);
  for (int s = 0; s < k; s++) {
    n[s] = cli_xmalloc(24);
    cli_report_segment_name(s, n[s], 24);
  }
  return n;
}

static void free_names(char **n, int k) {
  for (int s = 0; s < k; s++) free(n[s]);
  free(n);
}

static void meta_row(strata_html *h, const char *key, const char *value) {
  strata_html_raw(h, "<dt>");
  strata_html_text(h, key);
  strata_html_raw(h, "</dt><dd>");
  strata_html_text(h, value ? value : "—");
  strata_html_raw(h, "</dd>\n");
}

static void section_meta(strata_html *h, const cli_report *r) {
  const strata_model_info *in = r->info;
  char buf[128];
  strata_html_raw(h, "<section aria-labelledby=\"run\">\n<h2 id=\"run\">Run</h2>\n<dl class=\"meta\">\n");
  meta_row(h, "Model", r->model_path);
  meta_row(h, "Data", r->data_path);
  meta_row(h, "Trained on", in->input_file);
  snprintf(buf, sizeof buf, "%llu (training); %llu profiled here", (unsigned long long)in->rows,
           (unsigned long long)r->profile->rows);
  meta_row(h, "Rows", buf);
  snprintf(buf, sizeof buf, "%d", in->k);
  meta_row(h, "Segments (k)", buf);
  strata_html_raw(h, "<dt>Features</dt><dd>");
  for (int j = 0; j < in->d; j++) {
    if (j) strata_html_raw(h, ", ");
    strata_html_text(h, in->features[j]);
  }
  strata_html_printf(h, " (%d)</dd>\n", in->d);
  meta_row(h, "Scaler", in->scale);
  meta_row(h, "Missing values", in->missing);
  meta_row(h, "Backend", in->backend);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)in->seed);
  meta_row(h, "Seed", buf);
  snprintf(buf, sizeof buf, "%d%s", in->iterations, in->converged ? " (converged)" : " (not converged)");
  meta_row(h, "Iterations", buf);
  snprintf(buf, sizeof buf, "%.6g", in->inertia);
  meta_row(h, "Inertia (scaled units)", buf);
  meta_row(h, "Initialisation", in->init);
  meta_row(h, "Strata version", in->version);
  meta_row(h, "Model created", in->created);
  if (in->parent_path && in->parent_segment) {
    /* A refit: which earlier segment each one continues (README, refits). */
    meta_row(h, "Parent model", in->parent_path);
    meta_row(h, "Parent created", in->parent_created);
    strata_html_raw(h, "<dt>Segment lineage</dt><dd>");
    for (int c = 0; c < in->k; c++) {
      if (c) strata_html_raw(h, "; ");
      if (in->parent_segment[c] >= 0) strata_html_printf(h, "%d continues %d", c, in->parent_segment[c]);
      else strata_html_printf(h, "%d is new", c);
    }
    strata_html_raw(h, "</dd>\n");
  }
  strata_html_raw(h, "</dl>\n</section>\n");
}

static void section_sizes(strata_html *h, const cli_report *r) {
  const strata_profile *p = r->profile;
  char **names = segment_names(p->k);
  double *v = cli_xcalloc((size_t)p->k, sizeof *v);
  char **text = cli_xcalloc((size_t)p->k, sizeof *text);
  for (int s = 0; s < p->k; s++) {
    v[s] = (double)p->segments[s].size;
    text[s] = cli_xmalloc(48);
    snprintf(text[s], 48, "%lld (%.1f%%)", (long long)p->segments[s].size, 100.0 * p->segments[s].share);
  }
  strata_html_raw(h, "<section aria-labelledby=\"sizes\">\n<h2 id=\"sizes\">Segment sizes</h2>\n");
  strata_svg_bars(h, "chart-sizes", "Rows per segment",
                  "Horizontal bar chart of the number of rows in each segment; the numbers are in the table below.",
                  (const char *const *)names, v, (const char *const *)text, (size_t)p->k);
  strata_html_raw(h, "<table><caption>Rows per segment</caption>\n<tr><th class=\"l\">Segment</th>"
                     "<th>Rows</th><th>Share</th></tr>\n");
  for (int s = 0; s < p->k; s++)
    strata_html_printf(h, "<tr><td class=\"l\"><span class=\"swatch\" style=\"background:%s\"></span>"
                          "Segment %d</td><td>%lld</td><td>%.1f%%</td></tr>\n",
                       strata_svg_palette((size_t)s), s, (long long)p->segments[s].size,
                       100.0 * p->segments[s].share);
  strata_html_raw(h, "</table>\n</section>\n");
  for (int s = 0; s < p->k; s++) free(text[s]);
  free(text);
  free(v);
  free_names(names, p->k);
}

static void section_profile(strata_html *h, const cli_report *r) {
  const strata_profile *p = r->profile;
  size_t k = (size_t)p->k, d = (size_t)p->d;
  char **names = segment_names(p->k);
  double *z = cli_xcalloc(k * d, sizeof *z);
  double big = 0.0;
  for (size_t s = 0; s < k; s++)
    for (size_t j = 0; j < d; j++) {
      z[s * d + j] = p->segments[s].features[j].z;
      if (fabs(z[s * d + j]) > big) big = fabs(z[s * d + j]);
    }
  /* At least ±1 so that small differences look small; at most ±3 so that one
   * extreme cell does not wash the others out (cells beyond it saturate). */
  double limit = big < 1 ? 1 : big > 3 ? 3 : ceil(big * 2) / 2;
  strata_html_raw(h, "<section aria-labelledby=\"profile\">\n<h2 id=\"profile\">Segment profiles</h2>\n"
                     "<p class=\"note\">Standardised difference of each segment's mean from the whole "
                     "population's, in population standard deviations (red: above average, blue: below).</p>\n");
  strata_svg_heatmap(h, "chart-profile", "Standardised differences by segment and feature",
                     "Heat map with one row per segment and one column per feature; each cell shows the "
                     "standardised difference of the segment mean from the population mean.",
                     (const char *const *)names, k, p->features, d, z, limit);
  strata_html_raw(h, "<table><caption>What sets each segment apart</caption>\n<tr><th class=\"l\">Segment</th>"
                     "<th>Share</th><th class=\"l\">Description</th><th class=\"l\">Top features (z)</th></tr>\n");
  for (size_t s = 0; s < k; s++) {
    const strata_segment_profile *sp = &p->segments[s];
    strata_html_printf(h, "<tr><td class=\"l\">Segment %zu</td><td>%.1f%%</td><td class=\"l\">", s,
                       100.0 * sp->share);
    strata_html_text(h, sp->description);
    strata_html_raw(h, "</td><td class=\"l\">");
    for (int t = 0; t < sp->ntop; t++) {
      if (t) strata_html_raw(h, "; ");
      strata_html_text(h, p->features[sp->top[t]]);
      strata_html_printf(h, " %+.2f", sp->features[sp->top[t]].z);
    }
    strata_html_raw(h, "</td></tr>\n");
  }
  strata_html_raw(h, "</table>\n<table><caption>Feature means by segment (original units)</caption>\n"
                     "<tr><th class=\"l\">Feature</th><th>All rows</th>");
  for (size_t s = 0; s < k; s++) strata_html_printf(h, "<th>Segment %zu</th>", s);
  strata_html_raw(h, "</tr>\n");
  for (size_t j = 0; j < d; j++) {
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, p->features[j]);
    strata_html_printf(h, "</td><td>%.4g</td>", p->population[j].mean);
    for (size_t s = 0; s < k; s++)
      strata_html_printf(h, "<td title=\"z %+.2f\">%.4g</td>", p->segments[s].features[j].z,
                         p->segments[s].features[j].mean);
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n</section>\n");
  free(z);
  free_names(names, p->k);
}

static void section_pca(strata_html *h, const cli_report *r) {
  const strata_pca *p = r->pca;
  const strata_model_info *in = r->info;
  size_t n = p->sample_count, k = (size_t)in->k;
  double *x = cli_xcalloc(n, sizeof *x), *y = cli_xcalloc(n, sizeof *y);
  int *g = cli_xcalloc(n, sizeof *g);
  for (size_t i = 0; i < n; i++) {
    x[i] = p->sample_scores[i * (size_t)p->ncomp];
    y[i] = p->sample_scores[i * (size_t)p->ncomp + 1];
    g[i] = p->sample_segment ? p->sample_segment[i] : 0;
  }
  double *c = cli_xcalloc(2 * k, sizeof *c), *cx = cli_xcalloc(k, sizeof *cx), *cy = cli_xcalloc(k, sizeof *cy);
  strata_pca_project(p, in->centroids, k, 2, c);
  for (size_t s = 0; s < k; s++) cx[s] = c[2 * s], cy[s] = c[2 * s + 1];
  char **names = segment_names(in->k);
  char xl[64], yl[64], desc[400];
  snprintf(xl, sizeof xl, "PC1 (%.1f%% of variance)", 100.0 * p->explained_ratio[0]);
  snprintf(yl, sizeof yl, "PC2 (%.1f%% of variance)", 100.0 * p->explained_ratio[1]);
  snprintf(desc, sizeof desc,
           "Scatter plot of %zu sampled rows (seed %llu) on the first two principal components of the "
           "model's scaled space, coloured by segment; crosses mark the segment centroids.",
           n, (unsigned long long)r->seed);
  strata_html_raw(h, "<section aria-labelledby=\"pca\">\n<h2 id=\"pca\">Segments in principal components</h2>\n");
  strata_svg_scatter(h, "chart-pca", "Sample projected on PC1 and PC2, by segment", desc, xl, yl, x, y, g, n,
                     (const char *const *)names, k, cx, cy);
  strata_html_raw(h, "<table><caption>Explained variance</caption>\n<tr><th class=\"l\">Component</th>"
                     "<th>Variance</th><th>Ratio</th><th>Cumulative</th></tr>\n");
  double cum = 0;
  for (int i = 0; i < p->ncomp; i++) {
    cum += p->explained_ratio[i];
    strata_html_printf(h, "<tr><td class=\"l\">PC%d</td><td>%.4g</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n",
                       i + 1, p->explained_variance[i], 100.0 * p->explained_ratio[i], 100.0 * cum);
  }
  strata_html_raw(h, "</table>\n<table><caption>Centroids on PC1 and PC2</caption>\n<tr><th class=\"l\">"
                     "Segment</th><th>PC1</th><th>PC2</th></tr>\n");
  for (size_t s = 0; s < k; s++)
    strata_html_printf(h, "<tr><td class=\"l\">Segment %zu</td><td>%.3f</td><td>%.3f</td></tr>\n", s, cx[s], cy[s]);
  strata_html_raw(h, "</table>\n</section>\n");
  free_names(names, in->k);
  free(c);
  free(cx);
  free(cy);
  free(x);
  free(y);
  free(g);
}

void cli_report_render(strata_html *h, const cli_report *r) {
  strata_html_begin(h, r->title);
  strata_html_raw(h, "<header>\n<h1>");
  strata_html_text(h, r->title);
  strata_html_raw(h, "</h1>\n<p class=\"note\">");
  strata_html_textf(h, "%d segments of %s, profiled over %s.", r->info->k, r->model_path, r->data_path);
  strata_html_raw(h, "</p>\n</header>\n");
  section_sizes(h, r);
  section_profile(h, r);
  section_pca(h, r);
  cli_report_method(h, r);
  if (r->sweep) cli_report_sweep(h, r);
  if (r->stability) cli_report_stability(h, r);
  if (r->drift) cli_report_drift(h, r);
  section_meta(h, r);
  strata_html_end(h);
}
