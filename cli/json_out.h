/* Machine-readable results: one JSON object per command on stdout (cJSON
 * does all quoting and escaping).  Integers are written exactly, as JSON
 * integer literals, even beyond 2^53; non-finite numbers become null. */
#ifndef STRATA_CLI_JSON_OUT_H
#define STRATA_CLI_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "csv_export.h"
#include "fingerprint.h"
#include "strata.h"
#include "print_summary.h"
#include "strata.h"

/* The fit result: k, n, d, features, iterations, converged, inertia,
 * backend, mode, ranks (MPI processes, 1 without), threads (per rank),
 * seconds, seconds_per_iteration, centroids (original
 * units), centroids_scaled, sizes, shares, scale (+ scale_shift,
 * scale_factor), missing (+ rows_dropped, impute), init, seed, n_init,
 * best_init, tol, max_iter, iterations_stats, peak_rss_bytes, version,
 * model, labels (null when none), lineage (null without a parent: parent,
 * parent_created, warm_start, segments {segment, parent_segment (null for a
 * new one), distance, status "continues"|"new"}, vanished: the parent's
 * segments nothing continues; parent_k is the parent's k) and drift (null
 * when none; see cli_json_assign).  Returns 0, or -1 when it could not be
 * built or written. */
int cli_json_fit(FILE *f, const strata_model_info *info, const char *model_path, const char *labels_path,
                 uint64_t peak_rss_bytes, int parent_k, const strata_drift *drift, int ranks, int threads,
                 double min_segment_share, const strata_feature_choice *choice, const char *const *categorical);

/* The columns the feature choice left out, as fit, sweep and stability
 * report them: [{"feature", "reason"}] (empty without a choice), leaving
 * out the text columns named in categorical (NULL-terminated, may be NULL),
 * which were used after all. */
struct cJSON;
struct cJSON *cli_json_left_out(const strata_feature_choice *choice, const char *const *categorical);
/* 1 when left-out column i of choice is one of those categorical ones. */
int cli_left_out_is_categorical(const strata_feature_choice *choice, size_t i, const char *const *categorical);
/* Also in the fit result: left_out (cli_json_left_out), transforms (null
 * without: per transformed feature {feature, transform, lambda | lower,
 * upper | reference_day}) and
 * min_segment_share with small_segments [{segment, size, share}], the
 * segments below it (cli_small_segment). */

/* The assign result: n, k, d, features, inertia, sizes, shares,
 * rows_dropped (rows without a segment), ranks (MPI processes), threads
 * (per rank), seconds, model, labels, version,
 * and drift (null when not measured): reference, segments {segment (null
 * for a vanished reference segment), reference_segment (null for a new
 * one), status, share_train, share_now, share_change, mean_distance_train,
 * mean_distance_now, distance_change, flag}, features {feature, mean_train,
 * mean_now, std_train, shift, flag}, thresholds {share, distance, shift},
 * warnings (lines), flagged.  sizes: k counts.  fingerprint: the data's
 * (cli/fingerprint.h; omitted when fp is NULL), as in the stability and
 * sweep results. */
int cli_json_assign(FILE *f, const strata_model_info *info, const char *model_path, uint64_t rows,
                    double inertia, const int64_t *sizes, double seconds, const char *labels_path,
                    const strata_drift *drift, const cli_fingerprint *fp, int ranks, int threads);

/* The inspect result: file, location, rows, cols, columns (one object
 * each: name, type (the storage type), strata_type (null for a plain
 * column), kind ("numeric" or "categorical"), role ("id" or null), count,
 * missing, infinite, min, max, mean, std (null for categorical columns),
 * categories (null for numeric columns)). */
int cli_json_inspect(FILE *f, const char *path, const char *location, size_t rows, const strata_inspect_column *cols,
                     size_t n);

/* The import result: input, output, group, rows, cols, columns (name,
 * type, storage, count, missing, categories, role), skipped_rows, skipped
 * (the first bad rows: line, column, reason), delimiter, encoding, bytes,
 * lines, seconds, rows_per_second, mb_per_second, peak_rss_bytes, version. */
int cli_json_import(FILE *f, const strata_csv_import_params *p, const strata_csv_import_result *r,
                    uint64_t peak_rss_bytes);

/* The export result: labels, data, output, rows, cols (data columns plus
 * segment and distance), bytes, seconds, rows_per_second, version. */
int cli_json_export(FILE *f, const strata_csv_export_params *p, const strata_csv_export_result *r);

/* The stability result (strata stability): command, data, k, runs,
 * method, fraction, rows, sample_rows, seed, ari {mean, std, min, max,
 * pairs}, segments (segment, size, jaccard_mean, jaccard_std, jaccard_min,
 * jaccard_max, dissolved, verdict), thresholds {stable, unstable,
 * dissolved}, verdict, seconds, version. */
int cli_json_stability(FILE *f, const strata_stability_result *r, const char *data_path,
                       const cli_fingerprint *fp, const strata_feature_choice *choice,
                       const char *const *categorical, int ranks, int threads);
/* The profile result (strata profile --json): model, data, labels (null
 * when assigned on the fly), k, d, rows, rows_dropped, medians_exact,
 * median_rank_error, ranks, threads, features, population (per feature: feature, count,
 * mean, std, min, max, median), categories (per categorical column its
 * population shares), and segments: segment, size, share, description, top
 * ({feature, z}, largest |z| first), features (as population, plus z) and
 * categories ({column: {category: share}}); with names (k, profile --names)
 * each segment's "name" too. */
int cli_json_profile(FILE *f, const strata_profile *p, const char *model_path, const char *data_path,
                     const char *const *names, int ranks, int threads);

/* The explain result (strata explain --json): model, data, labels (null
 * when assigned with the model), k, d, depth (asked), depth_grown, rows,
 * rows_skipped, fidelity (overall), features, segments (segment, name (null
 * without names), rows, fidelity: the share of its rows the rules place in
 * it, null without rows; rules: their texts), rules (segment, text, rows,
 * correct, conditions {feature, above, at_most}: above < x <= at_most, null
 * for an open side), tree (breadth-first nodes: feature and threshold (null
 * at a leaf), left, right, rule (null when inner), segment, rows), version. */
int cli_json_explain(FILE *f, const strata_explanation *e, const char *model_path, const char *data_path,
                     int depth, const char *const *names);

/* `strata rfm --json`: the counts of strata_rfm_result. */
int cli_json_rfm(FILE *f, const strata_rfm_params *p, const strata_rfm_result *r);

#endif
