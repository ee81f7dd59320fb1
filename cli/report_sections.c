/* The model, profile and PCA sections of `strata report` and the page
 * around them (cli/report_sections.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain_out.h"
#include "report_sections.h"
#include "svg_chart.h"

const char *cli_report_segment_name(const cli_report *r, int s, char *buf, size_t size) {
  if (r && r->names && s >= 0 && s < r->info->k && r->names[s]) snprintf(buf, size, "Segment %d: %s", s, r->names[s]);
  else snprintf(buf, size, "Segment %d", s);
  return buf;
}

void cli_report_number(double v, char *buf, size_t size) {
  if (!isfinite(v)) snprintf(buf, size, "—");
  else if (fabs(v) >= 1e4) cli_explain_number(round(v), buf, size);
  else if (v != 0 && fabs(v) < 1e-3) snprintf(buf, size, "%.2g", v); /* tiny: still no exponent below */
  else snprintf(buf, size, "%.4g", v);
  /* Plain digits unless they do not fit: 1e100 cut to 63 digits would
   * read as another number. */
  if (strchr(buf, 'e')) {
    int n = snprintf(buf, size, "%.6f", v);
    if (n < 0 || (size_t)n >= size) snprintf(buf, size, "%.4g", v);
  }
}

void cli_report_share(double v, char *buf, size_t size) {
  if (!isfinite(v)) snprintf(buf, size, "—");
  else if (v > 0 && v < 0.0005) snprintf(buf, size, "under 0.1%%"); /* plain text: no markup to escape */
  else snprintf(buf, size, "%.1f%%", 100.0 * v);
}

/* A feature's value in a segment: a one-hot column's mean is the share of
 * its category, so a percentage; otherwise the number. */
static void feature_value(const strata_profile *p, size_t j, double v, char *buf, size_t size) {
  if (p->feature_group[j] >= 0) cli_report_share(v, buf, size);
  else cli_report_number(v, buf, size);
}

