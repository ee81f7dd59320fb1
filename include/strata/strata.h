/*
 * strata.h — the public API of Strata, a batch engine for customer segmentation.
 *
 * Conventions
 *  - Every function that can fail returns a strata_status; STRATA_OK is 0.
 *    On failure strata_last_error() returns a one-line detail for the calling
 *    thread ("column 'income' not found in /customers"), valid until the next
 *    failing call on that thread.
 *  - Handles are opaque.  Each `_open`/`_create`/`_load` has a `_free` that
 *    accepts NULL.  Objects returned through OUT pointers are owned by the
 *    caller.  `const char *` results returned by accessors are owned by the
 *    object they came from and live as long as it does.
 *  - Pointer arguments are marked IN (read only), OUT (written) or INOUT.
 *  - Parameters structs are filled with their `_init` function first, then
 *    changed field by field, so that new fields get sensible defaults.
 *  - A parameters struct that callers allocate (strata_fit_params,
 *    strata_sweep_params, strata_stability_params, strata_pca_params,
 *    strata_csv_export_params, strata_explain_params) starts
 *    with `size`, which `_init` sets to the struct's size in the caller's
 *    header.  Fields are only ever appended, so the size names the layout a
 *    caller was compiled with, and the library checks it on entry: a size
 *    it does not know (a struct never passed through `_init`, or a header
 *    newer than the library) fails with STRATA_ERR_USAGE instead of reading
 *    past the caller's struct; when a struct grows, the library keeps
 *    accepting the older sizes and gives the missing fields their defaults.
 *    A size field rather than opaque objects with setters: callers keep
 *    plain structs on the stack, the `_init` style and designated fields
 *    stay as they are, and embedded structs (strata_sweep_params.fit) keep
 *    working, each checked by its own size.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions libstrata.so exports.  The library is compiled with
 * -fvisibility=hidden, so everything else (the internal strata_* helpers,
 * the CSV engine, the OpenCL host code) stays inside it; a test
 * (tests/exports.sh) fails if an exported symbol is not declared here. */
#if defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status */

/* X(name, exit code for a command-line tool, message) */
#define STRATA_STATUS_TABLE(X)                                                  \
  X(OK,             0, "success")                                               \
  X(ERR_USAGE,      2, "invalid argument")                                      \
  X(ERR_NOT_FOUND,  2, "file not found or not readable")                        \
  X(ERR_FORMAT,     2, "not a valid HDF5 file or unexpected layout")            \
  X(ERR_COLUMN,     2, "column not found or not numeric")                       \
  X(ERR_DATA,       2, "invalid data")                                          \
  X(ERR_WRITE,      1, "cannot write output")                                   \
  X(ERR_IO,         1, "read error")                                            \
  X(ERR_NOMEM,      1, "out of memory")                                         \
  X(ERR_BACKEND,    1, "compute backend failure")                               \
  X(ERR_INTERNAL,   1, "internal error")                                      \
  X(ERR_CANCELLED,  1, "cancelled")                                           \
  X(STOPPED,       75, "stopped after saving a checkpoint")

typedef enum {
#define STRATA_X_ENUM(name, exit_code, msg) STRATA_##name,
  STRATA_STATUS_TABLE(STRATA_X_ENUM)
#undef STRATA_X_ENUM
  STRATA_STATUS_COUNT
} strata_status;

/* "STRATA_ERR_COLUMN" etc.; never NULL. */
STRATA_API const char *strata_status_name(strata_status st);
/* A short generic message for the code; never NULL. */
STRATA_API const char *strata_status_message(strata_status st);
/* Exit code a command-line tool should use: 0 ok, 2 bad input, 1 runtime,
 * 75 (sysexits' EX_TEMPFAIL: run again to go on) for STRATA_STOPPED, a fit
 * that saved its checkpoint on request and stopped (strata_fit_params
 * checkpoint_path, strata_ctx_request_checkpoint). */
STRATA_API int strata_status_exit_code(strata_status st);
/* Detail of the last failure on this thread ("" when none); never NULL. */
STRATA_API const char *strata_last_error(void);

STRATA_API const char *strata_version(void);

/* ---------------------------------------------------------------- context */

typedef enum { STRATA_LOG_ERROR, STRATA_LOG_WARN, STRATA_LOG_INFO, STRATA_LOG_DEBUG } strata_log_level;
/* Receives warnings ("column 'x' is constant; kept unscaled") and progress.
 * `user` is passed back untouched. */
typedef void (*strata_log_fn)(strata_log_level level, const char *msg, void *user);

/* What a call needs from its caller besides data and parameters: how many
 * threads, where messages go, a cancellation flag, which backend, and the
 * communicator of a multi-process run.  Every entry point that reads data
 * takes one as its first argument; NULL means the defaults (all threads,
 * warnings to stderr, backend "auto", one process, never cancelled).  The
 * library keeps no other mutable state between calls, so jobs with their
 * own contexts run side by side in one process.  Several calls may share
 * a ctx as long as no setter runs meanwhile (strata_ctx_cancel excepted). */
typedef struct strata_ctx strata_ctx;
/* A communicator for multi-process runs; the MPI layer defines it. */
typedef struct strata_comm strata_comm;

/* A fresh context with the defaults; NULL when out of memory. */
STRATA_API strata_ctx *strata_ctx_new(void);
STRATA_API void strata_ctx_free(strata_ctx *ctx);
/* threads: 0 = all available; < 0 is STRATA_ERR_USAGE. */
STRATA_API strata_status strata_ctx_set_threads(strata_ctx *ctx, int threads);
STRATA_API int strata_ctx_threads(const strata_ctx *ctx);
/* fn NULL = stderr; messages above max_level are dropped (default WARN). */
STRATA_API void strata_ctx_set_log(strata_ctx *ctx, strata_log_fn fn, void *user, strata_log_level max_level);
/* "auto" (the default), a CPU table ("ref", "avx2", ...) or an OpenCL
 * device ("opencl:0"); checked by the call that uses it (`strata devices`
 * lists them).  NULL = "auto". */
STRATA_API strata_status strata_ctx_set_backend(strata_ctx *ctx, const char *name);
STRATA_API const char *strata_ctx_backend(const strata_ctx *ctx);
/* The slot for a communicator (borrowed); NULL = one process. */
STRATA_API void strata_ctx_set_comm(strata_ctx *ctx, const strata_comm *comm);
STRATA_API const strata_comm *strata_ctx_comm(const strata_ctx *ctx);
/* Asks every call running with ctx to stop at its next chunk with
 * STRATA_ERR_CANCELLED (outputs are removed as on any failure).  Never
 * cleared.  Async-signal-safe: meant for a SIGINT/SIGTERM handler. */
STRATA_API void strata_ctx_cancel(strata_ctx *ctx);
STRATA_API int strata_ctx_cancelled(const strata_ctx *ctx);
/* Asks a fit running with ctx and a checkpoint_path to save its checkpoint
 * at its next iteration boundary and stop there with STRATA_STOPPED (its
 * outputs are not written).  A call without a checkpoint_path ignores it.
 * Never cleared.  Async-signal-safe: meant for SIGTERM/SIGUSR1 handlers
 * (Slurm's warning signal before the time limit). */
STRATA_API void strata_ctx_request_checkpoint(strata_ctx *ctx);
STRATA_API int strata_ctx_checkpoint_requested(const strata_ctx *ctx);

/* ---------------------------------------------------------------- dataset */

/* An opened columnar HDF5 dataset: either a group holding one 1-D dataset
 * per feature, or one 2-D n×d dataset (column names then come from its
 * "columns" attribute, else "c0".."c{d-1}").  Reading streams in chunks. */
typedef struct strata_dataset strata_dataset;

/* path      IN  HDF5 file.
 * location  IN  group or dataset inside the file; NULL picks the root group
 *               if it holds 1-D numeric columns, else the only 2-D dataset.
 * features  IN  column names to use, NULL (or nfeatures == 0) for every
 *               numeric column, in file order.
 * out       OUT the opened dataset, free with strata_dataset_free. */
STRATA_API strata_status strata_dataset_open(const char *path, const char *location,
                                             const char *const *features, size_t nfeatures,
                                             strata_dataset **out);
STRATA_API void strata_dataset_free(strata_dataset *ds);
STRATA_API size_t strata_dataset_rows(const strata_dataset *ds);
STRATA_API size_t strata_dataset_cols(const strata_dataset *ds);
STRATA_API const char *strata_dataset_col_name(const strata_dataset *ds, size_t j);
STRATA_API const char *strata_dataset_path(const strata_dataset *ds);
STRATA_API const char *strata_dataset_location(const strata_dataset *ds);

/* Adds categorical columns of the table (dictionary-encoded by `strata
 * import`), expanded one-hot after the numeric features: a column
 * "region=North" per category, 1 or 0, NaN in the whole group where the
 * category is missing (the missing-value rule then applies).
 * names IN: n categorical column names.  categories IN: NULL to expand each
 * column's own categories, or per column the list to expand into (a model's:
 * strata_assign needs the fit's columns) with ncategories[g] entries; a
 * category outside the list then expands to all zeros.  Call once, before
 * any read. */
