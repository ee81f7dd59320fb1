/* Machine-readable results through cJSON. */
#include "cli.h"
#include "json_out.h"
#include "explain_out.h"
#include "options.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cJSON reports allocation failure by returning NULL from its creators and
 * by cJSON_Add* returning NULL; the whole object is checked once, when it is
 * printed (cJSON_PrintUnformatted returns NULL) and by `ok` below. */
typedef struct {
  cJSON *root;
  int ok;
} jbuild;

static void check(jbuild *b, const void *p) {
  if (!p) b->ok = 0;
}

static void add_num(jbuild *b, cJSON *o, const char *key, double v) {
  /* cJSON writes non-finite numbers as null; say so explicitly. */
  check(b, isfinite(v) ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key));
}

static void add_u64(jbuild *b, cJSON *o, const char *key, uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRIu64, v);
  check(b, cJSON_AddRawToObject(o, key, buf));
}

static void add_i64(jbuild *b, cJSON *o, const char *key, int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  check(b, cJSON_AddRawToObject(o, key, buf));
}

static void add_str(jbuild *b, cJSON *o, const char *key, const char *s) {
  check(b, s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key));
}

static void add_bool(jbuild *b, cJSON *o, const char *key, int v) { check(b, cJSON_AddBoolToObject(o, key, v)); }

static cJSON *add_array(jbuild *b, cJSON *o, const char *key) {
  cJSON *a = cJSON_AddArrayToObject(o, key);
  check(b, a);
  return a;
}

static void push(jbuild *b, cJSON *array, cJSON *item) {
  if (!item || !array || !cJSON_AddItemToArray(array, item)) {
    cJSON_Delete(item);
    b->ok = 0;
  }
}