/* Segment names as an array the charts take; free with free_names. */
static char **segment_names(const cli_report *r) {
  int k = r->info->k;
  char **n = cli_xcalloc((size_t)k, sizeof *n);
  for (int s = 0; s < k; s++) {
    n[s] = cli_xmalloc(160);
    cli_report_segment_name(r, s, n[s], 160);
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

/* The method and the parameters that made these segments (issue 15: the
 * report shows the chosen method's parameters). */
static void method_row(strata_html *h, const strata_model_info *in) {
  const char *est = in->estimator && *in->estimator ? in->estimator : "kmeans";
  char buf[256];
  if (strcmp(est, "gmm") == 0) {
    snprintf(buf, sizeof buf, "Gaussian mixture (EM): %s covariances, reg_covar %g; mean log-likelihood %.6g, "
             "BIC %.6g, AIC %.6g", in->covariance_type ? in->covariance_type : "?", in->reg_covar,
             in->log_likelihood, in->bic, in->aic);
  } else if (strcmp(est, "ward") == 0) {
    if (in->n_micro > 0)
      snprintf(buf, sizeof buf, "Ward (two-step: %d k-means micro-clusters of the rows, then exact Ward on them)",
               in->n_micro);
    else
      snprintf(buf, sizeof buf, "Ward (exact, on all %llu rows)", (unsigned long long)in->rows);
  } else if (strcmp(est, "dbscan") == 0) {
    snprintf(buf, sizeof buf, "DBSCAN: eps %.6g (scaled units%s), min_samples %d", in->eps,
             in->n_kdist > 0 ? ", at the knee of the k-distance curve" : "", in->min_samples);
  } else if (in->batch_rows) {
    snprintf(buf, sizeof buf, "mini-batch k-means: %d batches of %llu rows, %d restart%s", in->iterations,
             (unsigned long long)in->batch_rows, in->n_init, in->n_init == 1 ? "" : "s");
  } else {
    snprintf(buf, sizeof buf, "k-means (Lloyd): %d restart%s, tol %g, refinement %s", in->n_init,
             in->n_init == 1 ? "" : "s", in->tol, in->refine && *in->refine ? in->refine : "none");
  }
  meta_row(h, "Method", buf);
  if (in->weight_column) {
    snprintf(buf, sizeof buf, "each row weighs its '%s' (weighted scaler, means and inertia)", in->weight_column);
    meta_row(h, "Row weights", buf);
  }
  /* Transforms before scaling, as fitted. */
  if (in->transform_kind) {
    strata_html_raw(h, "<dt>Transforms</dt><dd>");
    int any = 0;
    for (int j = 0; j < in->d; j++) {
      const double *tp = in->transform_param + 3 * j;
      switch ((strata_transform_kind)in->transform_kind[j]) {
        case STRATA_TRANSFORM_NONE: continue;
        case STRATA_TRANSFORM_LOG1P: snprintf(buf, sizeof buf, "log1p"); break;
        case STRATA_TRANSFORM_YEO_JOHNSON: snprintf(buf, sizeof buf, "yeo-johnson (lambda %.4g)", tp[0]); break;
        case STRATA_TRANSFORM_CLIP: snprintf(buf, sizeof buf, "clipped to %.6g..%.6g", tp[1], tp[2]); break;
        case STRATA_TRANSFORM_AGE_DAYS: snprintf(buf, sizeof buf, "age in days"); break;
      }
      if (any++) strata_html_raw(h, "; ");
      strata_html_text(h, in->features[j]);
      strata_html_raw(h, ": ");
      strata_html_text(h, buf);
    }
    strata_html_raw(h, "</dd>\n");
  }
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
  method_row(h, in);
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
  char **names = segment_names(r);
  double *v = cli_xcalloc((size_t)p->k, sizeof *v);
  char **text = cli_xcalloc((size_t)p->k, sizeof *text);
  for (int s = 0; s < p->k; s++) {
    v[s] = (double)p->segments[s].size;
    text[s] = cli_xmalloc(48);
    char share[32];
    cli_report_share(p->segments[s].share, share, sizeof share);
    snprintf(text[s], 48, "%lld (%s)", (long long)p->segments[s].size, share);
  }
  strata_html_raw(h, "<section aria-labelledby=\"sizes\">\n<h2 id=\"sizes\">Segment sizes</h2>\n");
  strata_svg_bars(h, "chart-sizes", "Rows per segment",
                  "Horizontal bar chart of the number of rows in each segment; the numbers are in the table below.",
                  (const char *const *)names, v, (const char *const *)text, (size_t)p->k);
  strata_html_raw(h, "<table><caption>Rows per segment</caption>\n<tr><th class=\"l\">Segment</th>"
                     "<th>Rows</th><th>Share</th>");
  /* A weighted model over data holding its weight column: the segment's share of the weight. */
  if (p->weight) {
    strata_html_raw(h, "<th>Share of ");
    strata_html_text(h, p->weight_column);
    strata_html_raw(h, "</th>");
  }
  strata_html_raw(h, "</tr>\n");
  for (int s = 0; s < p->k; s++) {
    char share[32];
    cli_report_share(p->segments[s].share, share, sizeof share);
    strata_html_printf(h, "<tr><td class=\"l\"><span class=\"swatch\" style=\"background:%s\"></span>",
                       strata_svg_palette((size_t)s));
    strata_html_text(h, names[s]);
    strata_html_printf(h, "</td><td>%lld</td><td>%s</td>", (long long)p->segments[s].size, share);
    if (p->weight) {
      cli_report_share(p->weight_total > 0.0 ? p->weight[s] / p->weight_total : 0.0, share, sizeof share);
      strata_html_printf(h, "<td>%s</td>", share);
    }
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n</section>\n");
  for (int s = 0; s < p->k; s++) free(text[s]);
  free(text);
  free(v);
  free_names(names, p->k);
}

static void section_profile(strata_html *h, const cli_report *r) {
  const strata_profile *p = r->profile;
  size_t k = (size_t)p->k, d = (size_t)p->d;
  char **names = segment_names(r);
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
    char share[32];
    cli_report_share(sp->share, share, sizeof share);
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, names[s]);
    strata_html_printf(h, "</td><td>%s</td><td class=\"l\">", share);
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
  for (size_t s = 0; s < k; s++) {
    strata_html_raw(h, "<th>");
    strata_html_text(h, names[s]);
    strata_html_raw(h, "</th>");
  }
  strata_html_raw(h, "</tr>\n");
  for (size_t j = 0; j < d; j++) {
    char v[48];
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, p->features[j]);
    feature_value(p, j, p->population[j].mean, v, sizeof v);
    strata_html_printf(h, "</td><td>%s</td>", v);
    for (size_t s = 0; s < k; s++) {
      feature_value(p, j, p->segments[s].features[j].mean, v, sizeof v);
      strata_html_printf(h, "<td title=\"z %+.2f\">%s</td>", p->segments[s].features[j].z, v);
    }
    strata_html_raw(h, "</tr>\n");
  }
  strata_html_raw(h, "</table>\n</section>\n");
  free(z);
  free_names(names, p->k);
}

/* "income +0.61, spend +0.55, age -0.40": the features that weigh most in
 * component c (largest |loading| first, at most three, only those of at
 * least half the largest). */
static void top_loadings(const strata_pca *p, int c, char *buf, size_t size) {
  const double *v = p->components + (size_t)c * (size_t)p->d;
  int used[3] = {-1, -1, -1};
  size_t o = 0;
  buf[0] = '\0';
  double first = 0;
  for (int t = 0; t < 3 && t < p->d; t++) {
    int best = -1;
    for (int j = 0; j < p->d; j++) {
      if (j == used[0] || j == used[1]) continue;
      if (best < 0 || fabs(v[j]) > fabs(v[best])) best = j;
    }
    if (t == 0) first = fabs(v[best]);
    else if (fabs(v[best]) < 0.5 * first) break;
    used[t] = best;
    int n = snprintf(buf + o, o < size ? size - o : 0, "%s%s %+.2f", t ? ", " : "", p->features[best], v[best]);
    if (n > 0) o += (size_t)n;
  }
}

/* The lower and upper q-quantile of v (n values): what the scatter shows. */
static void quantile_range(const double *v, size_t n, double q, double *lo, double *hi) {
  double *s = cli_xcalloc(n, sizeof *s);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i])) s[m++] = v[i];
  *lo = -1, *hi = 1;
  if (m) {
    for (size_t i = 1; i < m; i++) /* insertion sort: a sample of a few thousand */
      for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
        double t = s[j];
        s[j] = s[j - 1];
        s[j - 1] = t;
      }
    *lo = s[(size_t)floor(q * (double)(m - 1))];
    *hi = s[(size_t)ceil((1 - q) * (double)(m - 1))];
  }
  free(s);
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
  /* The view: the central 99% of the sample on each axis, widened to every
   * centroid, with a margin; the few rows beyond it would otherwise squash
   * the segments into a corner. */
  double view[4];
  quantile_range(x, n, 0.005, &view[0], &view[1]);
  quantile_range(y, n, 0.005, &view[2], &view[3]);
  for (size_t s = 0; s < k; s++) {
    view[0] = fmin(view[0], cx[s]), view[1] = fmax(view[1], cx[s]);
    view[2] = fmin(view[2], cy[s]), view[3] = fmax(view[3], cy[s]);
  }
  for (int a = 0; a < 2; a++) {
    double pad = 0.05 * (view[2 * a + 1] - view[2 * a]);
    if (!(pad > 0)) pad = 1;
    view[2 * a] -= pad;
    view[2 * a + 1] += pad;
  }
  size_t outside = 0;
  for (size_t i = 0; i < n; i++) outside += x[i] < view[0] || x[i] > view[1] || y[i] < view[2] || y[i] > view[3];
  char **names = segment_names(r);
  char l1[200], l2[200], xl[300], yl[300], desc[600];
  top_loadings(p, 0, l1, sizeof l1);
  top_loadings(p, 1, l2, sizeof l2);
  snprintf(xl, sizeof xl, "PC1 (%.1f%%): %s", 100.0 * p->explained_ratio[0], l1);
  snprintf(yl, sizeof yl, "PC2 (%.1f%%): %s", 100.0 * p->explained_ratio[1], l2);
  snprintf(desc, sizeof desc,
           "Scatter plot of %zu sampled rows (seed %llu) on the first two principal components of the "
           "model's scaled space, coloured by segment; crosses mark the segment centroids. %zu rows beyond "
           "the central 99%% on either axis are outside the view.",
           n, (unsigned long long)r->seed, outside);
  strata_html_raw(h, "<section aria-labelledby=\"pca\">\n<h2 id=\"pca\">Segments in principal components</h2>\n"
                     "<p class=\"note\">Each axis is named by the features that weigh most in it (loadings: a "
                     "positive one grows along the axis).");
  if (outside) strata_html_textf(h, " %zu of the %zu sampled rows lie beyond the central 99%% on an axis and are "
                                    "left out of the view.", outside, n);
  strata_html_raw(h, "</p>\n");
  strata_svg_scatter(h, "chart-pca", "Sample projected on PC1 and PC2, by segment", desc, xl, yl, x, y, g, n,
                     (const char *const *)names, k, cx, cy, view);
  strata_html_raw(h, "<table><caption>Explained variance and the heaviest loadings</caption>\n<tr><th class=\"l\">"
                     "Component</th><th>Variance</th><th>Ratio</th><th>Cumulative</th><th class=\"l\">Loadings"
                     "</th></tr>\n");
  double cum = 0;
  for (int i = 0; i < p->ncomp; i++) {
    char l[200];
    cum += p->explained_ratio[i];
    top_loadings(p, i, l, sizeof l);
    char var[64];
    cli_report_number(p->explained_variance[i], var, sizeof var);
    strata_html_printf(h, "<tr><td class=\"l\">PC%d</td><td>%s</td><td>%.1f%%</td><td>%.1f%%</td><td class=\"l\">",
                       i + 1, var, 100.0 * p->explained_ratio[i], 100.0 * cum);
    strata_html_text(h, l);
    strata_html_raw(h, "</td></tr>\n");
  }
  strata_html_raw(h, "</table>\n<table><caption>Centroids on PC1 and PC2</caption>\n<tr><th class=\"l\">"
                     "Segment</th><th>PC1</th><th>PC2</th></tr>\n");
  for (size_t s = 0; s < k; s++) {
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, names[s]);
    strata_html_printf(h, "</td><td>%.3f</td><td>%.3f</td></tr>\n", cx[s], cy[s]);
  }
  strata_html_raw(h, "</table>\n</section>\n");
  free_names(names, in->k);
  free(c);
  free(cx);
  free(cy);
  free(x);
  free(y);
  free(g);
}

