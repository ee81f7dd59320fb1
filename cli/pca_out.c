/* Outputs of `strata pca` (cli/pca_out.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "columns_h5.h"
#include "output_file.h"
#include "pca_out.h"
#include "table.h"

/* The feature with the largest |loading| of component c, for a hint of what
 * the axis means. */
static int top_loading(const strata_pca *p, int c) {
  const double *v = p->components + (size_t)c * (size_t)p->d;
  int best = 0;
  for (int j = 1; j < p->d; j++)
    if (fabs(v[j]) > fabs(v[best])) best = j;
  return best;
}

void cli_print_pca(FILE *f, const strata_pca *p, const cli_pca_run *r) {
  fprintf(f, "PCA of %s: %llu rows", r->data, (unsigned long long)p->rows);
  if (p->rows_dropped) fprintf(f, " (%llu left out for missing values)", (unsigned long long)p->rows_dropped);
  fprintf(f, ", %d features, scaled with %s\n\n", p->d, r->model ? "the model's scaler" : "z-scores");
  cli_table *t = cli_table_new(5, 1);
  cli_table_column(t, 0, "component", 0);
  cli_table_column(t, 1, "variance", 0);
  cli_table_column(t, 2, "ratio", 0);
  cli_table_column(t, 3, "cumulative", 0);
  cli_table_column(t, 4, "largest loading", 1);
  double cum = 0.0;
  for (int c = 0; c < p->ncomp; c++) {
    cum += p->explained_ratio[c];
    int j = top_loading(p, c);
    cli_table_add_row(t);
    cli_table_cell(t, 0, "PC%d", c + 1);
    cli_table_cell(t, 1, "%.4f", p->explained_variance[c]);
    cli_table_cell(t, 2, "%.2f%%", 100.0 * p->explained_ratio[c]);
    cli_table_cell(t, 3, "%.2f%%", 100.0 * cum);
    cli_table_cell(t, 4, "%s %+.3f", p->features[j], p->components[(size_t)c * (size_t)p->d + (size_t)j]);
  }
  cli_table_print(t, f, cli_output_width(f), "  ");
  cli_table_free(t);
  if (r->output)
    fprintf(f, "\nprojection of %zu sampled rows (seed %llu) onto PC1..PC%d written to %s\n",
            p->sample_count, (unsigned long long)r->seed, r->components, r->output);
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

int cli_json_pca(FILE *f, const strata_pca *p, const cli_pca_run *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "command", "pca");
  cJSON_AddStringToObject(o, "data", r->data);
  if (r->model) cJSON_AddStringToObject(o, "model", r->model); else cJSON_AddNullToObject(o, "model");
  cJSON_AddStringToObject(o, "scale", r->model ? "model" : "zscore");
  cJSON_AddNumberToObject(o, "rows", (double)p->rows);
  cJSON_AddNumberToObject(o, "rows_dropped", (double)p->rows_dropped);
  cJSON_AddItemToObject(o, "features", cJSON_CreateStringArray(p->features, p->d));
  cJSON_AddItemToObject(o, "total_variance", num(p->total_variance));
  cJSON *mean = cJSON_AddArrayToObject(o, "mean");
  for (int j = 0; j < p->d; j++) cJSON_AddItemToArray(mean, num(p->mean[j]));
  cJSON *comps = cJSON_AddArrayToObject(o, "components");
  double cum = 0.0;
  for (int c = 0; c < p->ncomp; c++) {
    cum += p->explained_ratio[c];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "component", c + 1);
    cJSON_AddItemToObject(e, "explained_variance", num(p->explained_variance[c]));
    cJSON_AddItemToObject(e, "explained_ratio", num(p->explained_ratio[c]));
    cJSON_AddItemToObject(e, "cumulative_ratio", num(cum));
    cJSON *l = cJSON_AddArrayToObject(e, "loadings");
    for (int j = 0; j < p->d; j++) cJSON_AddItemToArray(l, num(p->components[(size_t)c * (size_t)p->d + (size_t)j]));
    cJSON_AddItemToArray(comps, e);
  }
  cJSON_AddNumberToObject(o, "sample", (double)p->sample_count);
  cJSON_AddNumberToObject(o, "seed", (double)r->seed);
  cJSON_AddNumberToObject(o, "projected_components", r->components);
  if (r->output) cJSON_AddStringToObject(o, "output", r->output); else cJSON_AddNullToObject(o, "output");
  cJSON_AddStringToObject(o, "version", strata_version());
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!s) return -1;
  int rc = fprintf(f, "%s\n", s) < 0 ? -1 : 0;
  cJSON_free(s);
  return rc;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static strata_status write_h5(const strata_pca *p, const cli_pca_run *r) {
  size_t n = p->sample_count, nc = (size_t)r->components;
  double *cols = cli_xmalloc((n ? n : 1) * nc * sizeof *cols);
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < nc; c++) cols[c * n + i] = p->sample_scores[i * (size_t)p->ncomp + c];
  static const char *const names[] = {"pc1", "pc2", "pc3"};
  strata_h5_column h[5];
  size_t m = 0;
  h[m++] = (strata_h5_column){"row", STRATA_COL_I64, p->sample_index};
  for (size_t c = 0; c < nc; c++) h[m++] = (strata_h5_column){names[c], STRATA_COL_F64, cols + c * n};
  if (p->sample_segment) h[m++] = (strata_h5_column){"segment", STRATA_COL_I32, p->sample_segment};
  strata_status st = strata_write_h5_columns(r->output, h, m, n);
  free(cols);
  return st;
}

static strata_status write_csv(const strata_pca *p, const cli_pca_run *r) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (!m) return STRATA_ERR_NOMEM;
  fputs("row", m);
  for (int c = 0; c < r->components; c++) fprintf(m, ",pc%d", c + 1);
  fputs(p->sample_segment ? ",segment\n" : "\n", m);
  for (size_t i = 0; i < p->sample_count; i++) {
    fprintf(m, "%llu", (unsigned long long)p->sample_index[i]);
    for (int c = 0; c < r->components; c++) fprintf(m, ",%.9g", p->sample_scores[i * (size_t)p->ncomp + (size_t)c]);
    if (p->sample_segment) fprintf(m, ",%d", (int)p->sample_segment[i]);
    fputc('\n', m);
  }
  fclose(m);
  strata_output_file out;
  strata_status st = strata_output_begin_text(r->output, &out);
  if (st == STRATA_OK) {
    st = strata_output_write_all(&out, buf, len);
    if (st == STRATA_OK) st = strata_output_commit(&out);
    else strata_output_abort(&out);
  }
  free(buf);
  return st;
}

strata_status cli_write_pca_projection(const strata_pca *p, const cli_pca_run *r) {
  return ends_with(r->output, ".h5") || ends_with(r->output, ".hdf5") ? write_h5(p, r) : write_csv(p, r);
}
