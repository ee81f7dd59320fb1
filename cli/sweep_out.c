/* Renders a sweep result (see sweep_out.h). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "sweep_out.h"
#include "table.h"

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static int add(cJSON *o, const char *key, cJSON *v) {
  if (!v) return 0;
  return cJSON_AddItemToObject(o, key, v) ? 1 : (cJSON_Delete(v), 0);
}

static cJSON *raw_u64(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRIu64, v);
  return cJSON_CreateRaw(buf);
}

static cJSON *k_or_null(int k) { return k > 0 ? cJSON_CreateNumber(k) : cJSON_CreateNull(); }

int cli_sweep_compares(const strata_sweep_result *r) {
  if (r->n_algorithms > 1) return 1;
  for (size_t i = 0; i < r->n_results; i++)
    if (isfinite(r->results[i].stability)) return 1;
  return 0;
}

/* The items of method `only` (NULL: all); full: with the method's name,
 * BIC, AIC and stability. */
static cJSON *items_json(const strata_sweep_result *r, const char *only, int full, int *ok) {
  cJSON *res = cJSON_CreateArray();
  for (size_t i = 0; res && i < r->n_results; i++) {
    const strata_sweep_k *it = &r->results[i];
    if (only && strcmp(it->algorithm, only) != 0) continue;
    cJSON *o = cJSON_CreateObject();
    if (!o) { *ok = 0; break; }
    if (full) *ok &= add(o, "algorithm", cJSON_CreateString(it->algorithm));
    *ok &= add(o, "k", cJSON_CreateNumber(it->k));
    *ok &= add(o, "inertia", num_or_null(it->inertia));
    *ok &= add(o, "iterations", cJSON_CreateNumber(it->iterations));
    *ok &= add(o, "converged", cJSON_CreateBool(it->converged));
    *ok &= add(o, "silhouette", num_or_null(it->silhouette));
    *ok &= add(o, "calinski_harabasz", num_or_null(it->calinski_harabasz));
    *ok &= add(o, "davies_bouldin", num_or_null(it->davies_bouldin));
    if (full) {
      *ok &= add(o, "bic", num_or_null(it->bic));
      *ok &= add(o, "aic", num_or_null(it->aic));
      *ok &= add(o, "stability", num_or_null(it->stability));
    }
    if (!cJSON_AddItemToArray(res, o)) { cJSON_Delete(o); *ok = 0; }
  }
  return res;
}

int cli_sweep_json(FILE *f, const strata_sweep_result *r, const cli_sweep_info *in) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return -1;
  int ok = add(root, "command", cJSON_CreateString("sweep"));
  ok &= add(root, "data", cJSON_CreateString(in->data));
  if (in->fingerprint) ok &= add(root, "fingerprint", cli_fingerprint_json(in->fingerprint));
  ok &= add(root, "rows", raw_u64(r->rows));
  cJSON *feat = cJSON_CreateArray();
  for (size_t j = 0; feat && j < r->d; j++) ok &= cJSON_AddItemToArray(feat, cJSON_CreateString(in->features[j]));
  ok &= add(root, "features", feat);
  ok &= add(root, "left_out", cli_json_left_out(in->choice, in->categorical));
  ok &= add(root, "weight_column", in->weights ? cJSON_CreateString(in->weights) : cJSON_CreateNull());
  ok &= add(root, "k_min", cJSON_CreateNumber(r->results[0].k));
  ok &= add(root, "k_max", cJSON_CreateNumber(r->results[r->n_results - 1].k));
  ok &= add(root, "seed", raw_u64(in->seed));
  ok &= add(root, "n_init", cJSON_CreateNumber(in->n_init));
  ok &= add(root, "silhouette_sample", raw_u64(in->silhouette_sample));
  ok &= add(root, "ranks", cJSON_CreateNumber(in->ranks));
  ok &= add(root, "threads", cJSON_CreateNumber(in->threads));
  int cmp = cli_sweep_compares(r);
  if (cmp) {
    cJSON *alg = cJSON_CreateArray();
    for (size_t i = 0; alg && i < r->n_results; i++)
      if (i == 0 || strcmp(r->results[i].algorithm, r->results[i - 1].algorithm) != 0)
        ok &= cJSON_AddItemToArray(alg, cJSON_CreateString(r->results[i].algorithm));
    ok &= add(root, "algorithms", alg);
    ok &= add(root, "stability_runs", cJSON_CreateNumber(in->stability_runs));
  }
  /* Comparing methods, "results" holds the recommended method's k values
   * (what `strata report --sweep` draws) and "comparison" every method's. */
  const char *shown = cmp ? (r->recommended_algorithm ? r->recommended_algorithm : r->results[0].algorithm) : NULL;
  ok &= add(root, "results", items_json(r, shown, cmp, &ok));
  if (cmp) ok &= add(root, "comparison", items_json(r, NULL, 1, &ok));
  ok &= add(root, "knee_k", k_or_null(r->knee_k));
  ok &= add(root, "recommended_k", k_or_null(r->recommended_k));
  if (cmp)
    ok &= add(root, "recommended_algorithm",
              r->recommended_algorithm ? cJSON_CreateString(r->recommended_algorithm) : cJSON_CreateNull());
  ok &= add(root, "reason", cJSON_CreateString(r->reason));
  char *text = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return -1;
  int rc = fprintf(f, "%s\n", text) < 0 ? -1 : 0;
  cJSON_free(text);
  return rc;
}