static cJSON *number(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *raw_i64(int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  return cJSON_CreateRaw(buf);
}

static void add_doubles(jbuild *b, cJSON *o, const char *key, const double *v, size_t n) {
  cJSON *a = add_array(b, o, key);
  for (size_t i = 0; a && i < n; i++) push(b, a, number(v[i]));
}

static void add_strings(jbuild *b, cJSON *o, const char *key, const char *const *v, size_t n) {
  cJSON *a = add_array(b, o, key);
  for (size_t i = 0; a && i < n; i++) push(b, a, cJSON_CreateString(v[i] ? v[i] : ""));
}

/* k×d row-major as an array of k arrays. */
static void add_matrix(jbuild *b, cJSON *o, const char *key, const double *v, size_t k, size_t d) {
  cJSON *a = add_array(b, o, key);
  for (size_t c = 0; a && c < k; c++) {
    cJSON *row = cJSON_CreateArray();
    for (size_t j = 0; row && j < d; j++) push(b, row, number(v[c * d + j]));
    push(b, a, row);
  }
}

static int finish(jbuild *b, FILE *f) {
  char *text = b->ok ? cJSON_PrintUnformatted(b->root) : NULL;
  cJSON_Delete(b->root);
  if (!text) return -1;
  int rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
  cJSON_free(text);
  return rc;
}

/* The data fingerprint (cli/fingerprint.h), when there is one. */
static void add_fingerprint(jbuild *b, cJSON *o, const cli_fingerprint *fp) {
  if (!fp) return;
  cJSON *j = cli_fingerprint_json(fp);
  check(b, j);
  if (j && !cJSON_AddItemToObject(o, "fingerprint", j)) {
    cJSON_Delete(j);
    b->ok = 0;
  }
}

static jbuild begin(void) {
  jbuild b = {cJSON_CreateObject(), 1};
  check(&b, b.root);
  return b;
}

/* A segment or feature number, or null where there is none (-1). */
static cJSON *index_or_null(int v) { return v >= 0 ? raw_i64(v) : cJSON_CreateNull(); }

static void add_index(jbuild *b, cJSON *o, const char *key, int v) {
  cJSON *x = index_or_null(v);
  if (!x || !cJSON_AddItemToObject(o, key, x)) {
    cJSON_Delete(x);
    b->ok = 0;
  }
}

/* The drift report (strata_drift) as the "drift" member; null when none. */
static void add_drift(jbuild *b, cJSON *o, const strata_drift *d) {
  if (!d) {
    check(b, cJSON_AddNullToObject(o, "drift"));
    return;
  }
  cJSON *x = cJSON_AddObjectToObject(o, "drift");
  check(b, x);
  if (!x) return;
  add_str(b, x, "reference", d->reference);
  cJSON *segs = add_array(b, x, "segments");
  for (int i = 0; segs && i < d->n_segments; i++) {
    const strata_drift_segment *s = &d->segments[i];
    cJSON *e = cJSON_CreateObject();
    if (e) {
      add_index(b, e, "segment", s->segment);
      add_index(b, e, "reference_segment", s->parent);
      add_str(b, e, "status", s->segment < 0 ? "vanished" : s->parent < 0 ? "new" : "continues");
      add_num(b, e, "share_train", s->share_train);
      add_num(b, e, "share_now", s->share_now);
      add_num(b, e, "share_change", s->share_change);
      add_num(b, e, "mean_distance_train", s->mean_distance_train);
      add_num(b, e, "mean_distance_now", s->mean_distance_now);
      add_num(b, e, "distance_change", s->distance_change);
      add_bool(b, e, "flag", s->flag);
    }
    push(b, segs, e);
  }
  cJSON *feats = add_array(b, x, "features");
  for (int j = 0; feats && j < d->n_features; j++) {
    const strata_drift_feature *f = &d->features[j];
    cJSON *e = cJSON_CreateObject();
    if (e) {
      add_str(b, e, "feature", f->feature);
      add_num(b, e, "mean_train", f->mean_train);
      add_num(b, e, "mean_now", f->mean_now);
      add_num(b, e, "std_train", f->std_train);
      add_num(b, e, "shift", f->shift);
      add_bool(b, e, "flag", f->flag);
    }
    push(b, feats, e);
  }
  cJSON *th = cJSON_AddObjectToObject(x, "thresholds");
  check(b, th);
  if (th) {
    add_num(b, th, "share", d->thresholds.share);
    add_num(b, th, "distance", d->thresholds.distance);
    add_num(b, th, "shift", d->thresholds.shift);
  }
  add_strings(b, x, "warnings", d->warnings, (size_t)d->n_warnings);
  add_bool(b, x, "flagged", d->n_warnings > 0);
}

/* The refit's lineage as the "lineage" member; null without a parent.
 * parent_k: the parent's number of segments, for the vanished ones. */
static void add_lineage(jbuild *b, cJSON *o, const strata_model_info *in, int parent_k) {
  if (!in->parent_path || !in->parent_segment) {
    check(b, cJSON_AddNullToObject(o, "lineage"));
    return;
  }
  cJSON *x = cJSON_AddObjectToObject(o, "lineage");
  check(b, x);
  if (!x) return;
  add_str(b, x, "parent", in->parent_path);
  add_str(b, x, "parent_created", in->parent_created);
  add_bool(b, x, "warm_start", in->init && strcmp(in->init, "warm-start") == 0);
  cJSON *segs = add_array(b, x, "segments");
  for (int c = 0; segs && c < in->k; c++) {
    cJSON *e = cJSON_CreateObject();
    if (e) {
      add_i64(b, e, "segment", c);
      add_index(b, e, "parent_segment", in->parent_segment[c]);
      add_num(b, e, "distance", in->parent_distance ? in->parent_distance[c] : NAN);
      add_str(b, e, "status", in->parent_segment[c] >= 0 ? "continues" : "new");
    }
    push(b, segs, e);
  }
  cJSON *gone = add_array(b, x, "vanished");
  for (int p = 0; gone && p < parent_k; p++) {
    int found = 0;
    for (int c = 0; c < in->k && !found; c++) found = in->parent_segment[c] == p;
    if (!found) push(b, gone, raw_i64(p));
  }
}

/* A Gaussian mixture's parameters and scores (scikit-learn's definitions:
 * log_likelihood is its score(), the mean per row; scaled units). */
static void add_mixture(jbuild *b, cJSON *o, const strata_model_info *in) {
  if (!in->weights) return; /* k-means output stays as recorded (tests/golden) */
  add_str(b, o, "algorithm", in->estimator);
  size_t k = (size_t)in->k, d = (size_t)in->d;
  size_t nc = !strcmp(in->covariance_type, "full") ? k * d * d
              : !strcmp(in->covariance_type, "tied") ? d * d
              : !strcmp(in->covariance_type, "diag") ? k * d : k;
  cJSON *g = cJSON_CreateObject();
  if (g && !cJSON_AddItemToObject(o, "gmm", g)) {
    cJSON_Delete(g);
    g = NULL;
  }
  check(b, g);
  if (!g) return;
  add_str(b, g, "covariance_type", in->covariance_type);
  add_num(b, g, "reg_covar", in->reg_covar);
  add_num(b, g, "log_likelihood", in->log_likelihood);
  add_num(b, g, "bic", in->bic);
  add_num(b, g, "aic", in->aic);
  add_doubles(b, g, "weights", in->weights, k);
  add_doubles(b, g, "covariances", in->covariances, nc);
}

/* Ward's dendrogram as the "dendrogram" member (absent for other methods):
 * its top levels, the last 2k merges (scipy's linkage rows: clusters below
 * the number of rows are rows, merge j made cluster rows + j). */
static void add_dendrogram(jbuild *b, cJSON *o, const strata_model_info *in) {
  if (!in->merges) return;
  cJSON *x = cJSON_AddObjectToObject(o, "dendrogram");
  check(b, x);
  if (!x) return;
  add_i64(b, x, "merges", in->n_merges);
  /* Two-step: the leaves are micro-clusters (their sizes in "micro_sizes"). */
  add_str(b, x, "mode", in->micro_centroids ? "twostep" : "exact");
  if (in->micro_centroids) {
    add_i64(b, x, "micro_clusters", in->n_micro);
    cJSON *ms = add_array(b, x, "micro_sizes");
    for (int i = 0; ms && i < in->n_micro; i++) push(b, ms, raw_i64(in->micro_sizes[i]));
  }
  if (in->distance_threshold > 0) add_num(b, x, "distance_threshold", in->distance_threshold);
  else check(b, cJSON_AddNullToObject(x, "distance_threshold"));
  cJSON *top = add_array(b, x, "top");
  int n = in->n_merges, first = n - 2 * in->k > 0 ? n - 2 * in->k : 0;
  for (int j = first; top && j < n; j++) {
    const double *z = in->merges + 4 * (size_t)j;
    cJSON *e = cJSON_CreateObject();
    if (e) {
      add_i64(b, e, "cluster", (int64_t)n + 1 + j);
      add_i64(b, e, "left", (int64_t)z[0]);
      add_i64(b, e, "right", (int64_t)z[1]);
      add_num(b, e, "height", z[2]);
      add_i64(b, e, "size", (int64_t)z[3]);
    }
    push(b, top, e);
  }
}

/* DBSCAN's parameters and counts as the "dbscan" member (absent for other
 * methods); noise rows are those of the fit in no segment. */
/* The transforms before scaling, null when the model has none. */
static void add_transforms(jbuild *b, cJSON *o, const strata_model_info *in) {
  if (!in->transform_kind) {
    check(b, cJSON_AddNullToObject(o, "transforms"));
    return;
  }
  cJSON *a = add_array(b, o, "transforms");
  for (int j = 0; a && j < in->d; j++) {
    int kind = in->transform_kind[j];
    if (kind == STRATA_TRANSFORM_NONE) continue;
    const double *q = in->transform_param + 3 * (size_t)j;
    cJSON *t = cJSON_CreateObject();
    if (t) {
      add_str(b, t, "feature", in->features[j]);
      add_str(b, t, "transform", cli_transform_names[kind]);
      if (kind == STRATA_TRANSFORM_YEO_JOHNSON) add_num(b, t, "lambda", q[0]);
      if (kind == STRATA_TRANSFORM_AGE_DAYS) add_num(b, t, "reference_day", q[1]);
      if (kind == STRATA_TRANSFORM_CLIP) {
        add_num(b, t, "lower", q[1]);
        add_num(b, t, "upper", q[2]);
      }
    }
    push(b, a, t);
  }
}

static void add_dbscan(jbuild *b, cJSON *o, const strata_model_info *in) {
  if (!in->core_points) return;
  cJSON *x = cJSON_AddObjectToObject(o, "dbscan");
  check(b, x);
  if (!x) return;
  int64_t clustered = 0;
  for (int c = 0; c < in->k; c++) clustered += in->sizes[c];
  add_num(b, x, "eps", in->eps);
  add_i64(b, x, "min_samples", in->min_samples);
  add_i64(b, x, "core_points", in->n_core);
  add_i64(b, x, "noise", (int64_t)in->rows - clustered);
  /* eps auto: the k-distance curve it was read from (k = min_samples). */
  if (in->kdist) {
    cJSON *a = cJSON_AddObjectToObject(x, "eps_auto");
    check(b, a);
    if (!a) return;
    add_str(b, a, "method", "knee of the sorted k-distance curve (largest distance below the chord)");
    add_u64(b, a, "sample", in->kdist_sample);
    add_doubles(b, a, "curve", in->kdist, (size_t)in->n_kdist);
  }
}

int cli_json_fit(FILE *f, const strata_model_info *in, const char *model_path, const char *labels_path,
                 uint64_t peak_rss_bytes, int parent_k, const strata_drift *drift, int ranks, int threads,
                 double min_segment_share, const strata_feature_choice *choice, const char *const *categorical) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  size_t k = (size_t)in->k, d = (size_t)in->d;
  add_i64(&b, o, "k", in->k);
  /* Added for other methods only, so that a k-means result keeps its keys. */
  if (strcmp(in->estimator, "kmeans") != 0) add_str(&b, o, "algorithm", in->estimator);
  if (in->batch_rows) {
    add_str(&b, o, "algorithm", "minibatch");
    add_u64(&b, o, "batch_rows", in->batch_rows);
  }
  add_u64(&b, o, "n", in->rows);
  add_i64(&b, o, "d", in->d);
  /* Weighted fits only: inertia is then the weighted sum. */
  if (in->weight_column) add_str(&b, o, "weight_column", in->weight_column);
  add_strings(&b, o, "features", in->features, d);
  /* One-hot features are "name=category"; their centroid values are shares. */
  add_strings(&b, o, "categorical", in->categorical, (size_t)in->n_categorical);
  add_num(&b, o, "categorical_weight", in->categorical_weight);
  add_i64(&b, o, "iterations", in->iterations);
  add_bool(&b, o, "converged", in->converged);
  add_num(&b, o, "inertia", in->inertia);
  add_str(&b, o, "backend", in->backend);
  if (in->backend_reason) add_str(&b, o, "backend_reason", in->backend_reason);
  add_str(&b, o, "mode", in->mode);
  add_i64(&b, o, "ranks", ranks);
  add_i64(&b, o, "threads", threads);
  /* Only a fit taken up from a checkpoint: where it took up (after that
   * iteration of that restart, 0-based); other fits keep their keys. */
  if (in->resumed_iteration > 0) {
    add_i64(&b, o, "resumed_from_run", in->resumed_run);
    add_i64(&b, o, "resumed_from_iteration", in->resumed_iteration);
  }
  add_num(&b, o, "seconds", in->seconds);
  add_num(&b, o, "seconds_per_iteration", cli_seconds_per_iteration(in));
  add_matrix(&b, o, "centroids", in->centroids_original, k, d);
  add_matrix(&b, o, "centroids_scaled", in->centroids, k, d);
  cJSON *sizes = add_array(&b, o, "sizes");
  cJSON *shares = add_array(&b, o, "shares");
  for (size_t c = 0; c < k; c++) {
    if (sizes) push(&b, sizes, raw_i64(in->sizes[c]));
    if (shares) push(&b, shares, number(in->rows ? (double)in->sizes[c] / (double)in->rows : 0.0));
  }
  add_str(&b, o, "scale", in->scale);
  add_doubles(&b, o, "scale_shift", in->scale_shift, d);
  add_doubles(&b, o, "scale_factor", in->scale_factor, d);
  add_str(&b, o, "missing", in->missing);
  add_u64(&b, o, "rows_dropped", in->rows_dropped);
  add_doubles(&b, o, "impute", in->impute, d);
  add_str(&b, o, "init", in->init);
  add_str(&b, o, "refine", in->refine);
  add_i64(&b, o, "refine_trials", in->refine_trials);
  add_i64(&b, o, "refine_swaps", in->refine_swaps);
  add_u64(&b, o, "seed", in->seed);
  add_i64(&b, o, "n_init", in->n_init);
  add_i64(&b, o, "best_init", in->best_init);
  add_num(&b, o, "tol", in->tol);
  add_i64(&b, o, "max_iter", in->max_iter);
  add_mixture(&b, o, in);
  cJSON *its = add_array(&b, o, "iterations_stats");
  for (int i = 0; its && i < in->n_iter_stats; i++) {
    const strata_iter_stats *s = &in->iter_stats[i];
    cJSON *it = cJSON_CreateObject();
    if (it) {
      add_i64(&b, it, "iteration", i + 1);
      add_num(&b, it, "inertia", s->inertia);
      add_num(&b, it, "shift", s->shift);
      add_i64(&b, it, "relocations", s->relocations);
      add_num(&b, it, "seconds", s->seconds);
      add_num(&b, it, "rows_per_second", s->rows_per_second);
    }
    push(&b, its, it);
  }
  add_u64(&b, o, "peak_rss_bytes", peak_rss_bytes);
  add_str(&b, o, "version", in->version && *in->version ? in->version : strata_version());
  add_str(&b, o, "created", in->created);
  add_str(&b, o, "input", in->input_file);
  add_str(&b, o, "dataset", in->input_location);
  add_str(&b, o, "model", model_path);
  add_str(&b, o, "labels", labels_path);
  add_lineage(&b, o, in, parent_k);
  add_drift(&b, o, drift);
  add_dendrogram(&b, o, in);
  add_dbscan(&b, o, in);
  add_transforms(&b, o, in);
  check(&b, cJSON_AddItemToObject(o, "left_out", cli_json_left_out(choice, categorical)) ? o : NULL);
  add_num(&b, o, "min_segment_share", min_segment_share);
  cJSON *small = add_array(&b, o, "small_segments");
  for (int c = 0; small && c < in->k; c++) {
    if (!cli_small_segment(in, c, min_segment_share)) continue;
    cJSON *s = cJSON_CreateObject();
    if (s) {
      add_i64(&b, s, "segment", c);
      add_i64(&b, s, "size", in->sizes[c]);
      add_num(&b, s, "share", (double)in->sizes[c] / (double)in->rows);
    }
    push(&b, small, s);
  }
  return finish(&b, f);
}