/* The segments as rules (strata explain): per segment its rules and the
 * share of its customers they place in it. */
static void section_explain(strata_html *h, const cli_report *r) {
  const strata_explanation *e = r->explain;
  char **names = segment_names(r);
  char text[4096], share[32];
  strata_html_raw(h, "<section aria-labelledby=\"rules\">\n<h2 id=\"rules\">Segments as rules</h2>\n<p>");
  cli_report_share(e->fidelity, share, sizeof share);
  strata_html_textf(h, "A decision tree of depth %d on the model's features (original units) places %s of the "
                       "customers in their own segment (its fidelity).", e->depth, share);
  strata_html_raw(h, "</p>\n<table><caption>Rules per segment</caption>\n<tr><th class=\"l\">Segment</th>"
                     "<th>Customers</th><th>Placed here by the rules</th><th class=\"l\">Rules</th></tr>\n");
  for (int s = 0; s < e->k; s++) {
    strata_html_raw(h, "<tr><td class=\"l\">");
    strata_html_text(h, names[s]);
    cli_report_share(e->segment_fidelity[s], share, sizeof share);
    strata_html_printf(h, "</td><td>%llu</td><td>%s</td><td class=\"l\">", (unsigned long long)e->segment_rows[s],
                       share);
    int any = 0;
    for (int i = 0; i < e->nrules; i++) {
      if (e->rules[i].segment != s) continue;
      if (any++) strata_html_raw(h, "<br>or ");
      /* The rule's text is already HTML: names escaped, "&le;" for <=. */
      strata_html_raw(h, cli_explain_rule_text(e, &e->rules[i], 1, text, sizeof text));
    }
    if (!any) strata_html_raw(h, "no rule at this depth");
    strata_html_raw(h, "</td></tr>\n");
  }
  strata_html_raw(h, "</table>\n</section>\n");
  free_names(names, e->k);
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
  if (r->explain) section_explain(h, r);
  if (r->sweep) cli_report_sweep(h, r);
  if (r->stability) cli_report_stability(h, r);
  if (r->drift) cli_report_drift(h, r);
  section_meta(h, r);
  strata_html_end(h);
}