static int is_recommended(const strata_sweep_result *r, const strata_sweep_k *it) {
  return it->k == r->recommended_k && r->recommended_algorithm && strcmp(it->algorithm, r->recommended_algorithm) == 0;
}

static void csv_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, ",%.17g", v);
  else fputc(',', f);
}

int cli_sweep_csv(FILE *f, const strata_sweep_result *r) {
  if (cli_sweep_compares(r)) {
    fputs("algorithm,k,inertia,iterations,converged,silhouette,calinski_harabasz,davies_bouldin,bic,aic,stability,"
          "recommended\n", f);
    for (size_t i = 0; i < r->n_results; i++) {
      const strata_sweep_k *it = &r->results[i];
      fprintf(f, "%s,%d", it->algorithm, it->k);
      csv_num(f, it->inertia);
      fprintf(f, ",%d,%s", it->iterations, it->converged ? "true" : "false");
      csv_num(f, it->silhouette);
      csv_num(f, it->calinski_harabasz);
      csv_num(f, it->davies_bouldin);
      csv_num(f, it->bic);
      csv_num(f, it->aic);
      csv_num(f, it->stability);
      fprintf(f, ",%s\n", is_recommended(r, it) ? "true" : "false");
    }
    return ferror(f) ? -1 : 0;
  }
  fputs("k,inertia,iterations,converged,silhouette,calinski_harabasz,davies_bouldin,knee,recommended\n", f);
  for (size_t i = 0; i < r->n_results; i++) {
    const strata_sweep_k *it = &r->results[i];
    fprintf(f, "%d", it->k);
    csv_num(f, it->inertia);
    fprintf(f, ",%d,%s", it->iterations, it->converged ? "true" : "false");
    csv_num(f, it->silhouette);
    csv_num(f, it->calinski_harabasz);
    csv_num(f, it->davies_bouldin);
    fprintf(f, ",%s,%s\n", it->k == r->knee_k ? "true" : "false", it->k == r->recommended_k ? "true" : "false");
  }
  return ferror(f) ? -1 : 0;
}

static void cell_num(cli_table *t, size_t col, double v, const char *fmt) {
  if (isfinite(v)) cli_table_cell(t, col, fmt, v);
  else cli_table_cell(t, col, "-");
}