STRATA_API strata_status strata_dataset_add_categorical(strata_dataset *ds, const char *const *names, size_t n,
                                                        const char *const *const *categories,
                                                        const size_t *ncategories);

/* Per-column summary computed by one streaming pass (float64, exact order-free
 * sums: the same bits for any thread count and chunk size). */
typedef struct {
  const char *name;     /* owned by the dataset */
  const char *type;     /* HDF5 storage type, e.g. "int32", "float64" */
  uint64_t count;       /* finite values */
  uint64_t missing;     /* NaN values */
  uint64_t infinite;    /* +-Inf values */
  double mean, var, min, max; /* over finite values; var is the population variance */
} strata_column_stats;

/* Fills stats[0..cols-1].  chunk_rows 0 = automatic.  stats OUT. */
STRATA_API strata_status strata_dataset_stats(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows,
                                              strata_column_stats *stats);

/* A fingerprint of the data a result was computed on, so that a result can
 * be checked against the data it is shown with (`strata report` refuses a
 * sweep, stability or drift result of other data): a 64-bit FNV-1a hash of
 * the row count, the selected columns' names in order and the values of 16
 * runs of 4096 rows spread evenly over the table, first and last included
 * (every row when there are fewer than 65536), NaN and -0 normalised.  It
 * reads at most 65536 rows whatever the size.  Different files or features
 * differ with near certainty; an edit confined to rows between the runs
 * goes unseen.  ds IN, hash OUT. */
STRATA_API strata_status strata_dataset_fingerprint(strata_dataset *ds, uint64_t *hash);

/* ------------------------------------------------------ feature choice */

/* Which columns of a table to cluster on, and why the others are left out.
 * Without a list of features (features NULL): every numeric column except
 * those that would mislead a segmentation, each left out with a one-line
 * reason: columns import marked as identifiers; identifier-like integer
 * columns (unique or nearly, in a dense range; or a key by name — CustomerID,
 * customer_id, InvoiceNo — with many values; or many values of a dense range
 * above 1000: a key repeated over a transaction table); boolean columns
 * (import's bool type, or only 0 and 1: an outcome or a flag); dates; columns
 * dominated by a sentinel (a value held by at least half the rows, outside the
 * range of the others: -1, 99, 999, 9999 and their negatives, or 0 in a ratio
 * column of values in [0, 1]); text columns (they need --categorical); columns
 * with no value.  The statistics come from a seeded sample of
 * STRATA_FEATURE_SAMPLE rows (all rows when fewer).  With a list: those
 * columns, and a date among them is used as its age in days (`transforms`
 * then names it "COL:age-days").  Either way exclude (may be NULL) removes
 * columns; a name in exclude that the table lacks is STRATA_ERR_USAGE. */
typedef struct {
  size_t n;                        /* chosen columns, in the table's (or the list's) order */
  const char *const *features;
  size_t n_left_out;               /* columns left out of the default set */
  const char *const *left_out;
  const char *const *reasons;      /* one line each, no trailing period */
  const int *marked;               /* n_left_out: 1 where the table itself says so (import
                                      marked the column an identifier), 0 where a rule judged */
  const char *transforms;          /* "COL:age-days,..." for chosen dates, or NULL */
} strata_feature_choice;

#define STRATA_FEATURE_SAMPLE 100000

/* ctx IN; path, location IN (as strata_dataset_open); features IN (nfeatures
 * names, or NULL); exclude IN (nexclude names, or NULL); out OUT, free with
 * strata_feature_choice_free.  STRATA_ERR_DATA when no column is left. */
STRATA_API strata_status strata_choose_features(const strata_ctx *ctx, const char *path, const char *location,
                                                const char *const *features, size_t nfeatures,
                                                const char *const *exclude, size_t nexclude,
                                                strata_feature_choice **out);
STRATA_API void strata_feature_choice_free(strata_feature_choice *c);

/* ---------------------------------------------------------------- fit */

struct strata_progress;

/* robust: centre on the median, divide by the interquartile range (scikit-learn's
 * RobustScaler; quartiles from the statistics pass's quantile sketch, exact up to
 * 4096 values, else within its rank error). */
typedef enum { STRATA_SCALE_ZSCORE, STRATA_SCALE_MINMAX, STRATA_SCALE_NONE, STRATA_SCALE_ROBUST } strata_scale;
/* A per-feature transform applied to the raw value before scaling
 * (strata_fit_params.transforms), recorded in the model and applied by
 * strata_assign, strata_profile_compute and strata_pca_fit with the model:
 * log1p (values > -1), Yeo-Johnson with lambda fitted by maximum likelihood
 * (scikit-learn's PowerTransformer(standardize=False)), clipping to two
 * percentiles of the training data. */
/* age-days: a date column (days since 1970, as import stores dates) as its
 * age in days at the latest date of the training data. */
typedef enum { STRATA_TRANSFORM_NONE, STRATA_TRANSFORM_LOG1P, STRATA_TRANSFORM_YEO_JOHNSON,
               STRATA_TRANSFORM_CLIP, STRATA_TRANSFORM_AGE_DAYS } strata_transform_kind;
/* What to do with a row holding NaN: fail naming it, leave the row out, or
 * replace NaN by the column's mean or median (from the statistics pass; the
 * median from a quantile sketch, rank error below 0.1%). */
typedef enum { STRATA_MISSING_ERROR, STRATA_MISSING_DROP, STRATA_MISSING_MEAN,
               STRATA_MISSING_MEDIAN } strata_missing;
/* KMEANS_PARALLEL: k-means|| (k-means only): rounds of passes over every
 * row rather than k-means++ on the init sample; the same centres for any
 * threads, chunk size and MPI ranks (core/kmeans_parallel.h). */
typedef enum { STRATA_INIT_KMEANSPP, STRATA_INIT_RANDOM, STRATA_INIT_GIVEN,
               STRATA_INIT_KMEANS_PARALLEL } strata_init;
/* What follows Lloyd's convergence in each restart.  SWAP: seeded trial
 * swaps on the in-memory init sample (a centroid removed, one added at a
 * k-means++ draw, judged by the exact change of the sample's inertia with
 * one update of the clusters it touches), then, if a swap was kept, Lloyd
 * on all rows to convergence, kept only when the inertia drops: never above
 * plain Lloyd's from the same init (core/kmeans_refine.c).  AUTO (the
 * default): SWAP, except from given centroids or a warm start (NONE).
 * NONE gives exactly what Lloyd alone gave before the refinement existed. */
typedef enum { STRATA_REFINE_AUTO, STRATA_REFINE_NONE, STRATA_REFINE_SWAP } strata_refine;
/* The covariance of a Gaussian mixture's components (algorithm "gmm"), as
 * scikit-learn's covariance_type: each its own full matrix, one matrix
 * shared by all, each its own diagonal, each a single variance. */
typedef enum { STRATA_COV_FULL, STRATA_COV_TIED, STRATA_COV_DIAG, STRATA_COV_SPHERICAL } strata_covariance;
/* How Ward's dendrogram is built (algorithm "ward"): strata_fit_params.ward_mode. */
typedef enum { STRATA_WARD_EXACT, STRATA_WARD_TWOSTEP, STRATA_WARD_AUTO } strata_ward_mode;

