/* Human-readable results: fit summary, iterations, assign, inspect. */
#include "print_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "diag.h"
#include "options.h"
#include "table.h"

/* Beyond this many features the segment table is transposed. */
enum { WIDE_FEATURES = 8 };

/* How to print the values of one feature: a fixed number of decimals that
 * shows about four significant digits of its largest magnitude, or
 * scientific notation for very large or very small magnitudes. */
typedef struct {
  int decimals;
  int scientific;
  int percent; /* a one-hot feature: its centroid value is a category share */
} num_format;

static num_format format_for(const double *v, size_t n, size_t stride) {
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i * stride]) && fabs(v[i * stride]) > m) m = fabs(v[i * stride]);
  num_format nf = {0, 0, 0};
  if (m == 0.0) return nf;
  if (m >= 1e9 || m < 1e-4) {
    nf.scientific = 1;
    return nf;
  }
  int d = 3 - (int)floor(log10(m));
  nf.decimals = d < 0 ? 0 : d > 6 ? 6 : d;
  return nf;
}

/* The format of feature j's column in a segment table. */
static num_format feature_format(const strata_model_info *in, size_t j) {
  if (in->feature_group && in->feature_group[j] >= 0) return (num_format){1, 0, 1};
  return format_for(in->centroids_original + j, (size_t)in->k, (size_t)in->d);
}