/* One row per method and k, with BIC and stability. */
static int comparison_table(FILE *f, const strata_sweep_result *r, size_t width) {
  static const char *const heads[] = {"method", "k", "inertia", "iterations", "silhouette",
                                      "calinski-harabasz", "davies-bouldin", "bic", "stability", ""};
  enum { NCOL = sizeof heads / sizeof heads[0] };
  cli_table *t = cli_table_new(NCOL, 1);
  if (!t) return -1;
  for (size_t c = 0; c < NCOL; c++) cli_table_column(t, c, heads[c], c == 0 || c == NCOL - 1);
  for (size_t i = 0; i < r->n_results; i++) {
    const strata_sweep_k *it = &r->results[i];
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%s", it->algorithm);
    cli_table_cell(t, 1, "%d", it->k);
    cell_num(t, 2, it->inertia, "%.6g");
    cli_table_cell(t, 3, "%d%s", it->iterations, it->converged ? "" : " (not converged)");
    cell_num(t, 4, it->silhouette, "%.4f");
    cell_num(t, 5, it->calinski_harabasz, "%.6g");
    cell_num(t, 6, it->davies_bouldin, "%.4f");
    cell_num(t, 7, it->bic, "%.6g");
    cell_num(t, 8, it->stability, "%.4f");
    cli_table_cell(t, 9, "%s", is_recommended(r, it) ? "recommended" : "");
  }
  cli_table_print(t, f, width, "  ");
  cli_table_free(t);
  fprintf(f, "\nrecommended %s\n", r->reason);
  fprintf(f, "\nmetrics in scaled units; silhouette on the same %zu sampled rows for every method (ward: each\n"
             "row's nearest segment centroid; gmm: its most probable component); Calinski-Harabasz and\n"
             "Davies-Bouldin over all rows (kmeans, ward); stability: mean adjusted Rand index between\n"
             "bootstrap refits; %.2f s\n",
          r->silhouette_rows, r->seconds);
  return ferror(f) ? -1 : 0;
}

int cli_sweep_table(FILE *f, const strata_sweep_result *r, const cli_sweep_info *in, size_t width) {
  fprintf(f, "sweep of %s: %" PRIu64 " rows", in->data, r->rows);
  if (r->rows_dropped) fprintf(f, " (%" PRIu64 " dropped for missing values)", r->rows_dropped);
  fprintf(f, ", %zu features, k = %d..%d, seed %" PRIu64, r->d, r->results[0].k, r->results[r->n_results - 1].k,
          in->seed);
  if (in->n_init > 1) fprintf(f, ", best of %d restarts per k", in->n_init);
  /* Weighted, every figure below is: the fits, inertia and all three metrics. */
  if (in->weights) fprintf(f, ", rows weighted by '%s'", in->weights);
  fputs("\n\n", f);
  if (cli_sweep_compares(r)) return comparison_table(f, r, width);
  static const char *const heads[] = {"k", "inertia", "iterations", "converged", "silhouette",
                                      "calinski-harabasz", "davies-bouldin", ""};
  cli_table *t = cli_table_new(8, 1);
  if (!t) return -1;
  for (size_t c = 0; c < 8; c++) cli_table_column(t, c, heads[c], c == 3 || c == 7);
  for (size_t i = 0; i < r->n_results; i++) {
    const strata_sweep_k *it = &r->results[i];
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", it->k);
    cell_num(t, 1, it->inertia, "%.6g");
    cli_table_cell(t, 2, "%d", it->iterations);
    cli_table_cell(t, 3, "%s", it->converged ? "yes" : "no");
    cell_num(t, 4, it->silhouette, "%.4f");
    cell_num(t, 5, it->calinski_harabasz, "%.6g");
    cell_num(t, 6, it->davies_bouldin, "%.4f");
    int knee = it->k == r->knee_k, rec = it->k == r->recommended_k;
    cli_table_cell(t, 7, "%s%s%s", knee ? "knee" : "", knee && rec ? ", " : "", rec ? "recommended" : "");
  }
  cli_table_print(t, f, width, "  ");
  cli_table_free(t);
  fprintf(f, "\nrecommended %s\n", r->reason);
  fprintf(f, "\nmetrics in scaled units; Calinski-Harabasz and Davies-Bouldin over all rows, silhouette on "
             "%zu sampled rows; %d passes over the data in %.2f s (%s)\n",
          r->silhouette_rows, r->data_passes, r->seconds, r->backend);
  return ferror(f) ? -1 : 0;
}