typedef struct {
  size_t size;                /* set by strata_fit_params_init (see the conventions above) */
  int k;                      /* number of segments, >= 1 */
  strata_scale scale;         /* default zscore */
  strata_missing missing;     /* default error */
  strata_init init;           /* default k-means++ */
  const double *init_centroids; /* IN, k×d row-major in ORIGINAL units when init == GIVEN;
                                   borrowed for the duration of strata_fit */
  int n_init;                 /* restarts, best inertia kept; default 1 */
  int max_iter;               /* default 300 */
  double tol;                 /* relative to mean feature variance; default 1e-4 */
  uint64_t seed;              /* default 0 */
  size_t chunk_rows;          /* 0 = automatic (follows the file's chunking) */
  size_t init_sample;         /* rows sampled for k-means++/random init; 0 = automatic */
  double categorical_weight;  /* one-hot columns of a categorical column count like this many
                                 standardised numeric columns (in variance); default 1,
                                 at most STRATA_MAX_CATEGORICAL_WEIGHT */
  const char *labels_path;    /* if not NULL, write labels (segment, distance) here */
  const char *model_path;     /* if not NULL, strata_fit also saves the model here; the
                                 model and the labels are renamed into place together
                                 at the end, so a failure leaves neither */
  uint64_t mem_limit;         /* bytes the scaled matrix may use to stay in memory
                                 between passes; 0 = half the available memory */
  int streaming;              /* 1 = never keep the data in memory between passes */
  /* Called after the statistics pass, after init, and after each Lloyd
   * iteration (on the calling thread). May be NULL. */
  void (*progress)(const struct strata_progress *p, void *user);
  void *progress_user;
  /* Refit lineage.  With a parent (a previous model over the same features,
   * borrowed for the duration of strata_fit) the new segments are numbered
   * to match the parent's by optimal assignment on centroid distance (the
   * Hungarian method), the model records its lineage (strata_model_info
   * parent_*), and segment i continues the parent's segment i where one
   * matches.  Extra segments (k above the parent's) take the numbers after
   * the matched ones; with fewer, the parent's largest segments are kept
   * and the numbers are compacted in the parent's order. */
  const struct strata_model *parent;
  const char *parent_path;    /* recorded as the parent's file; NULL = "" */
  int warm_start;             /* 1: start from the parent's centroids (its original units,
                                 scaled with this fit's scaler; with k above the parent's
                                 the extra ones continue k-means++ on the init sample;
                                 with fewer, the parent's largest segments).  0: `init`. */
  const char *algorithm;      /* the clustering method, by the name a model file records
                                 ("kmeans"; strata_algorithms() lists this build's);
                                 NULL = "kmeans" */
  /* Gaussian mixtures (algorithm "gmm"; core/estimator_gmm.c).  tol is then
   * the bound on the change of the mean log-likelihood per row between two
   * EM iterations (absolute; the likelihood of the scaled data). */
  strata_covariance covariance_type; /* default full */
  double reg_covar;           /* added to the covariances' diagonal (scaled units); default 1e-6 */
  int soft;                   /* gmm with labels_path: the labels file also holds `probability`,
                                 rows×k float32, each row's probability of each segment
                                 (the responsibilities; NaN for a dropped row) */
  double distance_threshold;  /* ward: cut the dendrogram at this merge height instead of
                                 into k segments (every merge of height <= it is made);
                                 0 = cut into k */
  double eps;                 /* dbscan: neighbourhood radius in scaled units, > 0 */
  int min_samples;            /* dbscan: points within eps (itself included) that make a
                                 core point; default 5 */
  /* Ward: exact (the nearest-neighbour chain on the rows held in memory;
   * refused past mem_limit), two-step (streamed: the rows go to ward_micro
   * k-means micro-clusters, then exact weighted Ward on their means; a row
   * takes its micro-cluster's segment), or auto (exact when the rows fit
   * mem_limit, else two-step). */
  strata_ward_mode ward_mode;  /* default STRATA_WARD_EXACT */
  int ward_micro;             /* two-step: micro-clusters (at most the rows); default 1000 */
  /* dbscan: eps_auto = 1 chooses eps at the knee of the k-distance curve
   * (k = min_samples, the point itself included) of a seeded sample of
   * eps_sample rows (all rows when fewer), measured against all rows;
   * eps is then ignored. */
  int eps_auto;
  size_t eps_sample;          /* default 10000 */
  /* Checkpoint and resume (k-means only).  With checkpoint_path the fit
   * saves its state there (temporary name, then renamed) after every
   * checkpoint_every-th iteration of a run (0 = never periodically) and,
   * when strata_ctx_request_checkpoint was called, at the next iteration
   * boundary, after which it stops with STRATA_STOPPED.  resume_path takes
   * up such a checkpoint: the fit finishes with the model and labels of an
   * uninterrupted run, bit for bit, for any thread count, chunk size or
   * number of MPI ranks.  A checkpoint of other data (input file path,
   * size, modification time, statistics) or other parameters is refused
   * with STRATA_ERR_USAGE, a damaged one with STRATA_ERR_FORMAT.  The
   * checkpoint file is removed when the fit completes. */
  const char *checkpoint_path;
  int checkpoint_every;
  const char *resume_path;
  const char *transforms;     /* per-feature transforms before scaling, NULL = none:
                                 "COL:T,COL:T" with T log1p, yeo-johnson, clip(pA,pB) or age-days
                                 (percentiles 0 <= A < B <= 100, e.g. clip(p1,p99)); one per
                                 column, numeric columns only.  Yeo-Johnson's lambda is fitted
                                 on all rows up to STRATA_TRANSFORM_SAMPLE, else on a seeded
                                 sample of that many; clip's percentiles come from the
                                 quantile sketch of a raw pass (exact up to 4096 values) */
  strata_refine refine;       /* default auto (see strata_refine) */
  /* algorithm "minibatch": rows per batch, rounded up to whole blocks of
   * 4096 rows (the batches are seeded draws of whole blocks); default 16384 */
  size_t batch_rows;
} strata_fit_params;

/* Rows Yeo-Johnson's lambda is fitted on, at most (a seeded sample beyond). */
#define STRATA_TRANSFORM_SAMPLE 200000

typedef enum {
  STRATA_STAGE_STATS, STRATA_STAGE_INIT, STRATA_STAGE_ITER, STRATA_STAGE_LABELS,
  STRATA_STAGE_SWEEP  /* strata_sweep: one shared pass over the data done */
} strata_stage;

/* What a progress callback sees. */
typedef struct strata_progress {
  strata_stage stage;
  int run;                /* restart index, 0-based */
  int n_init;
  int iteration;          /* 1-based, STRATA_STAGE_ITER only */
  int max_iter;
  double inertia;         /* ITER: inertia of the pass */
  double shift;           /* ITER: squared centroid shift */
  int64_t relocations;    /* ITER */
  double seconds;         /* of this stage/iteration */
  double rows_per_second;
  /* STRATA_STAGE_SWEEP: iteration is the shared pass (1-based, after the
   * statistics pass), run the number of k finished, n_init the number of k,
   * relocations the number of k the pass served; seconds and rows_per_second
   * of the pass. */
} strata_progress;

/* Above this, squared distances of one-hot columns leave float32's range. */
#define STRATA_MAX_CATEGORICAL_WEIGHT 1e6

STRATA_API void strata_fit_params_init(strata_fit_params *p);

/* The clustering methods this build fits, as a NULL-terminated list of the
 * names strata_fit_params.algorithm takes (static storage). */
STRATA_API const char *const *strata_algorithms(void);

/* A fitted segmentation model. */
typedef struct strata_model strata_model;

/* ds IN (read, not consumed), p IN, out OUT.  Streams the data; memory is
 * O(chunk_rows·d + k·d) plus 4 bytes per row for the label of each row. */
STRATA_API strata_status strata_fit(const strata_ctx *ctx, strata_dataset *ds, const strata_fit_params *p, strata_model **out);
/* strata_fit that hands every row's label to the caller's arrays instead of
 * a labels file (for bindings: the training rows' labels without a second
 * pass or a file).  segment OUT: rows int32, distance OUT: rows float32 or
 * NULL, as the labels file of p->labels_path would hold them (-1/NaN for
 * dropped rows and noise); their contents are undefined after a failure.
 * p->labels_path and p->soft must be unset; one process only (a ctx
 * with a communicator of several ranks is STRATA_ERR_USAGE). */
STRATA_API strata_status strata_fit_memory(const strata_ctx *ctx, strata_dataset *ds, const strata_fit_params *p,
                                           int32_t *segment, float *distance, strata_model **out);

/* Scores the rows of ds with the model's scaler and centroids and writes the
 * labels file.  The dataset must present the model's features in the model's
 * order (open it with strata_model_get_info(m)->features).  Rows with missing
 * values follow the model's missing rule (drop: segment -1, distance NaN).
 * labels_path IN; inertia OUT (may be NULL): float64 inertia in scaled units;
 * sizes OUT (may be NULL): k rows per segment. */
STRATA_API strata_status strata_assign(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                       const char *labels_path, size_t chunk_rows,
                                       double *inertia, int64_t *sizes);

/* strata_assign into the caller's arrays instead of a labels file (for
 * bindings: no file round trip), for a model of any kind.  segment OUT:
 * rows int32 (-1 for a row the missing rule drops, and for a dbscan
 * model's noise); distance OUT: rows float32 or NULL, what the labels
 * file's `distance` holds (Euclidean distance to the segment's centroid in
 * scaled units; a mixture's Mahalanobis distance to its component; NaN
 * when dropped or noise).  Same labels, inertia and sizes as strata_assign. */
STRATA_API strata_status strata_assign_memory(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                              size_t chunk_rows, int32_t *segment, float *distance,
                                              double *inertia, int64_t *sizes);
/* strata_assign_memory for a Gaussian mixture model (estimator "gmm";
 * STRATA_ERR_USAGE for another kind) that also gives probability OUT:
 * rows×k float32 row-major, each row's probability of each segment (the
 * responsibilities, the bits strata_assign_soft writes; NaN for a dropped
 * row), or NULL; log_likelihood OUT: the mean over the assigned rows of
 * log p(x) of their scaled values (scikit-learn's score(); NaN when every
 * row was dropped), or NULL. */
STRATA_API strata_status strata_assign_memory_soft(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                                   size_t chunk_rows, int32_t *segment, float *distance,
                                                   float *probability, double *log_likelihood, double *inertia,
                                                   int64_t *sizes);
/* strata_assign for a Gaussian mixture model (estimator "gmm") that also
 * writes each row's probability of each segment into the labels file
 * (dataset `probability`, rows×k float32, as strata_fit_params.soft);
 * STRATA_ERR_USAGE for a model of another kind. */
STRATA_API strata_status strata_assign_soft(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                            const char *labels_path, size_t chunk_rows, double *inertia,
                                            int64_t *sizes);

/* Opens the data at path/location the way model m reads it: its numeric
 * features by name and its categorical columns expanded into its categories.
 * out OUT. */