int cli_json_assign(FILE *f, const strata_model_info *in, const char *model_path, uint64_t rows,
                    double inertia, const int64_t *sizes, double seconds, const char *labels_path,
                    const strata_drift *drift, const cli_fingerprint *fp, int ranks, int threads) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  add_fingerprint(&b, o, fp);
  add_u64(&b, o, "n", rows);
  add_i64(&b, o, "k", in->k);
  add_i64(&b, o, "d", in->d);
  add_strings(&b, o, "features", in->features, (size_t)in->d);
  add_num(&b, o, "inertia", inertia);
  uint64_t assigned = 0;
  cJSON *sz = add_array(&b, o, "sizes");
  cJSON *shares = add_array(&b, o, "shares");
  for (int c = 0; c < in->k; c++) assigned += (uint64_t)sizes[c];
  for (int c = 0; c < in->k; c++) {
    if (sz) push(&b, sz, raw_i64(sizes[c]));
    if (shares) push(&b, shares, number(assigned ? (double)sizes[c] / (double)assigned : 0.0));
  }
  add_u64(&b, o, "rows_dropped", rows > assigned ? rows - assigned : 0);
  add_i64(&b, o, "ranks", ranks);
  add_i64(&b, o, "threads", threads);
  add_num(&b, o, "seconds", seconds);
  add_str(&b, o, "model", model_path);
  add_str(&b, o, "labels", labels_path);
  add_drift(&b, o, drift);
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

