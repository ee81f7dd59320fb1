/* Renderings of a segment profile (see profile_out.h). */
#include "profile_out.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"

/* ---- a small grid of cells, printed as a text table or in Markdown ---- */

typedef struct {
  size_t ncols, nkey, nrows;
  char **head;
  int *left;
  char **cells; /* nrows × ncols */
} grid;

static grid *grid_new(size_t ncols, size_t nkey) {
  grid *g = cli_xcalloc(1, sizeof *g);
  g->ncols = ncols;
  g->nkey = nkey;
  g->head = cli_xcalloc(ncols, sizeof *g->head);
  g->left = cli_xcalloc(ncols, sizeof *g->left);
  return g;
}

static void grid_head(grid *g, size_t col, const char *text, int left) {
  g->head[col] = cli_xstrdup(text);
  g->left[col] = left;
}

static void grid_row(grid *g) {
  g->nrows++;
  g->cells = cli_xrealloc(g->cells, g->nrows * g->ncols * sizeof *g->cells);
  memset(g->cells + (g->nrows - 1) * g->ncols, 0, g->ncols * sizeof *g->cells);
}

static void grid_cell(grid *g, size_t col, const char *fmt, ...) CLI_PRINTF(3, 4);
static void grid_cell(grid *g, size_t col, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char **cell = &g->cells[(g->nrows - 1) * g->ncols + col];
  free(*cell);
  *cell = cli_xstrdup(buf);
}

static void grid_free(grid *g) {
  for (size_t i = 0; i < g->nrows * g->ncols; i++) free(g->cells[i]);
  for (size_t j = 0; j < g->ncols; j++) free(g->head[j]);
  free(g->cells); free(g->head); free(g->left); free(g);
}

/* Pipes inside a Markdown cell would end it. */
static void md_text(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '|') fputc('\\', f);
    fputc(*s, f);
  }
}

/* Prints and frees g: text (md = 0) or Markdown. */
static void grid_emit(grid *g, FILE *f, int md, size_t width) {
  if (md) {
    for (size_t j = 0; j < g->ncols; j++) { fputs("| ", f); md_text(f, g->head[j]); fputc(' ', f); }
    fputs("|\n", f);
    for (size_t j = 0; j < g->ncols; j++) fputs(g->left[j] ? "|:---" : "|---:", f);
    fputs("|\n", f);
    for (size_t i = 0; i < g->nrows; i++) {
      for (size_t j = 0; j < g->ncols; j++) {
        fputs("| ", f);
        md_text(f, g->cells[i * g->ncols + j]);
        fputc(' ', f);
      }
      fputs("|\n", f);
    }
  } else {
    cli_table *t = cli_table_new(g->ncols, g->nkey);
    for (size_t j = 0; j < g->ncols; j++) cli_table_column(t, j, g->head[j], g->left[j]);
    for (size_t i = 0; i < g->nrows; i++) {
      cli_table_add_row(t);
      for (size_t j = 0; j < g->ncols; j++)
        if (g->cells[i * g->ncols + j]) cli_table_cell(t, j, "%s", g->cells[i * g->ncols + j]);
    }
    cli_table_print(t, f, width, "  ");
    cli_table_free(t);
  }
  grid_free(g);
}

/* ---- the profile's content ---- */

static const char *category_of(const strata_profile *p, int j) {
  const char *eq = p->feature_group[j] >= 0 ? strchr(p->features[j], '=') : NULL;
  return eq ? eq + 1 : NULL;
}

static void num_cell(grid *g, size_t col, double v) {
  if (isfinite(v)) grid_cell(g, col, "%.6g", v);
  else grid_cell(g, col, "-");
}

static void heading(FILE *f, int md, const char *fmt, ...) CLI_PRINTF(3, 4);
static void heading(FILE *f, int md, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(md ? "\n### " : "\n", f);
  vfprintf(f, fmt, ap);
  fputs(md ? "\n\n" : ":\n", f);
  va_end(ap);
}

static void top_text(const strata_profile *p, const strata_segment_profile *s, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < s->ntop && len < size; i++) {
    int j = s->top[i];
    int w = snprintf(buf + len, size - len, "%s%s %+.2f", i ? ", " : "", p->features[j], s->features[j].z);
    if (w < 0) break;
    len += (size_t)w;
  }
}