STRATA_API strata_status strata_model_open_data(const strata_model *m, const char *path, const char *location,
                                                strata_dataset **out);

STRATA_API strata_status strata_model_save(const strata_model *m, const char *path);
STRATA_API strata_status strata_model_load(const char *path, strata_model **out);
STRATA_API void strata_model_free(strata_model *m);

/* Per-iteration statistics of the kept run. */
typedef struct {
  double inertia;      /* float64 inertia against the centroids used in that pass */
  double shift;        /* squared centroid shift (sum over k and d), scaled units */
  int64_t relocations; /* rows whose label changed from the previous pass */
  double seconds;
  double rows_per_second;
} strata_iter_stats;

/* Everything a model records.  All pointers are owned by the model and are
 * valid until strata_model_free.  Read only. */
typedef struct {
  int k, d;
  const char *const *features;        /* d names */
  const double *centroids;            /* k×d row-major, scaled units */
  const double *centroids_original;   /* k×d row-major, original units */
  const double *scale_shift;          /* d: scaled = (x - shift) / scale */
  const double *scale_factor;         /* d */
  const double *impute;               /* d: value used for missing (mean or median), NaN if none */
  const int64_t *sizes;               /* k rows per segment */
  double inertia;                     /* float64, scaled units, final centroids */
  int iterations;                     /* Lloyd iterations of the kept run */
  int converged;                      /* 1 if it stopped by tol or stable labels */
  int n_init, best_init;              /* restarts run, index of the one kept */
  uint64_t seed;
  double tol;
  int max_iter;
  const char *init;                   /* "k-means++", "random", "file" */
  const char *scale;                  /* "zscore", "minmax", "none", "robust" */
  const char *missing;                /* "error", "drop", "mean", "median" */
  const char *backend;                /* backend that ran, e.g. "ref" */
  const char *backend_reason;         /* one line: why the scheduler chose it (NULL in
                                         models written before it was recorded) */
  const char *mode;                   /* "in-core" or "streaming" */
  const char *input_file, *input_location;
  int n_categorical;                  /* categorical columns expanded one-hot */
  const char *const *categorical;     /* their names */
  const int *feature_group;           /* d: -1 numeric, else the categorical column it expands;
                                         the category is the text after '=' in the feature name */
  double categorical_weight;
  uint64_t rows;                      /* rows used by the fit */
  uint64_t rows_dropped;              /* rows skipped for missing values */
  const char *version, *created;      /* library version, ISO-8601 UTC time */
  double seconds;                     /* wall time of the whole fit */
  int n_iter_stats;
  const strata_iter_stats *iter_stats;
  /* Lineage, when the fit had a parent model (strata_fit_params.parent);
   * "" and NULL for a model fitted afresh or saved before lineage existed. */
  const char *parent_path, *parent_created; /* the parent's file and its created time */
  const int *parent_segment;          /* k: the parent segment each segment continues, -1 when
                                         it is new or replaced one too far away to continue it */
  const double *parent_distance;      /* k: distance from the parent's matched centroid (this
                                         model's scaled units), NaN when unmatched */
  /* Training reference statistics for drift; NULL in older models. */
  const double *train_mean, *train_std; /* d: per feature over the training rows, original units
                                           (population std; missing values left out) */
  const double *train_mean_distance;  /* k: mean Euclidean distance of a segment's rows to its
                                         centroid, scaled units (NaN for an empty segment) */
  const char *estimator;              /* the estimator kind: "kmeans" (also for models written
                                         before the kind was recorded), "gmm", "ward", "dbscan" */
  /* A Gaussian mixture (estimator "gmm"; NULL and NaN otherwise): the means
   * are the centroids; covariances in scaled units, laid out by type: full
   * k×d×d, tied d×d, diag k×d, spherical k.  log_likelihood is the mean per
   * row over the fit's rows at the final parameters, of the scaled data;
   * bic and aic follow scikit-learn's definitions.  inertia then holds the
   * squared Euclidean distances of the rows to their component's mean (the
   * hard labels: the arg max of the responsibilities), train_mean_distance
   * the mean Mahalanobis distance, iter_stats' inertia the negated mean
   * log-likelihood of each iteration's pass and shift its change. */
  const char *covariance_type;        /* "full", "tied", "diag", "spherical" */
  const double *weights;              /* k, summing to 1 */
  const double *covariances;
  double reg_covar, log_likelihood, bic, aic;
  /* Ward: the dendrogram over the fit's rows, scipy's linkage matrix
   * (n_merges rows of left, right, height, size; leaves 0..n_merges are the
   * kept rows in input order — two-step: the micro-clusters below, and size
   * counts rows — merge j makes cluster n_merges+1+j; heights
   * sqrt(2·Δinertia), ascending) and the cut (distance_threshold 0: into
   * k).  0 and NULL for other kinds. */
  int n_merges;
  const double *merges;
  double distance_threshold;
  /* DBSCAN: eps, min_samples and the core points (n_core×d, scaled units)
   * with their segments; `strata_assign` gives a row the segment of the
   * nearest core point within eps, else -1 (noise).  0 and NULL for other
   * kinds. */
  double eps;
  int min_samples;
  int n_core;
  const double *core_points;
  const int32_t *core_segment;
  /* Two-step Ward: the micro-clusters the dendrogram starts from (its
   * leaves 0..n_micro-1 are these, not rows): their means (n_micro×d,
   * scaled units) and sizes; a row's segment is its micro-cluster's.  0
   * and NULL for exact Ward and other kinds. */
  int n_micro;
  const double *micro_centroids;
  const int64_t *micro_sizes;
  /* DBSCAN with eps chosen automatically: the sorted k-distance curve of
   * the sample (n_kdist points, scaled units, evenly spaced over the sorted
   * sample, first and last included) and the rows it was measured on; eps
   * is its knee.  0 and NULL otherwise. */
  int n_kdist;
  const double *kdist;
  uint64_t kdist_sample;
  /* Where a fit taken up from a checkpoint (strata_fit_params.resume_path)
   * began: after iteration resumed_iteration of restart resumed_run
   * (0-based); 0 and 0 for a fit run from the start.  Not saved in the
   * model file (the model equals an uninterrupted run's). */
  int resumed_run, resumed_iteration;
  /* Transforms applied before scaling (strata_fit_params.transforms), NULL
   * when the model has none: per feature its strata_transform_kind and d×3
   * parameters (Yeo-Johnson's lambda, clip's lower and upper bound in
   * original units, age-days' reference date in the lower slot; NaN where
   * unused).  scale_shift, scale_factor, impute,
   * centroids and train_mean/std are then in transformed units;
   * centroids_original are mapped back through the inverse transform
   * (clip: the clipped value). */
  const int *transform_kind;
  const double *transform_param;
  /* k-means' refinement after Lloyd (strata_refine). */
  const char *refine;                 /* "swap" or "none" (strata_refine as resolved); "" in
                                         models written before it was recorded */
  int refine_trials, refine_swaps;    /* trial swaps made and kept on the sample in the kept
                                         run (swaps 0: the full data did not confirm them) */
  /* Mini-batch k-means (algorithm "minibatch"): rows per batch (whole
   * blocks); 0 for Lloyd and in models written before it was recorded.
   * iterations then counts batches. */
  uint64_t batch_rows;
  /* The row-weight column of the fit (strata_dataset_set_weights), or NULL
   * when the rows were not weighted; inertia is then the weighted sum. */
  const char *weight_column;
} strata_model_info;

/* m IN; never NULL for a valid model. */
STRATA_API const strata_model_info *strata_model_get_info(const strata_model *m);

/* ---------------------------------------------------------------- drift */

/* How far new data may move from a model's training data before a drift
 * flag is raised.  strata_drift_thresholds_init sets the defaults. */
typedef struct {
  double share;     /* absolute change of a segment's share of the rows; default 0.05 */
  double distance;  /* relative change of a segment's mean distance to its centroid; 0.25 */
  double shift;     /* standardised mean shift (mean_now - mean_train) / std_train; 0.25 */
} strata_drift_thresholds;

STRATA_API void strata_drift_thresholds_init(strata_drift_thresholds *t);

typedef struct {
  int segment;         /* segment now; -1 for a reference segment no segment continues */
  int parent;          /* the reference segment compared with; -1 for a new segment */
  double share_train, share_now, share_change;  /* shares of the rows; change = now - train */
  double mean_distance_train, mean_distance_now; /* scaled units; NaN where there is none */
  double distance_change; /* (now - train) / train; NaN where either is missing */
  int flag;            /* a threshold was crossed */
} strata_drift_segment;

typedef struct {
  const char *feature;
  double mean_train, mean_now, std_train; /* original units */
  double shift;        /* (mean_now - mean_train) / std_train; NaN when std_train is 0 */
  int flag;
} strata_drift_feature;

/* A drift report.  Everything is owned by the report; free it with
 * strata_drift_free. */
typedef struct {
  const char *reference;              /* what the data was compared with (a model's path) */
  int n_segments;
  const strata_drift_segment *segments;
  int n_features;
  const strata_drift_feature *features;
  strata_drift_thresholds thresholds;
  int n_warnings;
  const char *const *warnings;        /* one line per crossed threshold, no prefix */
} strata_drift;