int cli_json_inspect(FILE *f, const char *path, const char *location, size_t rows, const strata_inspect_column *cols,
                     size_t n) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  add_str(&b, o, "file", path);
  add_str(&b, o, "location", location);
  add_u64(&b, o, "rows", rows);
  add_u64(&b, o, "cols", n);
  cJSON *arr = add_array(&b, o, "columns");
  for (size_t j = 0; arr && j < n; j++) {
    const strata_inspect_column *col = &cols[j];
    const strata_column_stats *s = &col->stats;
    cJSON *c = cJSON_CreateObject();
    if (c) {
      int any = !col->categorical && s->count > 0;
      add_str(&b, c, "name", col->name);
      add_str(&b, c, "type", col->storage);
      add_str(&b, c, "strata_type", col->stype);
      add_str(&b, c, "kind", col->categorical ? "categorical" : "numeric");
      add_str(&b, c, "role", col->is_id ? "id" : NULL);
      add_u64(&b, c, "count", s->count);
      add_u64(&b, c, "missing", s->missing);
      add_u64(&b, c, "infinite", col->categorical ? 0 : s->infinite);
      add_num(&b, c, "min", any ? s->min : NAN);
      add_num(&b, c, "max", any ? s->max : NAN);
      add_num(&b, c, "mean", any ? s->mean : NAN);
      add_num(&b, c, "std", any && s->var >= 0.0 ? sqrt(s->var) : NAN);
      if (col->categorical) add_u64(&b, c, "categories", col->categories);
      else check(&b, cJSON_AddNullToObject(c, "categories"));
    }
    push(&b, arr, c);
  }
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