static void summary(FILE *f, const strata_profile *p, const cli_profile_source *src, int md) {
  fprintf(f, "%sprofile: %d segments of %s over %s, %llu rows", md ? "## Segment " : "", p->k,
          src->model, src->data, (unsigned long long)p->rows);
  if (p->rows_dropped) fprintf(f, " (%llu more without a segment)", (unsigned long long)p->rows_dropped);
  fputs(md ? "\n\n" : "\n", f);
  fprintf(f, "segments: %s%s%s\n", p->labels ? "from the labels file " : "assigned with the model",
          p->labels ? p->labels : "", md ? "  " : "");
  if (p->medians_exact) fprintf(f, "medians: exact%s\n", md ? "  " : "");
  else fprintf(f, "medians: streaming sketch, rank error at most %.2f%% of the rows%s\n",
               100.0 * p->median_rank_error, md ? "  " : "");
  if (p->weight)
    fprintf(f, "weights: '%s', total %.6g; weight share = a segment's part of it%s\n", p->weight_column,
            p->weight_total, md ? "  " : "");
  fputs("values: original units over finite values; z = (segment mean - population mean) / population std\n", f);
}

static void segments_grid(FILE *f, const strata_profile *p, const char *const *names, int md, size_t width) {
  heading(f, md, "Segments");
  /* With row weights, each segment's share of the weight (e.g. of the value) follows its share of rows. */
  size_t wt = p->weight ? 1 : 0, nc = (names ? 6 : 5) + wt, d0 = (names ? 4 : 3) + wt;
  grid *g = grid_new(nc, 1);
  grid_head(g, 0, "segment", 0);
  grid_head(g, 1, "size", 0);
  grid_head(g, 2, "share", 0);
  if (wt) grid_head(g, 3, "weight share", 0);
  if (names) grid_head(g, 3 + wt, "name", 1);
  grid_head(g, d0, "description", 1);
  grid_head(g, d0 + 1, "top features (z)", 1);
  char top[512];
  for (int c = 0; c < p->k; c++) {
    const strata_segment_profile *s = &p->segments[c];
    grid_row(g);
    grid_cell(g, 0, "%d", c);
    grid_cell(g, 1, "%lld", (long long)s->size);
    grid_cell(g, 2, "%.1f%%", 100.0 * s->share);
    if (wt) grid_cell(g, 3, "%.1f%%", p->weight_total > 0.0 ? 100.0 * p->weight[c] / p->weight_total : 0.0);
    if (names) grid_cell(g, 3 + wt, "%s", names[c]);
    grid_cell(g, d0, "%s", s->description);
    top_text(p, s, top, sizeof top);
    grid_cell(g, d0 + 1, "%s", top);
  }
  grid_emit(g, f, md, width);
}

/* Means of every numeric feature: the population and each segment with its z. */
static void means_grid(FILE *f, const strata_profile *p, int md, size_t width) {
  heading(f, md, "Feature means by segment (z in brackets)");
  grid *g = grid_new((size_t)p->k + 2, 1);
  grid_head(g, 0, "feature", 1);
  grid_head(g, 1, "all", 0);
  char h[32];
  for (int c = 0; c < p->k; c++) {
    snprintf(h, sizeof h, "segment %d", c);
    grid_head(g, (size_t)c + 2, h, 0);
  }
  for (int j = 0; j < p->d; j++) {
    if (p->feature_group[j] >= 0) continue;
    grid_row(g);
    grid_cell(g, 0, "%s", p->features[j]);
    num_cell(g, 1, p->population[j].mean);
    for (int c = 0; c < p->k; c++) {
      const strata_feature_profile *x = &p->segments[c].features[j];
      if (x->count) grid_cell(g, (size_t)c + 2, "%.6g (%+.2f)", x->mean, x->z);
      else grid_cell(g, (size_t)c + 2, "-");
    }
  }
  grid_emit(g, f, md, width);
}

/* Category shares of one categorical column (the means of its one-hot columns). */
static void shares_grid(FILE *f, const strata_profile *p, int group, int md, size_t width) {
  heading(f, md, "Category shares of %s", p->categorical[group]);
  grid *g = grid_new((size_t)p->k + 2, 1);
  grid_head(g, 0, "category", 1);
  grid_head(g, 1, "all", 0);
  char h[32];
  for (int c = 0; c < p->k; c++) {
    snprintf(h, sizeof h, "segment %d", c);
    grid_head(g, (size_t)c + 2, h, 0);
  }
  for (int j = 0; j < p->d; j++) {
    if (p->feature_group[j] != group) continue;
    grid_row(g);
    grid_cell(g, 0, "%s", category_of(p, j));
    if (p->population[j].count) grid_cell(g, 1, "%.1f%%", 100.0 * p->population[j].mean);
    for (int c = 0; c < p->k; c++) {
      const strata_feature_profile *x = &p->segments[c].features[j];
      if (x->count) grid_cell(g, (size_t)c + 2, "%.1f%% (%+.2f)", 100.0 * x->mean, x->z);
      else grid_cell(g, (size_t)c + 2, "-");
    }
  }
  grid_emit(g, f, md, width);
}