STRATA_API void strata_drift_free(strata_drift *d);

/* strata_assign that also measures drift against the model's training
 * reference (strata_model_info train_*; a model saved before they existed
 * fails with STRATA_ERR_USAGE when drift is asked for).  The new data's
 * feature means come from the same pass (the values as scored: imputed
 * values included, dropped rows left out), summed exactly (order-free).
 * th IN (NULL = defaults); reference IN: the name the report gives the
 * model (NULL = its input file); drift OUT (may be NULL: plain assign). */
STRATA_API strata_status strata_assign_drift(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                             const char *labels_path, size_t chunk_rows,
                                             const strata_drift_thresholds *th,
                                             const char *reference, double *inertia, int64_t *sizes,
                                             strata_drift **drift);

/* Drift of a refit (child, fitted with strata_fit_params.parent) against its
 * parent: the child's training statistics compared with the parent's, each
 * child segment with the parent segment it continues.  Both models need
 * their training reference.  reference IN (NULL = the child's parent_path). */
STRATA_API strata_status strata_model_drift(const strata_model *parent, const strata_model *child,
                                            const strata_drift_thresholds *th, const char *reference,
                                            strata_drift **out);
/* ---------------------------------------------------------------- in-memory data */

/* A dataset over rows already in memory, for strata_fit, strata_assign and
 * strata_dataset_stats like an opened file.  x IN: rows×cols float32,
 * row-major, NaN = missing; COPIED, so the caller may free it at once.
 * names IN: cols distinct non-empty column names, or NULL for "c0".."c{cols-1}".
 * Its path is "(memory)", its location "".  It has no categorical columns.
 * out OUT, free with strata_dataset_free. */
STRATA_API strata_status strata_dataset_from_memory(const float *x, size_t rows, size_t cols, const char *const *names,
                                                    strata_dataset **out);

/* Element types of a borrowed array. */
typedef enum { STRATA_ELEM_F32 = 0, STRATA_ELEM_F64 = 1 } strata_elem_type;

/* A dataset over an array the caller keeps (a NumPy array handed in by a
 * binding): element (i, j) is at x + i*row_stride + j*col_stride, strides
 * in elements (not bytes), any sign, 0 repeats a row or column.  NOTHING
 * IS COPIED: x IN, borrowed, must stay valid and unchanged until
 * strata_dataset_free; memory held does not grow with rows.  float64
 * values are rounded to float32 as they are read, as an HDF5 float64
 * column is.  names IN: as for strata_dataset_from_memory (copied).
 * out OUT, free with strata_dataset_free. */
STRATA_API strata_status strata_dataset_from_strided(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                          ptrdiff_t row_stride, ptrdiff_t col_stride, const char *const *names,
                                          strata_dataset **out);

/* Rows [first, end) of ds as a dataset of end-first rows numbered from 0
 * (what one MPI rank reads): same columns, path and categorical columns;
 * a read touches only those rows.  ds IN, borrowed: must outlive the view
 * (free the view first).  Categorical columns must be added to ds before
 * the view is taken.  first <= end <= rows of ds, else STRATA_ERR_USAGE.
 * out OUT, free with strata_dataset_free. */
STRATA_API strata_status strata_dataset_view_rows(strata_dataset *ds, size_t first, size_t end, strata_dataset **out);

/* Row weights (scikit-learn's sample_weight; e.g. each customer's value):
 * w, a dataset of ONE column with as many rows as ds (a column of the same
 * file opened with strata_dataset_open, or an array with
 * strata_dataset_from_strided), becomes ds's weights; ds owns it from the
 * call on, also when this fails.  A k-means fit of ds then weighs each row
 * by its weight: in the statistics and the z-score scaler (weighted mean
 * and variance), k-means++ and random seeding (draws in proportion to
 * weight), every Lloyd pass (weighted means), the inertia (weighted) and
 * the segments' weights; a weight must be finite and >= 0 (else
 * STRATA_ERR_DATA naming the row), their total > 0.  Weights are read as
 * float32, like the features.  Set before any view or pass.  Algorithm
 * "minibatch" weighs its steps alike; "gmm" runs weighted EM (each row's
 * responsibilities times its weight in every sum; the mean log-likelihood,
 * BIC and AIC per unit of weight; seeded by weight); "dbscan" makes a
 * point core when the weights within eps reach min_samples; exact "ward"
 * joins the rows of positive weight, each a cluster of its weight (a row
 * of weight 0 joins the nearest segment's weighted mean), and its two-step
 * mode joins weighted k-means micro-clusters by their weights; an explicit
 * device backend refuses weights (STRATA_ERR_USAGE); strata_sweep weighs
 * every k's fit and its metrics (kmeans, gmm and ward);
 * strata_stability refits with them; strata_profile_compute adds
 * each segment's weight (strata_profile.weight).  strata_assign and
 * strata_pca_fit do not use them. */
STRATA_API strata_status strata_dataset_set_weights(strata_dataset *ds, strata_dataset *w);
/* The weight column's name, or NULL when ds has no weights. */
STRATA_API const char *strata_dataset_weights_name(const strata_dataset *ds);

/* ---------------------------------------------------------------- stability */

/* How each stability run resamples the rows: bootstrap draws as many rows
 * as the sample with replacement, subsample draws fraction·sample rows
 * without replacement. */
typedef enum { STRATA_RESAMPLE_BOOTSTRAP, STRATA_RESAMPLE_SUBSAMPLE } strata_resample;

typedef struct {
  size_t size;                /* set by strata_stability_params_init (see the conventions above) */
  strata_fit_params fit;   /* k, algorithm (kmeans, gmm or ward; each run labels the sample
                              by its model's rule), scale, missing, n_init, max_iter, tol, seed of every
                              fit (threads and backend: the ctx); labels_path, model_path, init,
                              progress are ignored (k-means++ or random init only) */
  int runs;                /* resampled refits, >= 2; default 20 */
  strata_resample method;  /* default bootstrap */
  double fraction;         /* subsample: share of the sample per run, in (0, 1); default 0.8 */
  size_t sample_rows;      /* rows of the seeded sample everything works on (all rows when
                              fewer); default 100000 */
  /* Hennig's thresholds on a segment's mean Jaccard: >= stable "stable",
   * >= unstable "patterns", > dissolved "unstable", else "dissolved"; and
   * a run "dissolves" a segment when its Jaccard is <= dissolved.
   * Defaults 0.75, 0.6, 0.5.  A segment dissolved in more than
   * STRATA_STABILITY_MAX_DISSOLVED of the runs is "unstable" at best. */
  double stable, unstable, dissolved;
  /* Called after each run (1-based) on the calling thread; may be NULL. */
  void (*progress)(int run, int runs, void *user);
  void *progress_user;
} strata_stability_params;

/* The share of runs beyond which a dissolved segment cannot be called
 * "stable" or "patterns" (it is "unstable", or "dissolved" by its mean). */
#define STRATA_STABILITY_MAX_DISSOLVED 0.1

STRATA_API void strata_stability_params_init(strata_stability_params *p);

typedef struct {
  int segment;          /* of the reference clustering */
  int64_t size;         /* sample rows in it */
  double jaccard_mean;  /* over runs (Hennig's cluster-wise stability) */
  double jaccard_std;   /* sample standard deviation over runs */
  double jaccard_min, jaccard_max;
  int dissolved;        /* runs whose Jaccard is <= the dissolved threshold */
  const char *verdict;  /* "stable", "patterns", "unstable", "dissolved" */
} strata_stability_segment;

/* Everything owned by the result; free with strata_stability_free. */
typedef struct {
  int k, runs;
  const char *method;      /* "bootstrap" or "subsample" */
  double fraction;         /* subsample only (else 1) */
  uint64_t rows;           /* rows of the dataset */
  uint64_t sample_rows;    /* rows of the sample */
  uint64_t seed;
  /* Adjusted Rand index between every pair of runs, each run's centroids
   * labelling the whole sample (rows without a label left out). */
  double ari_mean, ari_std, ari_min, ari_max;
  uint64_t ari_pairs;
  strata_stability_segment *segments; /* k */
  const double *jaccard;   /* runs×k: Jaccard of reference segment s in run r at [r*k+s] */
  double stable, unstable, dissolved; /* thresholds used */
  const char *verdict;     /* the worst segment verdict */
  double seconds;
  const char *algorithm;   /* the method refitted: "kmeans", "gmm", "ward" (static storage) */
} strata_stability_result;

/* Clustering stability by resampling (Hennig 2007, as fpc::clusterboot):
 * reads a seeded sample of ds in one pass, fits the reference clustering on
 * it (seed), then `runs` fits on resamples of it (seed+1+r).  Each reference
 * segment's Jaccard in run r is its best match among run r's clusters,
 * both restricted to the distinct rows the resample holds.  Memory:
 * O(sample_rows·(d + runs)).  Bit-identical for any thread count.
 * ds IN, p IN, out OUT. */
STRATA_API strata_status strata_stability(const strata_ctx *ctx, strata_dataset *ds, const strata_stability_params *p,
                                           strata_stability_result **out);
STRATA_API void strata_stability_free(strata_stability_result *r);

