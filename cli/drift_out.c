/* Drift and lineage tables for the terminal. */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "drift_out.h"
#include "table.h"

/* A number, or "-" where there is none (NaN). */
static void cell_num(cli_table *t, size_t col, const char *fmt, double v) {
  if (isnan(v)) cli_table_cell(t, col, "-");
  else cli_table_cell(t, col, fmt, v);
}

/* A signed change as printed: a value that rounds to zero at the precision
 * shown (half a unit of the last digit) prints as +0, never as -0. */
static double shown(double v, double unit) { return fabs(v) < 0.5 * unit ? 0.0 : v; }

static void print_segments(FILE *f, const strata_drift *d, size_t width) {
  cli_table *t = cli_table_new(9, 1);
  static const char *const head[] = {"segment", "reference", "share train", "share now", "change",
                                     "distance train", "distance now", "change", "flag"};
  for (size_t c = 0; c < 9; c++) cli_table_column(t, c, head[c], c == 8);
  for (int i = 0; i < d->n_segments; i++) {
    const strata_drift_segment *s = &d->segments[i];
    cli_table_add_row(t);
    if (s->segment >= 0) cli_table_cell(t, 0, "%d", s->segment);
    else cli_table_cell(t, 0, "vanished");
    if (s->parent >= 0) cli_table_cell(t, 1, "%d", s->parent);
    else cli_table_cell(t, 1, "new");
    cli_table_cell(t, 2, "%.1f%%", 100.0 * s->share_train);
    cli_table_cell(t, 3, "%.1f%%", 100.0 * s->share_now);
    cli_table_cell(t, 4, "%+.1f pt", shown(100.0 * s->share_change, 0.1));
    cell_num(t, 5, "%.4g", s->mean_distance_train);
    cell_num(t, 6, "%.4g", s->mean_distance_now);
    cell_num(t, 7, "%+.1f%%", shown(100.0 * s->distance_change, 0.1));
    cli_table_cell(t, 8, "%s", s->flag ? "drift" : "ok");
  }
  cli_table_print(t, f, width, "  ");
  cli_table_free(t);
}

static void print_features(FILE *f, const strata_drift *d, size_t width) {
  cli_table *t = cli_table_new(6, 1);
  static const char *const head[] = {"feature", "mean train", "mean now", "std train", "shift", "flag"};
  for (size_t c = 0; c < 6; c++) cli_table_column(t, c, head[c], c == 0 || c == 5);
  for (int j = 0; j < d->n_features; j++) {
    const strata_drift_feature *x = &d->features[j];
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%s", x->feature);
    cell_num(t, 1, "%.6g", x->mean_train);
    cell_num(t, 2, "%.6g", x->mean_now);
    cell_num(t, 3, "%.6g", x->std_train);
    cell_num(t, 4, "%+.3f", shown(x->shift, 0.001));
    cli_table_cell(t, 5, "%s", x->flag ? "drift" : "ok");
  }
  cli_table_print(t, f, width, "  ");
  cli_table_free(t);
}

void cli_print_drift(FILE *f, const strata_drift *d, size_t width) {
  fprintf(f, "\ndrift against %s (thresholds: share %.3g, distance %.3g, shift %.3g): %s\n",
          d->reference && *d->reference ? d->reference : "the training data", d->thresholds.share,
          d->thresholds.distance, d->thresholds.shift,
          d->n_warnings ? "FLAGGED" : "nothing crossed a threshold");
  print_segments(f, d, width);
  fputc('\n', f);
  print_features(f, d, width);
}

void cli_warn_drift(const strata_drift *d) {
  for (int i = 0; i < d->n_warnings; i++) cli_warn("drift: %s", d->warnings[i]);
}

void cli_print_lineage(FILE *f, const strata_model_info *in, int parent_k, size_t width) {
  if (!in->parent_path || !in->parent_segment) return;
  int warm = in->init && strcmp(in->init, "warm-start") == 0;
  fprintf(f, "\nlineage: parent %s%s%s%s; segments numbered after the parent's\n", in->parent_path,
          in->parent_created && *in->parent_created ? " (created " : "",
          in->parent_created && *in->parent_created ? in->parent_created : "",
          in->parent_created && *in->parent_created ? ")" : "");
  if (warm) fprintf(f, "initialised from the parent's centroids (warm start)\n");
  cli_table *t = cli_table_new(3, 1);
  cli_table_column(t, 0, "segment", 0);
  cli_table_column(t, 1, "continues", 0);
  cli_table_column(t, 2, "centroid distance", 0);
  for (int c = 0; c < in->k; c++) {
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", c);
    if (in->parent_segment[c] >= 0) cli_table_cell(t, 1, "%d", in->parent_segment[c]);
    else cli_table_cell(t, 1, "new");
    cell_num(t, 2, "%.4g", in->parent_distance ? in->parent_distance[c] : NAN);
  }
  cli_table_print(t, f, width, "  ");
  cli_table_free(t);
  int any = 0;
  for (int p = 0; p < parent_k; p++) {
    int found = 0;
    for (int c = 0; c < in->k && !found; c++) found = in->parent_segment[c] == p;
    if (found) continue;
    fprintf(f, "%s%d", any ? ", " : "  vanished parent segments: ", p);
    any = 1;
  }
  if (any) fputc('\n', f);
}