int cli_json_import(FILE *f, const strata_csv_import_params *p, const strata_csv_import_result *r,
                    uint64_t peak_rss_bytes) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  const strata_csv_import_result *t = r;
  double s = r->seconds > 0 ? r->seconds : 1e-9;
  char delim[2] = {t->delimiter, '\0'};
  add_str(&b, o, "input", p->input);
  add_str(&b, o, "output", p->output);
  add_str(&b, o, "group", p->group ? p->group : "/");
  add_u64(&b, o, "rows", t->rows);
  add_u64(&b, o, "cols", t->ncols);
  cJSON *cols = add_array(&b, o, "columns");
  for (size_t j = 0; cols && j < t->ncols; j++) {
    const strata_csv_import_column *c = &t->columns[j];
    cJSON *col = cJSON_CreateObject();
    if (col) {
      add_str(&b, col, "name", c->name);
      add_str(&b, col, "type", c->type);
      add_str(&b, col, "storage", c->storage);
      add_u64(&b, col, "count", c->count);
      add_u64(&b, col, "missing", c->missing);
      if (strcmp(c->type, "categorical") == 0) add_u64(&b, col, "categories", c->categories);
      else check(&b, cJSON_AddNullToObject(col, "categories"));
      add_str(&b, col, "role", c->is_id ? "id" : NULL);
      /* Only where there is something to say, so that the JSON of a clean
       * table is as it was. */
      if (c->bad_cells) add_u64(&b, col, "bad_cells", c->bad_cells);
      if (c->note) add_str(&b, col, "note", c->note);
    }
    push(&b, cols, col);
  }
  add_u64(&b, o, "skipped_rows", t->skipped);
  cJSON *sk = add_array(&b, o, "skipped");
  for (size_t k = 0; sk && k < t->nlisted; k++) {
    cJSON *e = cJSON_CreateObject();
    if (e) {
      add_u64(&b, e, "line", t->listed[k].line);
      add_u64(&b, e, "column", t->listed[k].column);
      add_str(&b, e, "reason", t->listed[k].reason);
    }
    push(&b, sk, e);
  }
  add_str(&b, o, "delimiter", delim);
  add_str(&b, o, "encoding", p->latin1 ? "latin-1" : "utf-8");
  add_u64(&b, o, "bytes", t->bytes);
  add_u64(&b, o, "lines", t->lines);
  add_num(&b, o, "seconds", r->seconds);
  add_num(&b, o, "rows_per_second", (double)t->rows / s);
  add_num(&b, o, "mb_per_second", (double)t->bytes / 1e6 / s);
  add_u64(&b, o, "peak_rss_bytes", peak_rss_bytes);
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