/* Hennig's verdict for a mean Jaccard under the given thresholds. */
STRATA_API const char *strata_stability_verdict(double jaccard_mean, double stable, double unstable, double dissolved);

/* ---------------------------------------------------------------- profile */

/* One feature of a segment (or of the whole population), in original units,
 * over the rows' finite values (a value missing in the data is left out here
 * even when the model imputes it for the assignment).  For a one-hot column
 * ("column=category") the mean is the category's share. */
typedef struct {
  uint64_t count;          /* finite values */
  double mean, std;        /* std: population standard deviation (divides by count) */
  double min, max;
  double median;           /* lower median (rank floor((count-1)/2)); see median_rank_error */
  double z;                /* standardised difference: (mean - population mean) / population
                              std; 0 for the population and where the population std is 0;
                              NaN when the segment has no value (count 0) */
} strata_feature_profile;

typedef struct {
  int64_t size;            /* rows in the segment */
  double share;            /* size / rows profiled */
  const strata_feature_profile *features;  /* d, the model's feature order */
  int ntop;                /* entries of top (0..3) */
  int top[3];              /* the features that set the segment apart: largest |z| first
                              (ties: lower index), only |z| >= 0.1 */
  const char *description; /* one plain-language line built from them, e.g. "older, high
                              income, buys rarely"; "close to the average customer" when no
                              feature reaches |z| >= 0.5; "no rows in this data" for an
                              empty segment */
} strata_segment_profile;

/* A profile of every segment of a model over one dataset.  All pointers are
 * owned by the profile, valid until strata_profile_free.  Read only. */
typedef struct {
  int k, d;
  const char *const *features;             /* d names (the model's) */
  const int *feature_group;                /* d: -1 numeric, else the categorical column
                                              (index into categorical) the one-hot expands */
  int n_categorical;
  const char *const *categorical;          /* n_categorical column names */
  const strata_feature_profile *population;/* d: every profiled row */
  const strata_segment_profile *segments;  /* k */
  uint64_t rows;                           /* rows profiled (rows with a segment) */
  uint64_t rows_dropped;                   /* rows without a segment (missing rule drop) */
  int medians_exact;                       /* 1 when every median is exact */
  double median_rank_error;                /* 0 when exact; else the sketch's rank error as
                                              a fraction of the rows (core/quantile.h) */
  const char *labels;                      /* the labels file used, or NULL (assigned with
                                              the model in the pass) */
  /* With row weights on ds (strata_dataset_set_weights; `strata profile`
   * attaches the model's weight column when the data has it): each
   * segment's total weight (e.g. customer value), else all NULL / 0.  The
   * features' statistics stay per row. */
  const char *weight_column;
  const double *weight;                    /* k */
  double weight_total;                     /* of the rows profiled */
} strata_profile;

/* Profiles the segments of model m over ds in one streaming pass: per
 * segment its size and share, per feature mean, std, min, max, median and
 * standardised difference, the top features and a description.  Memory is
 * O(threads·block·d + k·d) plus one quantile sketch per (segment, feature).
 * Results are bit-identical for any thread count and chunk size.
 *  m IN.  ds IN: opened with strata_model_open_data (the model's features in
 *  its order).  labels_path IN: a labels file of ds (strata assign/fit
 *  --labels) to take the segments from, or NULL to assign every row with the
 *  model's scaler and centroids during the pass (same labels as strata
 *  assign).  chunk_rows 0 = automatic.  out OUT: free with
 *  strata_profile_free. */
STRATA_API strata_status strata_profile_compute(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                                const char *labels_path, size_t chunk_rows,
                                                strata_profile **out);
STRATA_API void strata_profile_free(strata_profile *p);
/* ---------------------------------------------------------------- sweep */

/* Fits every k of a range in one job and scores each (`strata sweep`).
 * The statistics pass, the scaler and the init sample are shared by every
 * k; then each pass over the data serves every k still iterating (each
 * block is read and scaled once per pass for all of them).  Per k the fit
 * follows strata_fit exactly: k-means++ (or random) from the shared sample
 * with the same seed, the same Lloyd update and convergence rules, so k = K
 * gives the model `strata_fit` with k = K gives (same scale, missing, seed,
 * tol, max_iter, init_sample; with an automatic init sample this holds for
 * k_max <= 500, where the sample does not depend on k).
 * Metrics are in scaled units, over the rows used (after --missing drop):
 *  - Calinski-Harabasz and Davies-Bouldin over all rows, from per-cluster
 *    counts, sums, and sums of ||x - mean|| and ||x - mean||² streamed in
 *    one extra pass per k (labels against the final centroids, dispersion
 *    about the means of those labels, as scikit-learn defines them);
 *  - silhouette exactly (float64 distances) on a seeded sample of
 *    silhouette_sample rows, labelled with the final centroids;
 *  - the knee of inertia over k (largest ratio of successive gains, see
 *    core/metrics.h), and a recommended k:
 *    the knee when its silhouette is within 0.05 of the best one, else the
 *    k with the best silhouette (README, `strata sweep`).
 * Several methods (algorithms "kmeans,gmm,ward"): k-means keeps the shared
 * passes above; every other method fits each k through strata_fit (so its
 * k = K is exactly `strata fit --algorithm M -k K`), and its silhouette is
 * taken on the same seeded sample in the same scaled units, with the labels
 * the model gives those rows (gmm: the most probable component; ward: the
 * nearest segment centroid, as `strata assign`).  Calinski-Harabasz and
 * Davies-Bouldin are k-means' (NaN for the others).  Per method a k is
 * picked (gmm: the lowest BIC; kmeans and ward: the rule above on their own
 * inertia curve), then the method whose pick has the highest silhouette is
 * recommended; with stability runs, a pick whose mean ARI is below 0.6
 * yields to a stable one.  DBSCAN has no k and is refused.
 * Memory: O(chunk·d + sum(k)·d) plus the silhouette sample
 * (m·(d + number of k) values); no per-row state. */
typedef struct {
  size_t size;                /* set by strata_sweep_params_init (see the conventions above) */
  strata_fit_params fit;   /* scale, missing, init (k-means++ or random), max_iter, tol,
                              seed, chunk_rows, init_sample, categorical_weight, mem_limit,
                              streaming, progress (STRATA_STAGE_STATS, then one
                              STRATA_STAGE_SWEEP per shared pass).  k is ignored;
                              n_init (restarts per k, each sharing the passes; the
                              lowest inertia is kept as strata_fit keeps it); init_centroids,
                              labels_path and model_path must be unset.  With auto, a k
                              whose fit would run on a device runs on its CPU table. */
  int k_min, k_max;        /* the range, 1 <= k_min <= k_max; default 2..10 */
  const int *ks;           /* IN, optional: nk increasing k values instead of the range */
  size_t nk;
  size_t silhouette_sample; /* rows of the silhouette sample; 0 = no silhouette;
                               default 10000 (all rows when fewer) */
  /* Comparing methods (see "Several methods" above). */
  const char *algorithms;  /* IN: comma-separated methods with a k, e.g. "kmeans,gmm,ward";
                              NULL = fit.algorithm alone (NULL: kmeans) */
  int stability_runs;      /* 0 = none; else each (method, k) is also refitted on this many
                              bootstrap resamples of the silhouette sample (strata_stability,
                              seed fit.seed), >= 2 */
} strata_sweep_params;

STRATA_API void strata_sweep_params_init(strata_sweep_params *p);

typedef struct {
  int k;
  double inertia;              /* float64, scaled units, final centroids */
  int iterations, converged;
  double silhouette;           /* NaN when undefined (k = 1, or < 2 clusters in the sample) */
  double calinski_harabasz;    /* NaN when undefined (k = 1) */
  double davies_bouldin;       /* NaN when undefined (k = 1) */
  const int64_t *sizes;        /* k rows per segment */
  const double *centroids;     /* k×d, original units */
  const char *algorithm;       /* the method ("kmeans", "gmm", "ward"; static storage) */
  double bic, aic;             /* gmm (scikit-learn's definitions, as fit's model); NaN otherwise */
  double stability;            /* mean adjusted Rand index between the stability runs; NaN when
                                  not asked (stability_runs 0) */
} strata_sweep_k;

typedef struct {
  size_t n_results;
  const strata_sweep_k *results;   /* one per method and k: method after method (in the
                                      order asked), increasing k within each */
  size_t d;
  uint64_t rows, rows_dropped;     /* rows used; rows skipped for missing values */
  size_t silhouette_rows;          /* rows in the silhouette sample (after missing drop) */
  int knee_k;                      /* 0 when the inertia curve has no knee */
  int recommended_k;               /* 0 when nothing can be recommended */
  const char *reason;              /* one sentence */
  int data_passes;                 /* passes over the data, the statistics pass included */
  double seconds;
  const char *backend;             /* CPU table name */
  size_t n_algorithms;             /* methods compared (1: a k-means-only sweep as before) */
  const char *recommended_algorithm; /* the method of recommended_k; NULL with recommended_k 0 */
} strata_sweep_result;

/* ds IN (read), p IN, out OUT (free with strata_sweep_free). */
STRATA_API strata_status strata_sweep(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p, strata_sweep_result **out);
STRATA_API void strata_sweep_free(strata_sweep_result *r);