/* Every statistic of every feature for one segment (c = -1: the population). */
static void detail_grid(FILE *f, const strata_profile *p, const char *const *names, int c, int md, size_t width) {
  const strata_feature_profile *x = c < 0 ? p->population : p->segments[c].features;
  if (c < 0) heading(f, md, "All rows (%llu)", (unsigned long long)p->rows);
  else if (names)
    heading(f, md, "Segment %d, %s (%lld rows, %.1f%%): %s", c, names[c], (long long)p->segments[c].size,
            100.0 * p->segments[c].share, p->segments[c].description);
  else heading(f, md, "Segment %d (%lld rows, %.1f%%): %s", c, (long long)p->segments[c].size,
               100.0 * p->segments[c].share, p->segments[c].description);
  grid *g = grid_new(c < 0 ? 7 : 8, 1);
  static const char *const H[] = {"feature", "mean", "median", "std", "min", "max", "count", "z"};
  for (size_t i = 0; i < g->ncols; i++) grid_head(g, i, H[i], i == 0);
  for (int j = 0; j < p->d; j++) {
    grid_row(g);
    grid_cell(g, 0, "%s", p->features[j]);
    num_cell(g, 1, x[j].mean);
    num_cell(g, 2, x[j].median);
    num_cell(g, 3, x[j].std);
    num_cell(g, 4, x[j].min);
    num_cell(g, 5, x[j].max);
    grid_cell(g, 6, "%llu", (unsigned long long)x[j].count);
    if (c >= 0 && isfinite(x[j].z)) grid_cell(g, 7, "%+.2f", x[j].z);
    else if (c >= 0) grid_cell(g, 7, "-");
  }
  grid_emit(g, f, md, width);
}

static void render(FILE *f, const strata_profile *p, const cli_profile_source *src, int md,
                   size_t width) {
  summary(f, p, src, md);
  segments_grid(f, p, src->names, md, width);
  int numeric = 0;
  for (int j = 0; j < p->d; j++) numeric += p->feature_group[j] < 0;
  if (numeric) means_grid(f, p, md, width);
  for (int gidx = 0; gidx < p->n_categorical; gidx++) shares_grid(f, p, gidx, md, width);
  detail_grid(f, p, src->names, -1, md, width);
  for (int c = 0; c < p->k; c++) detail_grid(f, p, src->names, c, md, width);
}

void cli_profile_text(FILE *f, const strata_profile *p, const cli_profile_source *src, size_t width) {
  render(f, p, src, 0, width);
}

void cli_profile_markdown(FILE *f, const strata_profile *p, const cli_profile_source *src) {
  render(f, p, src, 1, 0);
}

/* ---- CSV ---- */

static void csv_text(FILE *f, const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* The shortest decimal that reads back as exactly v; empty when not finite. */
static void csv_num(FILE *f, double v) {
  if (!isfinite(v)) return;
  char buf[32];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  fputs(buf, f);
}

static void csv_line(FILE *f, const strata_profile *p, int c, int j) {
  const strata_feature_profile *x = c < 0 ? &p->population[j] : &p->segments[c].features[j];
  if (c < 0) fprintf(f, "all,%llu,1,", (unsigned long long)p->rows);
  else {
    fprintf(f, "%d,%lld,", c, (long long)p->segments[c].size);
    csv_num(f, p->segments[c].share);
    fputc(',', f);
  }
  csv_text(f, p->features[j]);
  fputc(',', f);
  if (p->feature_group[j] >= 0) {
    csv_text(f, p->categorical[p->feature_group[j]]);
    fputc(',', f);
    csv_text(f, category_of(p, j));
  } else {
    fputc(',', f);
  }
  fprintf(f, ",%llu", (unsigned long long)x->count);
  const double v[] = {x->mean, x->std, x->min, x->max, x->median, x->z};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) { fputc(',', f); csv_num(f, v[i]); }
  fputc(',', f);
  if (c >= 0)
    for (int i = 0; i < p->segments[c].ntop; i++)
      if (p->segments[c].top[i] == j) fprintf(f, "%d", i + 1);
  fputc(',', f);
  if (c >= 0) csv_text(f, p->segments[c].description);
}

void cli_profile_csv(FILE *f, const strata_profile *p, const char *const *names) {
  fputs("segment,size,share,feature,column,category,count,mean,std,min,max,median,z,top,description", f);
  fputs(names ? ",name\r\n" : "\r\n", f);
  for (int c = -1; c < p->k; c++)
    for (int j = 0; j < p->d; j++) {
      csv_line(f, p, c, j);
      if (names) {
        fputc(',', f);
        if (c >= 0) csv_text(f, names[c]);
      }
      fputs("\r\n", f);
    }
}