static void format_value(char *buf, size_t n, double v, num_format nf) {
  if (nf.percent && isfinite(v)) snprintf(buf, n, "%.*f%%", nf.decimals, 100.0 * v);
  else if (!isfinite(v)) snprintf(buf, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
  else if (nf.scientific) snprintf(buf, n, "%.4e", v);
  else snprintf(buf, n, "%.*f", nf.decimals, v);
  /* A mean of zeros can come back from the scaler as -1e-17: "-0" or
   * "-0.0000" reads as a negative amount; it is 0. */
  if (buf[0] == '-' && buf[1] && strspn(buf + 1, "0.%") == strlen(buf + 1)) memmove(buf, buf + 1, strlen(buf));
}

static double share_of(int64_t size, uint64_t rows) { return rows ? 100.0 * (double)size / (double)rows : 0.0; }

static void segments_by_row(FILE *f, const strata_model_info *in, size_t width) {
  size_t d = (size_t)in->d;
  cli_table *t = cli_table_new(3 + d, 1);
  cli_table_column(t, 0, "segment", 0);
  cli_table_column(t, 1, "size", 0);
  cli_table_column(t, 2, "share", 0);
  num_format *nf = cli_xcalloc(d ? d : 1, sizeof *nf);
  for (size_t j = 0; j < d; j++) {
    cli_table_column(t, 3 + j, in->features[j], 0);
    nf[j] = feature_format(in, j);
  }
  for (int c = 0; c < in->k; c++) {
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", c);
    cli_table_cell(t, 1, "%lld", (long long)in->sizes[c]);
    cli_table_cell(t, 2, "%.1f%%", share_of(in->sizes[c], in->rows));
    for (size_t j = 0; j < d; j++) {
      char buf[64];
      format_value(buf, sizeof buf, in->centroids_original[(size_t)c * d + j], nf[j]);
      cli_table_cell(t, 3 + j, "%s", buf);
    }
  }
  cli_table_print(t, f, width, "");
  cli_table_free(t);
  free(nf);
}

static void segments_by_column(FILE *f, const strata_model_info *in, size_t width) {
  size_t d = (size_t)in->d, k = (size_t)in->k;
  cli_table *t = cli_table_new(1 + k, 1);
  cli_table_column(t, 0, "segment", 1);
  for (size_t c = 0; c < k; c++) {
    char h[32];
    snprintf(h, sizeof h, "%zu", c);
    cli_table_column(t, 1 + c, h, 0);
  }
  cli_table_add_row(t);
  cli_table_cell(t, 0, "size");
  for (size_t c = 0; c < k; c++) cli_table_cell(t, 1 + c, "%lld", (long long)in->sizes[c]);
  cli_table_add_row(t);
  cli_table_cell(t, 0, "share");
  for (size_t c = 0; c < k; c++) cli_table_cell(t, 1 + c, "%.1f%%", share_of(in->sizes[c], in->rows));
  for (size_t j = 0; j < d; j++) {
    num_format nf = feature_format(in, j);
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%s", in->features[j]);
    for (size_t c = 0; c < k; c++) {
      char buf[64];
      format_value(buf, sizeof buf, in->centroids_original[c * d + j], nf);
      cli_table_cell(t, 1 + c, "%s", buf);
    }
  }
  cli_table_print(t, f, width, "");
  cli_table_free(t);
}

void cli_print_fit(FILE *f, const strata_model_info *in, const char *model_path, const char *labels_path,
                   size_t width) {
  double per_iter = cli_seconds_per_iteration(in);
  fprintf(f,
          "fit: rows=%llu features=%d k=%d backend=%s mode=%s iterations=%d converged=%s "
          "inertia=%.10g seconds=%.3f s/iteration=%.4g\n",
          (unsigned long long)in->rows, in->d, in->k, in->backend, in->mode, in->iterations,
          in->converged ? "yes" : "no", in->inertia, in->seconds, per_iter);
  if (in->backend_reason && *in->backend_reason) fprintf(f, "backend: %s\n", in->backend_reason);
  if (in->weights)
    fprintf(f, "gmm: covariance=%s log-likelihood=%.10g (mean per row, scaled data) bic=%.10g aic=%.10g\n",
            in->covariance_type, in->log_likelihood, in->bic, in->aic);
  if (in->rows_dropped)
    fprintf(f, "rows dropped for missing values: %llu\n", (unsigned long long)in->rows_dropped);
  cli_print_transforms(f, in);
  if (in->n_init > 1)
    fprintf(f, "kept run %d of %d (%s)\n", in->best_init + 1, in->n_init,
            in->weights ? "highest log-likelihood" : "lowest inertia");
  fprintf(f, "model: %s\n", model_path);
  if (labels_path) fprintf(f, "labels: %s\n", labels_path);
  fputc('\n', f);
  if (in->d <= WIDE_FEATURES) segments_by_row(f, in, width);
  else segments_by_column(f, in, width);
}

double cli_min_segment_share(double given, int k) {
  if (given >= 0.0) return given;
  double quarter = 0.25 / (double)(k > 0 ? k : 1);
  return quarter < 0.01 ? quarter : 0.01;
}

int cli_small_segment(const strata_model_info *in, int c, double min_share) {
  return min_share > 0.0 && in->rows > 0 && (double)in->sizes[c] < min_share * (double)in->rows;
}

void cli_warn_small_segments(const strata_model_info *in, double min_share) {
  for (int c = 0; c < in->k; c++)
    if (cli_small_segment(in, c, min_share))
      cli_warn("segment %d holds %lld of %llu rows (%.2f%%), below the minimum share of %.3g%% "
               "(--min-segment-share): outliers rather than a segment? (--transform, or fewer segments)",
               c, (long long)in->sizes[c], (unsigned long long)in->rows,
               100.0 * (double)in->sizes[c] / (double)in->rows, 100.0 * min_share);
}

void cli_print_transforms(FILE *f, const strata_model_info *in) {
  if (!in->transform_kind) return;
  fputs("transforms:", f);
  const char *sep = " ";
  for (int j = 0; j < in->d; j++) {
    int kind = in->transform_kind[j];
    if (kind == STRATA_TRANSFORM_NONE) continue;
    const double *q = in->transform_param + 3 * (size_t)j;
    fprintf(f, "%s%s %s", sep, in->features[j], cli_transform_names[kind]);
    if (kind == STRATA_TRANSFORM_YEO_JOHNSON) fprintf(f, "(lambda=%.4g)", q[0]);
    if (kind == STRATA_TRANSFORM_CLIP) fprintf(f, "(%.6g..%.6g)", q[1], q[2]);
    if (kind == STRATA_TRANSFORM_AGE_DAYS) fprintf(f, "(days before day %.6g)", q[1]);
    sep = ", ";
  }
  fputs(" (centroids below in original units)\n", f);
}

void cli_print_iterations(FILE *f, const strata_model_info *in, size_t width) {
  fprintf(f, "\niterations of run %d:\n", in->best_init + 1);
  cli_table *t = cli_table_new(6, 1);
  cli_table_column(t, 0, "iteration", 0);
  cli_table_column(t, 1, "inertia", 0);
  cli_table_column(t, 2, "shift", 0);
  cli_table_column(t, 3, "relocations", 0);
  cli_table_column(t, 4, "seconds", 0);
  cli_table_column(t, 5, "rows/s", 0);
  for (int i = 0; i < in->n_iter_stats; i++) {
    const strata_iter_stats *s = &in->iter_stats[i];
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", i + 1);
    cli_table_cell(t, 1, "%.10g", s->inertia);
    cli_table_cell(t, 2, "%.4g", s->shift);
    cli_table_cell(t, 3, "%lld", (long long)s->relocations);
    cli_table_cell(t, 4, "%.4f", s->seconds);
    cli_table_cell(t, 5, "%.4g", s->rows_per_second);
  }
  cli_table_print(t, f, width, "");
  cli_table_free(t);
}

void cli_print_assign(FILE *f, const strata_model_info *in, uint64_t rows, double inertia,
                      const int64_t *sizes, double seconds, const char *labels_path, size_t width) {
  uint64_t assigned = 0;
  for (int c = 0; c < in->k; c++) assigned += (uint64_t)sizes[c];
  fprintf(f, "assign: rows=%llu features=%d k=%d inertia=%.10g seconds=%.3f\n", (unsigned long long)rows, in->d,
          in->k, inertia, seconds);
  if (rows > assigned)
    fprintf(f, "rows without a segment (missing values): %llu\n", (unsigned long long)(rows - assigned));
  fprintf(f, "labels: %s\n\n", labels_path);
  cli_table *t = cli_table_new(3, 1);
  cli_table_column(t, 0, "segment", 0);
  cli_table_column(t, 1, "size", 0);
  cli_table_column(t, 2, "share", 0);
  for (int c = 0; c < in->k; c++) {
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", c);
    cli_table_cell(t, 1, "%lld", (long long)sizes[c]);
    cli_table_cell(t, 2, "%.1f%%", share_of(sizes[c], assigned));
  }
  cli_table_print(t, f, width, "");
  cli_table_free(t);
}

static void stat_cell(cli_table *t, size_t col, double v, uint64_t count) {
  if (count == 0 || !isfinite(v)) cli_table_cell(t, col, "-");
  else cli_table_cell(t, col, "%.6g", v);
}

/* A date column's value (days since 1970-01-01) as an ISO date. */
static void date_cell(cli_table *t, size_t col, double days, uint64_t count) {
  if (count == 0 || !isfinite(days) || fabs(days) > 3e6) {
    stat_cell(t, col, days, count);
    return;
  }
  time_t secs = (time_t)floor(days * 86400.0 + 0.5);
  struct tm tm;
  char buf[32];
  if (!gmtime_r(&secs, &tm)) {
    stat_cell(t, col, days, count);
    return;
  }
  if (secs % 86400 == 0) strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  else strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  cli_table_cell(t, col, "%s", buf);
}

void cli_print_inspect(FILE *f, const char *path, const char *location, size_t rows, const strata_inspect_column *cols,
                       size_t n, size_t width) {
  int table = 0; /* an imported table: show its types, storage, categories, roles */
  for (size_t j = 0; j < n; j++) table |= cols[j].stype != NULL || cols[j].categorical;
  fprintf(f, "%s%s%s: rows=%zu columns=%zu\n\n", path, location && *location ? " " : "", location ? location : "",
          rows, n);
  const char *plain[9] = {"column", "type", "count", "missing", "inf", "min", "max", "mean", "std"};
  const char *wide[11] = {"column", "type", "storage", "count", "missing", "inf",
                          "min",    "max",  "mean",    "std",   "categories"};
  size_t ncol = table ? 11 : 9, shift = table ? 1 : 0;
  cli_table *t = cli_table_new(ncol, 1);
  for (size_t k = 0; k < ncol; k++) cli_table_column(t, k, table ? wide[k] : plain[k], k < 2 + shift);
  for (size_t j = 0; j < n; j++) {
    const strata_inspect_column *c = &cols[j];
    const strata_column_stats *s = &c->stats;
    int is_date = c->stype && strcmp(c->stype, "date") == 0;
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%s", c->name);
    const char *type = table && c->stype ? c->stype : c->storage ? c->storage : "?";
    cli_table_cell(t, 1, "%s%s", type, c->is_id ? " (id)" : "");
    if (table) cli_table_cell(t, 2, "%s", c->storage ? c->storage : "?");
    cli_table_cell(t, 2 + shift, "%llu", (unsigned long long)s->count);
    cli_table_cell(t, 3 + shift, "%llu", (unsigned long long)s->missing);
    if (c->categorical) {
      for (size_t k = 4; k <= 8; k++) cli_table_cell(t, k + shift, "-");
    } else {
      cli_table_cell(t, 4 + shift, "%llu", (unsigned long long)s->infinite);
      if (is_date) {
        date_cell(t, 5 + shift, s->min, s->count);
        date_cell(t, 6 + shift, s->max, s->count);
        date_cell(t, 7 + shift, s->mean, s->count);
      } else {
        stat_cell(t, 5 + shift, s->min, s->count);
        stat_cell(t, 6 + shift, s->max, s->count);
        stat_cell(t, 7 + shift, s->mean, s->count);
      }
      stat_cell(t, 8 + shift, s->var >= 0.0 ? sqrt(s->var) : NAN, s->count);
    }
    if (table) {
      if (c->categorical) cli_table_cell(t, 10, "%llu", (unsigned long long)c->categories);
      else cli_table_cell(t, 10, "-");
    }
  }
  cli_table_print(t, f, width, "");
  cli_table_free(t);
}