/* ---------------------------------------------------------------- pca */

/* Principal components of the data in a scaled space: the z-scores of a
 * statistics pass (rows holding NaN are left out), or a model's scaler and
 * missing-value rule.  The covariance comes from exact order-free sums of
 * the products (per 4096-row block, then combined exactly), so results are
 * bit-identical for any thread count and chunk size; the eigen-decomposition
 * is LAPACK's. */
typedef struct {
  size_t size;                /* set by strata_pca_params_init (see the conventions above) */
  int ncomp;                 /* components kept, 0 = all d (default 0) */
  const strata_model *model; /* IN, borrowed: scale with this model's scaler and assign
                                the sampled rows to its segments; NULL = z-score */
  size_t sample;             /* rows of a seeded uniform sample to project, 0 = none
                                (default 10000) */
  uint64_t seed;             /* of the sample (default 0) */
  size_t chunk_rows;         /* 0 = automatic */
  uint64_t mem_limit;        /* bytes the exact covariance sums (threads × d(d+1)/2 exact
                                accumulators, d×d matrices) may take; more is refused with
                                STRATA_ERR_DATA; 0 = half the available memory.  A table of
                                no more rows than columns (at most 4096) goes through the
                                rows' Gram matrix instead, at most rows - 1 components. */
} strata_pca_params;

STRATA_API void strata_pca_params_init(strata_pca_params *p);

/* A fitted PCA.  All pointers are owned by it, valid until strata_pca_free.
 * Components have unit length; the sign of each is fixed so that its entry
 * of largest magnitude is positive.  Read only. */
typedef struct {
  int d, ncomp;
  const char *const *features;       /* d names */
  const double *mean;                /* d, scaled units */
  const double *components;          /* ncomp×d row-major, largest variance first */
  const double *explained_variance;  /* ncomp, covariance eigenvalues (divided by rows - 1,
                                        as scikit-learn) */
  const double *explained_ratio;     /* ncomp, of the total variance */
  double total_variance;             /* trace of the covariance */
  const double *scale_shift;         /* d: scaled = (x - shift) / factor */
  const double *scale_factor;        /* d */
  uint64_t rows;                     /* rows used */
  uint64_t rows_dropped;             /* rows left out for missing values */
  size_t sample_count;               /* sampled rows kept (rows with missing values that
                                        the scaling drops leave the sample) */
  const uint64_t *sample_index;      /* sample_count input row indices, increasing */
  const double *sample_scores;       /* sample_count×ncomp projections */
  const int32_t *sample_segment;     /* sample_count nearest-centroid segments with a
                                        model, else NULL */
} strata_pca;

/* ds IN (read, not consumed; with a model open it with strata_model_open_data),
 * p IN (NULL = defaults), out OUT: free with strata_pca_free.  Memory is
 * O(threads·block·d + d²) plus the sample.  Two passes without a model (the
 * statistics, then the covariance), one with. */
STRATA_API strata_status strata_pca_fit(const strata_ctx *ctx, strata_dataset *ds, const strata_pca_params *p, strata_pca **out);

/* Projects n rows of x (n×pca->d row-major, SCALED units: a model's
 * centroids, or rows scaled with scale_shift/scale_factor) onto the first
 * ncomp components (1..pca->ncomp): out[i*ncomp + c] = (x_i - mean)·v_c. */
STRATA_API strata_status strata_pca_project(const strata_pca *pca, const double *x, size_t n, int ncomp,
                                            double *out);
STRATA_API void strata_pca_free(strata_pca *pca);

/* ---------------------------------------------------------------- explain */

/* Segments stated as rules: a shallow classification tree (CART, Gini
 * impurity) that predicts each row's segment from the model's features in
 * original units, grown from streamed per-feature histograms, so the table
 * is never held in memory (`strata explain`).  Bins: up to 256 per feature,
 * cut at every distinct value when a feature has at most 255 of them, else
 * at quantiles of a deterministic sketch; each level of the tree is one
 * pass that counts (node, feature, bin, segment).  A threshold is the
 * roundest number between the largest value of the bins on its left and
 * the smallest on its right, so "x <= threshold" sends exactly the same
 * rows left as the bin split did.  Counts are integers and the sketch
 * merges along a fixed tree: bit-identical for any thread count and chunk
 * size. */
typedef struct {
  size_t size;              /* set by strata_explain_params_init (see the conventions above) */
  int depth;                /* levels of the tree, 1..4 (default 3) */
  const char *labels_path;  /* IN: a labels file of the data (strata fit/assign --labels) to
                               take the segments from; NULL (default) = assign every row with
                               the model (strata_assign_memory) */
  size_t chunk_rows;        /* 0 = automatic */
} strata_explain_params;

STRATA_API void strata_explain_params_init(strata_explain_params *p);

/* One condition of a rule, on feature `feature`: lo < x <= hi (lo = -inf
 * or hi = +inf when that side is open).  For a one-hot column
 * ("region=north", feature_group >= 0) hi < 1 means "is not north" and
 * lo >= 0 means "is north". */
typedef struct {
  int feature;
  double lo, hi;
} strata_explain_term;

/* A leaf of the tree: the conditions on the way to it (one term per
 * feature, bounds merged) and the segment it predicts (its most frequent
 * segment, the lower on a tie). */
typedef struct {
  int segment;
  int nterms;
  const strata_explain_term *terms;
  uint64_t rows;     /* rows that reach the leaf */
  uint64_t correct;  /* of them, rows of `segment` */
} strata_explain_rule;

/* A node of the tree, in breadth-first order (node 0 is the root).  An
 * inner node sends x[feature] <= threshold to `left`, the rest to `right`;
 * a leaf has feature -1 and names its rule. */
typedef struct {
  int feature;
  double threshold;
  int left, right;   /* node indices; -1 for a leaf */
  int rule;          /* the leaf's index into rules; -1 for an inner node */
  int segment;       /* the node's most frequent segment */
  uint64_t rows;
} strata_explain_node;

/* All pointers are owned by the explanation, valid until
 * strata_explanation_free.  Read only. */
typedef struct {
  int k, d, depth;                  /* depth: the levels actually grown (<= the asked one) */
  const char *const *features;      /* d names (the model's) */
  const int *feature_group;         /* d: -1 numeric, else the categorical column a one-hot
                                       column expands (the category follows '=' in its name) */
  int nnodes;
  const strata_explain_node *nodes;
  int nrules;                       /* leaves, left to right; sibling leaves that predict the
                                       same segment are merged (the predictions do not change) */
  const strata_explain_rule *rules;
  uint64_t rows;                    /* rows explained: rows with a segment */
  uint64_t rows_skipped;            /* rows without a segment (-1) or with a missing value
                                       the model does not impute */
  double fidelity;                  /* share of the rows the rules place in their own segment */
  const double *segment_fidelity;   /* k: share of each segment's rows the rules place in it;
                                       NaN for a segment without rows */
  const uint64_t *segment_rows;     /* k */
  const char *labels;               /* the labels file used, or NULL (assigned with the model) */
} strata_explanation;

/* m IN.  ds IN: opened with strata_model_open_data (the model's features in
 * its order); a missing value is replaced by the model's imputed value
 * (missing rule mean or median), else the row is skipped.  p IN (NULL =
 * defaults).  out OUT: free with strata_explanation_free.  Memory: 4 bytes
 * per row for the segments plus per thread one histogram of the widest
 * level (nodes × bins × k counts); depth + 1 passes over ds (plus the
 * assignment without a labels file). */
STRATA_API strata_status strata_explain(const strata_ctx *ctx, const strata_model *m, strata_dataset *ds,
                                        const strata_explain_params *p, strata_explanation **out);
STRATA_API void strata_explanation_free(strata_explanation *e);

/* ---------------------------------------------------------------- import */

/* A CSV file to a columnar HDF5 table (docs/FORMAT.md; `strata import`):
 * two streaming passes (types, then values), compressed columns written by
 * ctx's threads; the output appears under its name only when complete, so
 * a failure (a bad record without skip_bad_rows, a full disk, a cancelled
 * ctx) leaves nothing behind. */
typedef struct {
  size_t size;                      /* set by strata_csv_import_params_init */
  const char *input;                /* CSV file (a regular file: it is read twice) */
  const char *output;               /* HDF5 file to write */
  const char *group;                /* group of the columns; NULL = the root */
  char delimiter;                   /* 0 = guess from the header */
  int latin1;                       /* 1: the input is Latin-1 (default UTF-8) */
  const char *const *columns;       /* IN, borrowed: the columns to keep; NULL = every one */
  size_t ncolumns;
  const char *const *skip_columns;  /* IN, borrowed: columns to leave out */
  size_t nskip;
  int skip_bad_rows;                /* 1: drop malformed records (counted, the first listed);
                                       0 (default): fail naming the line */
  int level;                        /* deflate level 1-9 (default 1) */
  const char *date_format;          /* also read dates in this strptime-style layout
                                       (%d/%m/%Y %H:%M; docs/FORMAT.md); NULL = ISO only */
  char decimal;                     /* ',': numbers are written 10,5; 0 or '.' (default): 10.5 */
  int strict;                       /* 1: a few cells that are not numbers in a column of
                                       numbers fail the import; 0 (default): they become
                                       missing values, counted in bad_cells */
} strata_csv_import_params;