int cli_json_export(FILE *f, const strata_csv_export_params *p, const strata_csv_export_result *r) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  add_str(&b, o, "labels", p->labels);
  add_str(&b, o, "data", p->data);
  add_str(&b, o, "output", p->output);
  add_u64(&b, o, "rows", r->rows);
  add_u64(&b, o, "cols", r->cols + 2);
  add_u64(&b, o, "bytes", r->bytes);
  add_num(&b, o, "seconds", r->seconds);
  add_num(&b, o, "rows_per_second", r->seconds > 0 ? (double)r->rows / r->seconds : 0.0);
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

int cli_left_out_is_categorical(const strata_feature_choice *c, size_t i, const char *const *categorical) {
  for (size_t g = 0; categorical && categorical[g]; g++)
    if (strcmp(categorical[g], c->left_out[i]) == 0) return 1;
  return 0;
}

cJSON *cli_json_left_out(const strata_feature_choice *c, const char *const *categorical) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a && c && i < c->n_left_out; i++) {
    if (cli_left_out_is_categorical(c, i, categorical)) continue;
    cJSON *x = cJSON_CreateObject();
    if (!x || !cJSON_AddStringToObject(x, "feature", c->left_out[i]) ||
        !cJSON_AddStringToObject(x, "reason", c->reasons[i]) || !cJSON_AddItemToArray(a, x)) {
      cJSON_Delete(x);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

int cli_json_stability(FILE *f, const strata_stability_result *r, const char *data_path,
                       const cli_fingerprint *fp, const strata_feature_choice *choice,
                       const char *const *categorical, int ranks, int threads) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  add_str(&b, o, "command", "stability");
  add_fingerprint(&b, o, fp);
  add_str(&b, o, "data", data_path);
  check(&b, cJSON_AddItemToObject(o, "left_out", cli_json_left_out(choice, categorical)) ? o : NULL);
  /* k-means' object keeps the keys it always had. */
  if (strcmp(r->algorithm, "kmeans") != 0) add_str(&b, o, "algorithm", r->algorithm);
  add_i64(&b, o, "k", r->k);
  add_i64(&b, o, "runs", r->runs);
  add_str(&b, o, "method", r->method);
  add_num(&b, o, "fraction", r->fraction);
  add_u64(&b, o, "rows", r->rows);
  add_u64(&b, o, "sample_rows", r->sample_rows);
  add_u64(&b, o, "seed", r->seed);
  add_i64(&b, o, "ranks", ranks);
  add_i64(&b, o, "threads", threads);
  cJSON *ari = cJSON_AddObjectToObject(o, "ari");
  check(&b, ari);
  if (ari) {
    add_num(&b, ari, "mean", r->ari_mean);
    add_num(&b, ari, "std", r->ari_std);
    add_num(&b, ari, "min", r->ari_min);
    add_num(&b, ari, "max", r->ari_max);
    add_u64(&b, ari, "pairs", r->ari_pairs);
  }
  cJSON *segs = add_array(&b, o, "segments");
  for (int s = 0; segs && s < r->k; s++) {
    const strata_stability_segment *g = &r->segments[s];
    cJSON *so = cJSON_CreateObject();
    if (so) {
      add_i64(&b, so, "segment", g->segment);
      add_i64(&b, so, "size", g->size);
      add_num(&b, so, "jaccard_mean", g->jaccard_mean);
      add_num(&b, so, "jaccard_std", g->jaccard_std);
      add_num(&b, so, "jaccard_min", g->jaccard_min);
      add_num(&b, so, "jaccard_max", g->jaccard_max);
      add_i64(&b, so, "dissolved", g->dissolved);
      add_str(&b, so, "verdict", g->verdict);
    }
    push(&b, segs, so);
  }
  cJSON *th = cJSON_AddObjectToObject(o, "thresholds");
  check(&b, th);
  if (th) {
    add_num(&b, th, "stable", r->stable);
    add_num(&b, th, "unstable", r->unstable);
    add_num(&b, th, "dissolved", r->dissolved);
  }
  add_str(&b, o, "verdict", r->verdict);
  add_num(&b, o, "seconds", r->seconds);
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

/* ---- strata profile ---- */

static void attach(jbuild *b, cJSON *o, const char *key, cJSON *item) {
  if (!item || !cJSON_AddItemToObject(o, key, item)) {
    cJSON_Delete(item);
    b->ok = 0;
  }
}

static cJSON *profile_features(jbuild *b, const strata_profile *p, const strata_feature_profile *x,
                               int with_z) {
  cJSON *a = cJSON_CreateArray();
  check(b, a);
  for (int j = 0; a && j < p->d; j++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) { b->ok = 0; break; }
    add_str(b, o, "feature", p->features[j]);
    add_u64(b, o, "count", x[j].count);
    add_num(b, o, "mean", x[j].mean);
    add_num(b, o, "std", x[j].std);
    add_num(b, o, "min", x[j].min);
    add_num(b, o, "max", x[j].max);
    add_num(b, o, "median", x[j].median);
    if (with_z) add_num(b, o, "z", x[j].z);
    push(b, a, o);
  }
  return a;
}

/* {column: {category: share}}: the means of the one-hot columns. */
static cJSON *profile_categories(jbuild *b, const strata_profile *p, const strata_feature_profile *x) {
  cJSON *o = cJSON_CreateObject();
  check(b, o);
  for (int g = 0; o && g < p->n_categorical; g++) {
    cJSON *col = cJSON_AddObjectToObject(o, p->categorical[g]);
    check(b, col);
    for (int j = 0; col && j < p->d; j++) {
      if (p->feature_group[j] != g) continue;
      const char *eq = strchr(p->features[j], '=');
      add_num(b, col, eq ? eq + 1 : p->features[j], x[j].count ? x[j].mean : NAN);
    }
  }
  return o;
}

int cli_json_profile(FILE *f, const strata_profile *p, const char *model_path, const char *data_path,
                     const char *const *names, int ranks, int threads) {
  jbuild b = begin();
  cJSON *r = b.root;
  if (!r) return -1;
  add_str(&b, r, "model", model_path);
  add_str(&b, r, "data", data_path);
  add_str(&b, r, "labels", p->labels);
  check(&b, cJSON_AddNumberToObject(r, "k", p->k));
  check(&b, cJSON_AddNumberToObject(r, "d", p->d));
  add_u64(&b, r, "rows", p->rows);
  add_u64(&b, r, "rows_dropped", p->rows_dropped);
  add_bool(&b, r, "medians_exact", p->medians_exact);
  add_num(&b, r, "median_rank_error", p->median_rank_error);
  add_i64(&b, r, "ranks", ranks);
  add_i64(&b, r, "threads", threads);
  add_strings(&b, r, "features", p->features, (size_t)p->d);
  if (p->weight) {
    add_str(&b, r, "weight_column", p->weight_column);
    add_num(&b, r, "weight_total", p->weight_total);
  }
  attach(&b, r, "population", profile_features(&b, p, p->population, 0));
  attach(&b, r, "categories", profile_categories(&b, p, p->population));
  cJSON *segs = add_array(&b, r, "segments");
  for (int c = 0; segs && c < p->k; c++) {
    const strata_segment_profile *s = &p->segments[c];
    cJSON *o = cJSON_CreateObject();
    if (!o) { b.ok = 0; break; }
    check(&b, cJSON_AddNumberToObject(o, "segment", c));
    add_i64(&b, o, "size", s->size);
    add_num(&b, o, "share", s->share);
    if (p->weight) {
      add_num(&b, o, "weight", p->weight[c]);
      add_num(&b, o, "weight_share", p->weight_total > 0.0 ? p->weight[c] / p->weight_total : 0.0);
    }
    if (names) add_str(&b, o, "name", names[c]);
    add_str(&b, o, "description", s->description);
    cJSON *top = add_array(&b, o, "top");
    for (int i = 0; top && i < s->ntop; i++) {
      cJSON *t = cJSON_CreateObject();
      if (!t) { b.ok = 0; break; }
      add_str(&b, t, "feature", p->features[s->top[i]]);
      add_num(&b, t, "z", s->features[s->top[i]].z);
      push(&b, top, t);
    }
    attach(&b, o, "features", profile_features(&b, p, s->features, 1));
    attach(&b, o, "categories", profile_categories(&b, p, s->features));
    push(&b, segs, o);
  }
  return finish(&b, f);
}

int cli_json_rfm(FILE *f, const strata_rfm_params *p, const strata_rfm_result *r) {
  jbuild b = begin();
  if (!b.ok) return -1;
  cJSON *o = b.root;
  char delim[2] = {r->delimiter, '\0'};
  add_str(&b, o, "input", p->input);
  add_str(&b, o, "output", p->output);
  add_u64(&b, o, "rows", r->rows);
  add_u64(&b, o, "customers", r->customers);
  add_u64(&b, o, "skipped_no_customer", r->no_customer);
  add_u64(&b, o, "cancelled_rows", r->cancelled_rows);
  add_str(&b, o, "returns", p->returns_subtract ? "subtract" : "exclude");
  add_u64(&b, o, "customers_without_purchase", r->without_purchase);
  add_u64(&b, o, "customer_invoice_pairs", r->pairs);
  add_str(&b, o, "reference_date", r->reference_date);
  add_str(&b, o, "key_type", r->text_key ? "categorical" : "int");
  add_u64(&b, o, "spilled_runs", r->runs);
  add_str(&b, o, "delimiter", delim);
  add_num(&b, o, "seconds", r->seconds);
  add_str(&b, o, "version", strata_version());
  return finish(&b, f);
}

int cli_json_explain(FILE *f, const strata_explanation *e, const char *model_path, const char *data_path,
                     int depth, const char *const *names) {
  jbuild b = begin();
  cJSON *r = b.root;
  if (!r) return -1;
  char text[2048];
  add_str(&b, r, "model", model_path);
  add_str(&b, r, "data", data_path);
  add_str(&b, r, "labels", e->labels);
  check(&b, cJSON_AddNumberToObject(r, "k", e->k));
  check(&b, cJSON_AddNumberToObject(r, "d", e->d));
  check(&b, cJSON_AddNumberToObject(r, "depth", depth));
  check(&b, cJSON_AddNumberToObject(r, "depth_grown", e->depth));
  add_u64(&b, r, "rows", e->rows);
  add_u64(&b, r, "rows_skipped", e->rows_skipped);
  add_num(&b, r, "fidelity", e->fidelity);
  add_strings(&b, r, "features", e->features, (size_t)e->d);
  cJSON *segs = add_array(&b, r, "segments");
  for (int c = 0; segs && c < e->k; c++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) { b.ok = 0; break; }
    check(&b, cJSON_AddNumberToObject(o, "segment", c));
    add_str(&b, o, "name", names ? names[c] : NULL);
    add_u64(&b, o, "rows", e->segment_rows[c]);
    add_num(&b, o, "fidelity", e->segment_fidelity[c]);
    cJSON *rules = add_array(&b, o, "rules");
    for (int i = 0; rules && i < e->nrules; i++)
      if (e->rules[i].segment == c) push(&b, rules, cJSON_CreateString(cli_explain_rule_text(e, &e->rules[i], 0, text, sizeof text)));
    push(&b, segs, o);
  }
  cJSON *rules = add_array(&b, r, "rules");
  for (int i = 0; rules && i < e->nrules; i++) {
    const strata_explain_rule *u = &e->rules[i];
    cJSON *o = cJSON_CreateObject();
    if (!o) { b.ok = 0; break; }
    check(&b, cJSON_AddNumberToObject(o, "segment", u->segment));
    add_str(&b, o, "text", cli_explain_rule_text(e, u, 0, text, sizeof text));
    add_u64(&b, o, "rows", u->rows);
    add_u64(&b, o, "correct", u->correct);
    cJSON *conds = add_array(&b, o, "conditions");
    for (int t = 0; conds && t < u->nterms; t++) {
      cJSON *c = cJSON_CreateObject();
      if (!c) { b.ok = 0; break; }
      add_str(&b, c, "feature", e->features[u->terms[t].feature]);
      add_num(&b, c, "above", u->terms[t].lo);
      add_num(&b, c, "at_most", u->terms[t].hi);
      push(&b, conds, c);
    }
    push(&b, rules, o);
  }
  cJSON *tree = add_array(&b, r, "tree");
  for (int i = 0; tree && i < e->nnodes; i++) {
    const strata_explain_node *n = &e->nodes[i];
    cJSON *o = cJSON_CreateObject();
    if (!o) { b.ok = 0; break; }
    add_str(&b, o, "feature", n->feature >= 0 ? e->features[n->feature] : NULL);
    add_num(&b, o, "threshold", n->feature >= 0 ? n->threshold : NAN);
    add_num(&b, o, "left", n->left >= 0 ? n->left : NAN);
    add_num(&b, o, "right", n->right >= 0 ? n->right : NAN);
    add_num(&b, o, "rule", n->rule >= 0 ? n->rule : NAN);
    check(&b, cJSON_AddNumberToObject(o, "segment", n->segment));
    add_u64(&b, o, "rows", n->rows);
    push(&b, tree, o);
  }
  add_str(&b, r, "version", strata_version());
  return finish(&b, f);
}