STRATA_API void strata_csv_import_params_init(strata_csv_import_params *p);

typedef struct {
  const char *name;      /* as stored (UTF-8) */
  const char *type;      /* "int", "float", "bool", "date", "categorical" */
  const char *storage;   /* HDF5 element type, "int8" ... "float64" */
  int is_id;             /* an identifier column (strata_role = id) */
  int inexact;           /* integers beyond 2^53 with missing values, stored as float64 */
  uint64_t count;        /* values present */
  uint64_t missing;
  uint64_t categories;   /* categorical: dictionary size; else 0 */
  uint64_t bad_cells;    /* numeric column: cells that were not numbers, now missing */
  const char *note;      /* a warning about the column (bad cells with their first
                            lines; text although mostly numbers), or NULL */
} strata_csv_import_column;

typedef struct {
  uint64_t line;         /* physical line, 1-based */
  size_t column;         /* 1-based; 0 = the whole record */
  const char *reason;
} strata_csv_import_problem;

/* Owned by the result; read only. */
typedef struct {
  uint64_t rows;                              /* rows written */
  size_t ncols;
  const strata_csv_import_column *columns;    /* ncols */
  uint64_t skipped;                           /* records dropped (skip_bad_rows) */
  size_t nlisted;
  const strata_csv_import_problem *listed;    /* the first dropped records */
  char delimiter;                             /* the one used */
  uint64_t bytes, lines;                      /* of the input */
  double seconds;
} strata_csv_import_result;

/* ctx IN, p IN, out OUT (NULL on failure; free with
 * strata_csv_import_result_free). */
STRATA_API strata_status strata_csv_import(const strata_ctx *ctx, const strata_csv_import_params *p,
                                           strata_csv_import_result **out);
STRATA_API void strata_csv_import_result_free(strata_csv_import_result *r);

/* ---------------------------------------------------------------- inspect */

/* One column of a table as `strata inspect` shows it. */
typedef struct {
  const char *name;
  const char *storage;       /* HDF5 element type, "int8" ... "float64" */
  const char *stype;         /* the imported table's type (int, float, bool, date,
                                categorical); NULL when the file has none */
  int categorical;           /* int32 codes with a dictionary */
  int is_id;                 /* strata_role = id */
  uint64_t categories;       /* categorical: dictionary size */
  strata_column_stats stats; /* numeric: every field; categorical: count and missing */
} strata_inspect_column;

/* Owned by the inspection; read only. */
typedef struct {
  const char *path, *location;
  uint64_t rows;
  size_t ncols;
  const strata_inspect_column *columns;
} strata_inspection;

/* Every column of the table at path/location (NULL = the root group), or
 * the named ones in the order named (STRATA_ERR_COLUMN naming an unknown
 * one): storage, type, role, and the statistics of one streaming pass over
 * the numeric columns (bit-identical for any thread count and chunk size)
 * and counts of the categorical ones.  chunk_rows 0 = automatic.  out OUT
 * (NULL on failure; free with strata_inspection_free). */
STRATA_API strata_status strata_inspect(const strata_ctx *ctx, const char *path, const char *location,
                                        const char *const *columns, size_t ncolumns, size_t chunk_rows,
                                        strata_inspection **out);
STRATA_API void strata_inspection_free(strata_inspection *r);

/* ---------------------------------------------------------------- export */

/* `strata export`: joins a labels file (segment, distance per row) back to
 * chosen columns of the input table, by row order, as an RFC 4180 CSV for
 * CRM tools.  Numbers are written exactly (integers as integers, floats in
 * the shortest form that reads back to the same value), dates as ISO
 * dates, booleans as true/false, categorical codes as their text, missing
 * values and unassigned rows (segment -1) as empty fields.  Streams in
 * chunks; the file appears under its name only when complete. */
typedef struct {
  size_t size;                 /* set by strata_csv_export_params_init (see the conventions) */
  const char *labels;          /* labels file (strata fit/assign --labels) */
  const char *data;            /* the table the labels are for; NULL = labels only */
  const char *location;        /* its group; NULL = the root */
  const char *const *columns;  /* columns of data, in this order; NULL = every column */
  size_t ncolumns;
  const char *output;          /* CSV file to write */
  /* Appended (older callers' size still accepted): a name per segment,
   * written in a last column `segment_name` (empty for a row without a
   * segment; a segment beyond nsegment_names gets no name).  NULL = no
   * such column. */
  const char *const *segment_names;
  size_t nsegment_names;
} strata_csv_export_params;

STRATA_API void strata_csv_export_params_init(strata_csv_export_params *p);

/* Owned by the library (it may grow): free with strata_csv_export_result_free. */
typedef struct {
  uint64_t rows;
  size_t cols;     /* data columns written (segment and distance come after) */
  uint64_t bytes;  /* size of the CSV */
  double seconds;
} strata_csv_export_result;

/* Fails with STRATA_ERR_DATA when the labels and the data differ in rows,
 * STRATA_ERR_COLUMN for an unknown column, STRATA_ERR_FORMAT when labels is
 * not a labels file.  p IN, out OUT (NULL on failure). */
STRATA_API strata_status strata_csv_export(const strata_ctx *ctx, const strata_csv_export_params *p, strata_csv_export_result **out);
STRATA_API void strata_csv_export_result_free(strata_csv_export_result *r);

/* ---------------------------------------------------------------- rfm */

/* A transaction table (CSV or an imported HDF5 table, one row per invoice line) to one row per
 * customer (`strata rfm`, docs/FORMAT.md "RFM tables"): a streaming
 * group-by in bounded memory (spilled sorted runs, merged), written as an
 * imported table (the customer key as an identifier column under its own
 * name, then recency_days, frequency, monetary, tenure_days, avg_basket,
 * r_score, f_score, m_score).  Rules:
 *  - a row without a customer key is skipped and counted;
 *  - an invoice whose number starts with 'C' is a cancellation: left out
 *    of every measure (counted), or with returns_subtract its rows add
 *    -|quantity x price| to monetary and nothing else;
 *  - recency_days = reference day - day of the last purchase, tenure_days =
 *    reference day - day of the first purchase (whole calendar days; the
 *    time of day is dropped); the reference day defaults to the day after
 *    the last purchase in the table;
 *  - frequency = distinct invoices; monetary = sum of quantity x price
 *    (exact, rounded once); avg_basket = monetary / frequency;
 *  - a customer with no purchase left (only cancellations) has no row
 *    (counted);
 *  - scores 1-5: score = 1 + floor(5 (rank - 1) / n), rank the 1-based
 *    position in ascending order with ties sharing their lowest rank
 *    (pandas rank(method="min")), ranking -recency_days, frequency and
 *    monetary, so 5 is the most recent, most frequent, highest spending
 *    fifth and tied customers share a score.
 * The output is bit-identical whatever the row order of the input and the
 * memory limit. */
typedef struct {
  size_t size;                 /* set by strata_rfm_params_init */
  const char *input;           /* transaction table: CSV, or HDF5 (an imported table) */
  const char *output;          /* HDF5 table to write */
  const char *customer, *invoice, *date, *quantity, *price; /* column names */
  const char *date_format;     /* strptime-style (%d/%m/%Y %H:%M); NULL = ISO-8601 */
  const char *reference_date;  /* YYYY-MM-DD; NULL = the day after the last purchase */
  int returns_subtract;        /* 1: cancellations reduce monetary; 0: left out */
  char delimiter;              /* 0 = guess among , ; TAB | */
  char decimal;                /* ',': quantity and price are written 10,5; 0 or '.': 10.5 */
  size_t mem_limit;            /* bytes of the group-by table before it spills; 0 = 256 MiB */
} strata_rfm_params;

STRATA_API void strata_rfm_params_init(strata_rfm_params *p);

/* What strata_rfm did (filled by it; no pointers). */
typedef struct {
  uint64_t rows;                 /* data rows read */
  uint64_t customers;            /* rows written */
  uint64_t no_customer;          /* rows skipped for a missing customer key */
  uint64_t cancelled_rows;       /* rows of cancelled invoices */
  uint64_t without_purchase;     /* customers with cancellations only (no row) */
  uint64_t pairs;                /* distinct (customer, invoice) pairs */
  int64_t reference_day;         /* days since 1970-01-01 */
  char reference_date[16];       /* the same, YYYY-MM-DD */
  size_t runs;                   /* sorted runs spilled to disk (0: all in memory) */
  int text_key;                  /* the key column is text (categorical), not int */
  char delimiter;
  double seconds;
} strata_rfm_result;

/* ctx IN, p IN, out OUT.  STRATA_ERR_COLUMN for a missing column,
 * STRATA_ERR_DATA (naming the line and column) for a value that is not a
 * date or a number, or for an empty result; the output appears only when
 * complete. */
STRATA_API strata_status strata_rfm(const strata_ctx *ctx, const strata_rfm_params *p, strata_rfm_result *out);

#ifdef __cplusplus
}
#endif
#endif
