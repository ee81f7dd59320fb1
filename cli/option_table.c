/* The option table of fit, sweep, stability and assign, its parser and the
 * --help pages generated from it. */
#include "option_table.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "options.h"
#include "progress.h"

/* ------------------------------------------------------------ the table */

typedef enum {
  KIND_FLAG,   /* int field := 1 */
  KIND_COUNT,  /* int field += 1 (-v -v) */
  KIND_HELP,   /* prints the page */
  KIND_STRING, /* const char * field := the value */
  KIND_NAME,   /* a non-empty string */
  KIND_INT,    /* int field, in [min, max] */
  KIND_ROWS,   /* size_t field, in [min, the largest size] */
  KIND_U64,    /* uint64_t field */
  KIND_DOUBLE, /* double field >= lo, or within `rule` when the option has one */
  KIND_BYTES,  /* uint64_t field, a byte size such as 512M */
  KIND_CHOICE, /* enum field: the index of the value in `choices` */
  KIND_LIST,   /* cli_list field: comma-separated names */
  KIND_INIT,   /* strata_init field, and cli_args.init_file for a file */
  KIND_KLIST,  /* sweep's k values: A:B or A,B,C into cli_args.ks */
  KIND_PARENT, /* cli_args.parent; cli_args.warm_start := `value` */
  KIND_APPEND  /* cli_args.transforms: repeatable, the values joined by ',' */
} opt_kind;

/* KIND_CHOICE writes the index of the value through an int. */
_Static_assert(sizeof(strata_scale) == sizeof(int) && sizeof(strata_missing) == sizeof(int) &&
                   sizeof(strata_covariance) == sizeof(int) && sizeof(strata_ward_mode) == sizeof(int) &&
                   sizeof(strata_resample) == sizeof(int) && sizeof(cli_progress_mode) == sizeof(int) &&
                   sizeof(strata_refine) == sizeof(int),
               "an enum field of the option table is not int-sized");

/* Which structure an option's field lies in. */
typedef enum { IN_ARGS, IN_FIT, IN_SWEEP, IN_STABILITY } opt_base;

/* Where one command shows an option; section 0: the command refuses it. */
typedef enum {
  SEC_NONE, SEC_REQUIRED, SEC_DATA, SEC_ALGORITHM, SEC_REFITS, SEC_EXECUTION, SEC_OUTPUT,
  SEC_RESAMPLING, SEC_VERDICTS, SEC_EXECUTION_OUTPUT, SEC_OPTIONS, SEC_DRIFT, SEC_COUNT
} section;

static const char *const section_heading[SEC_COUNT] = {
    [SEC_REQUIRED] = "required",
    [SEC_DATA] = "data",
    [SEC_ALGORITHM] = "algorithm",
    [SEC_REFITS] = "refits (stable segment ids)",
    [SEC_EXECUTION] = "execution",
    [SEC_OUTPUT] = "output",
    [SEC_RESAMPLING] = "resampling",
    [SEC_VERDICTS] = "verdicts (a segment's mean Jaccard; Hennig's thresholds)",
    [SEC_EXECUTION_OUTPUT] = "execution and output",
    [SEC_OPTIONS] = "options",
    [SEC_DRIFT] = "drift (against the model's training data, measured in the same pass)",
};

typedef struct {
  section sec;          /* its section in this command's help; SEC_NONE: not accepted */
  int rank;             /* its place within that section */
  const char *arg;      /* this command's name of the value, else the option's */
  const char *help;     /* this command's help text, else the option's */
  long long max;        /* KIND_INT: this command's maximum, else the option's */
  const char *required; /* the error when the option is missing, NULL: optional */
  int no_file;          /* KIND_INIT: refuse a file of centroids */
} opt_use;

typedef struct {
  const char *name; /* long name, without "--" */
  char short_name;  /* 0: none */
  opt_kind kind;
  opt_base base;
  size_t offset;    /* of the field within its base */
  const char *what; /* the option in value errors, NULL: "--name" */
  long long min, max;             /* KIND_INT, KIND_ROWS (max unused) */
  double lo, hi;                  /* KIND_DOUBLE; hi matters only with a rule */
  int open_lo, open_hi;           /* KIND_DOUBLE: lo, hi excluded */
  const char *rule;               /* KIND_DOUBLE: with hi and the open ends, the one error */
  int auto_word;                  /* KIND_DOUBLE: "auto" sets the int field at auto_offset of the
                                     same base to 1 (a number sets it to 0) */
  size_t auto_offset;
  const char *const *choices;     /* KIND_CHOICE */
  const char *zero;               /* help: the default when it is 0 or NULL */
  int value;                      /* KIND_PARENT */
  const char *arg;                /* name of the value in help, NULL: a flag */
  const char *help;               /* "{default}" stands for the default value */
  opt_use use[CLI_NCMDS];
} cli_option;

#define FIELD(b, type, f) .base = b, .offset = offsetof(type, f)
#define ARGS(f) FIELD(IN_ARGS, cli_args, f)
#define FIT(f) FIELD(IN_FIT, strata_fit_params, f)
#define STAB(f) FIELD(IN_STABILITY, strata_stability_params, f)
#define AT(s, r) {.sec = s, .rank = r}

enum { FIT = CLI_CMD_FIT, SWEEP = CLI_CMD_SWEEP, STABILITY = CLI_CMD_STABILITY, ASSIGN = CLI_CMD_ASSIGN };

static const char *const progress_choices[] = {"auto", "bar", "log", "none", NULL}; /* cli_progress_mode */
static const char *const method_choices[] = {"bootstrap", "subsample", NULL};       /* strata_resample */
static const char *const refine_choices[] = {"auto", "none", "swap", NULL};         /* strata_refine */
static const char *const ward_mode_choices[] = {"exact", "twostep", "auto", NULL};   /* strata_ward_mode */

static const cli_option options[] = {
    {"k", 'k', KIND_INT, FIT(k), .what = "k", .min = 1, .max = 1 << 30, .arg = "K",
     .help = "number of segments, at least 1",
     .use = {[FIT] = {SEC_REQUIRED, 1, .help = "number of segments, at least 1 (ward: or\n"
                                               "--distance-threshold instead)",
                      .required = "missing required option -k K"},
             [STABILITY] = {SEC_REQUIRED, 1, .required = "missing required option -k K"}}},
    {"k", 'k', KIND_KLIST, ARGS(ks), .arg = "A:B|A,B,C",
     .help = "the k values: a range A:B (A >= 1; k = 1 has no\n"
             "silhouette, Calinski-Harabasz or Davies-Bouldin) or a\n"
             "list of increasing values",
     .use = {[SWEEP] = {SEC_REQUIRED, 1, .required = "missing required option -k A:B"}}},
    {"output", 'o', KIND_STRING, ARGS(output), .arg = "FILE",
     .use = {[FIT] = {SEC_REQUIRED, 2, "MODEL.h5", "model file to write",
                      .required = "missing required option -o MODEL.h5"},
             [SWEEP] = {SEC_OUTPUT, 3, .help = "write the result (table, --csv or --json) to FILE instead\n"
                                               "of standard output (temporary name, then renamed)"},
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 4,
                            .help = "write the table or JSON to FILE instead of standard output"}}},
    {"labels", 0, KIND_STRING, ARGS(labels), .arg = "OUT.h5",
     .help = "also write each row's segment and distance to OUT.h5",
     .use = {[FIT] = AT(SEC_OUTPUT, 1),
             [ASSIGN] = {SEC_REQUIRED, 1, .help = "labels file to write (segment and distance per row)",
                         .required = "missing required option --labels OUT.h5"}}},
    {"soft", 0, KIND_FLAG, FIT(soft),
     .help = "gmm: the labels file also holds `probability`, each row's\nprobability of each segment (rows x K float32)",
     .use = {[FIT] = AT(SEC_OUTPUT, 2), [ASSIGN] = AT(SEC_OPTIONS, 1)}},
    {"dataset", 0, KIND_STRING, ARGS(location), .arg = "PATH",
     .help = "group or 2-D dataset inside DATA.h5 (default: the root\n"
             "group's columns, else its only 2-D dataset)",
     .use = {[FIT] = AT(SEC_DATA, 1), [ASSIGN] = AT(SEC_OPTIONS, 1),
             [SWEEP] = {SEC_DATA, 1, .help = "group or 2-D dataset inside DATA.h5"},
             [STABILITY] = {SEC_DATA, 1, .help = "group or 2-D dataset inside DATA.h5"}}},
    {"features", 0, KIND_LIST, ARGS(features), .arg = "a,b,c",
     .help = "columns to use, in this order (default: every numeric\n"
             "column but identifiers, booleans, dates and columns\n"
             "dominated by a sentinel such as -1 or 999, each named in\n"
             "a note; a date named here is used as its age in days)",
     .use = {[FIT] = AT(SEC_DATA, 2), [STABILITY] = AT(SEC_DATA, 2),
             [SWEEP] = {SEC_DATA, 2, .help = "columns to use (default: the safe numeric columns, as fit)"}}},
    {"exclude", 0, KIND_LIST, ARGS(exclude), .arg = "a,b",
     .help = "columns to leave out of the features",
     .use = {[FIT] = AT(SEC_DATA, 3), [SWEEP] = AT(SEC_DATA, 3), [STABILITY] = AT(SEC_DATA, 3)}},
    {"weights", 0, KIND_STRING, ARGS(weights), .arg = "COLUMN",
     .help = "weigh each row by this column (e.g. customer value; finite,\n"
             ">= 0): weighted scaler statistics, seeding, means and inertia\n"
             "(scikit-learn's sample_weight); kmeans, minibatch (CPU kernels),\n"
             "gmm (weighted EM), ward (a row or micro-cluster weighs its weight),\n"
             "dbscan (a row counts its weight towards --min-samples)",
     .use = {[FIT] = AT(SEC_DATA, 5), [STABILITY] = AT(SEC_DATA, 5),
             [SWEEP] = {SEC_DATA, 5,
                        .help = "weigh each row by this column (finite, >= 0): every k's\n"
                                "k-means fit, inertia, Calinski-Harabasz, Davies-Bouldin and\n"
                                "silhouette (gmm: log-likelihood, BIC, AIC) are weighted\n"
                                "(kmeans, gmm)"}}},
    {"categorical", 0, KIND_LIST, ARGS(categorical), .arg = "r,c",
     .help = "text columns of an imported table to use, one-hot encoded;\n"
             "segment centroids then give each category's share",
     .use = {[FIT] = AT(SEC_DATA, 4),
             [SWEEP] = {SEC_DATA, 4, .help = "text columns of an imported table, one-hot encoded"},
             [STABILITY] = {SEC_DATA, 4, .help = "text columns of an imported table, one-hot encoded and\n"
                                                 "weighted as in fit"}}},
    {"categorical-weight", 0, KIND_DOUBLE, FIT(categorical_weight), .lo = 0.0,
     .hi = STRATA_MAX_CATEGORICAL_WEIGHT, .open_lo = 1, .rule = "must be a number above 0 and at most 1e6",
     .arg = "W",
     .help = "each categorical column weighs like W standardised\nnumeric columns (default {default})",
     .use = {[FIT] = AT(SEC_DATA, 5),
             [SWEEP] = {SEC_DATA, 5, .help = "weight of each categorical column (default {default})"},
             [STABILITY] = {SEC_DATA, 5, .help = "weight of each categorical column (default {default})"}}},
    {"scale", 0, KIND_CHOICE, FIT(scale), .choices = cli_scale_choices, .arg = "zscore|minmax|none|robust",
     .help = "feature scaling (default {default}); robust: median and\n"
             "interquartile range, as scikit-learn's RobustScaler",
     .use = {[FIT] = AT(SEC_DATA, 6), [SWEEP] = AT(SEC_DATA, 6), [STABILITY] = AT(SEC_DATA, 6)}},
    {"transform", 0, KIND_APPEND, ARGS(transforms), .arg = "COL:T",
     .help = "transform a column before scaling, T = log1p, yeo-johnson\n"
             "(lambda by maximum likelihood, as scikit-learn's\n"
             "PowerTransformer) or clip(pA,pB) (to its A-th and B-th\n"
             "percentiles); repeatable or comma-separated; saved in\n"
             "the model and applied by assign",
     .use = {[FIT] = AT(SEC_DATA, 7), [SWEEP] = AT(SEC_DATA, 7), [STABILITY] = AT(SEC_DATA, 7)}},
    {"missing", 0, KIND_CHOICE, FIT(missing), .choices = cli_missing_choices, .arg = "error|drop|mean|median",
     .help = "rows with missing values (default {default})",
     .use = {[FIT] = AT(SEC_DATA, 8), [SWEEP] = AT(SEC_DATA, 8), [STABILITY] = AT(SEC_DATA, 8)}},
    {"sample", 0, KIND_ROWS, STAB(sample_rows), .min = 1, .arg = "N",
     .help = "rows of the seeded sample held in memory, all rows when\nfewer (default {default})",
     .use = {[STABILITY] = AT(SEC_DATA, 9)}},
    {"algorithm", 0, KIND_NAME, FIT(algorithm), .zero = "kmeans", .arg = "NAME",
     .help = "the clustering method: kmeans; minibatch (mini-batch\n"
             "k-means: seeded batches of whole 4096-row blocks, a\n"
             "learning rate per centre, stop when the batch inertia's\n"
             "moving average stops falling for 10 batches or after\n"
             "--max-iter batches, then one full pass); gmm (Gaussian\n"
             "mixture by EM); ward (hierarchical, Ward linkage, exact on the\n"
             "rows held in memory; assign then gives a row its nearest\n"
             "segment centroid); dbscan (density, exact, in memory; no\n"
             "-k; noise is segment -1; assign gives a row the segment\n"
             "of the nearest core point within eps, else -1) (default\n{default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1),
             [STABILITY] = {SEC_RESAMPLING, 4, "kmeans|gmm|ward",
                            "the method refitted: kmeans, gmm or ward (a method\nwith a k) (default {default})"}}},
    {"algorithm", 0, KIND_NAME, FIELD(IN_SWEEP, strata_sweep_params, algorithms), .zero = "kmeans",
     .arg = "M,M,...",
     .help = "the methods to compare, comma-separated: kmeans (shared\n"
             "passes), gmm (lowest BIC picks its k), ward (each k\n"
             "is `fit --algorithm ward -k K`); then one (method, k)\n"
             "is recommended (default {default})",
     .use = {[SWEEP] = AT(SEC_ALGORITHM, 1)}},
    {"stability", 0, KIND_INT, FIELD(IN_SWEEP, strata_sweep_params, stability_runs), .min = 2, .max = 100000,
     .arg = "R",
     .help = "also refit each method and k on R bootstrap resamples of\n"
             "the silhouette sample (strata stability) and report the\n"
             "mean ARI; a pick below 0.6 yields to a stable one",
     .use = {[SWEEP] = AT(SEC_ALGORITHM, 8)}},
    {"covariance-type", 0, KIND_CHOICE, FIT(covariance_type), .choices = cli_covariance_choices,
     .arg = "T",
     .help = "gmm: full, tied, diag or spherical covariances, as\nscikit-learn's covariance_type (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1), [SWEEP] = AT(SEC_ALGORITHM, 2), [STABILITY] = AT(SEC_RESAMPLING, 5)}},
    {"reg-covar", 0, KIND_DOUBLE, FIT(reg_covar), .lo = 0.0, .arg = "X",
     .help = "gmm: added to the covariances' diagonal, scaled units,\nkeeping them positive definite (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1), [SWEEP] = AT(SEC_ALGORITHM, 2), [STABILITY] = AT(SEC_RESAMPLING, 5)}},
    {"distance-threshold", 0, KIND_DOUBLE, FIT(distance_threshold), .lo = 0.0, .hi = 1e300, .open_lo = 1,
     .rule = "must be a number above 0", .arg = "X",
     .help = "ward: cut the dendrogram at merge height X (scipy's\n"
             "Ward height, scaled units) instead of into K segments",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"ward-mode", 0, KIND_CHOICE, FIT(ward_mode), .choices = ward_mode_choices, .arg = "exact|twostep|auto",
     .help = "ward: exact (rows held in memory), twostep (rows streamed\n"
             "into --micro-clusters k-means micro-clusters, then Ward\n"
             "on their weighted means; for tables past --mem-limit) or\n"
             "auto (exact when the rows fit, else twostep) (default\n{default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"micro-clusters", 0, KIND_INT, FIT(ward_micro), .min = 2, .max = 1 << 20, .arg = "N",
     .help = "ward twostep: micro-clusters (at most the rows) (default\n{default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"eps", 0, KIND_DOUBLE, FIT(eps), .lo = 0.0, .hi = 1e300, .open_lo = 1,
     .rule = "must be a number above 0 or auto", .auto_word = 1,
     .auto_offset = offsetof(strata_fit_params, eps_auto), .arg = "X|auto",
     .help = "dbscan: neighbourhood radius, scaled units; auto: the\n"
             "knee of the min-samples-distance curve of --eps-sample rows",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"batch-rows", 0, KIND_ROWS, FIT(batch_rows), .min = 1, .arg = "N",
     .help = "minibatch: rows per batch, rounded up to whole blocks\nof 4096 rows (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"eps-sample", 0, KIND_ROWS, FIT(eps_sample), .min = 2, .arg = "N",
     .help = "dbscan --eps auto: seeded rows whose k-distances make\nthe curve (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"min-samples", 0, KIND_INT, FIT(min_samples), .min = 1, .max = 1 << 30, .arg = "N",
     .help = "dbscan: rows within eps (itself included) that make a\ncore row (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1)}},
    {"init", 0, KIND_INIT, FIT(init), .arg = "METHOD|FILE",
     .help = "initial centroids: k-means++ (greedy, on the init\n"
             "sample), k-means|| (k-means only: 5 rounds over every row\n"
             "taking about 2K rows each, reduced to K by weighted\n"
             "k-means++; 2 passes a round) or random (default {default});\n"
             "FILE is a CSV of K rows of one value per feature in\n"
             "original units, with an optional header row of the\n"
             "feature names",
     .use = {[FIT] = AT(SEC_ALGORITHM, 1),
             [SWEEP] = {SEC_ALGORITHM, 1, "k-means++|random", "initial centroids (default {default})",
                        .no_file = 1}}},
    {"n-init", 0, KIND_INT, FIT(n_init), .min = 1, .max = 1000000, .arg = "N",
     .help = "restarts, the lowest inertia (gmm: highest log-likelihood)\nis kept (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 2),
             [SWEEP] = {SEC_ALGORITHM, 3, .max = 1000,
                        .help = "restarts per k, the lowest inertia kept, as fit --n-init\n"
                                "(default {default}); every restart shares the data passes"},
             [STABILITY] = {SEC_RESAMPLING, 5, .max = 100000000, .help = "restarts per fit (default {default})"}}},
    {"max-iter", 0, KIND_INT, FIT(max_iter), .min = 1, .max = 100000000, .arg = "N",
     .help = "maximum iterations per run (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 3),
             [SWEEP] = {SEC_ALGORITHM, 2, .help = "maximum iterations per k (default {default})"},
             [STABILITY] = {SEC_RESAMPLING, 6, .help = "maximum iterations per fit (default {default})"}}},
    {"tol", 0, KIND_DOUBLE, FIT(tol), .lo = 0.0, .arg = "X",
     .help = "convergence threshold, relative to the mean feature\nvariance (default {default}); gmm: bound on the "
             "change of\nthe mean log-likelihood per row (scikit-learn's 1e-3)",
     .use = {[FIT] = AT(SEC_ALGORITHM, 4),
             [SWEEP] = {SEC_ALGORITHM, 4, .help = "convergence threshold, relative to the mean feature\n"
                                                  "variance (default {default})"},
             [STABILITY] = {SEC_RESAMPLING, 7, .help = "convergence threshold (default {default})"}}},
    {"seed", 0, KIND_U64, FIT(seed), .arg = "S", .help = "random seed (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 5), [SWEEP] = AT(SEC_ALGORITHM, 5),
             [STABILITY] = {SEC_RESAMPLING, 4, .help = "seed of the sample, the reference fit (S) and run r's\n"
                                                       "draw and fit (S+1+r) (default {default})"}}},
    {"init-sample", 0, KIND_ROWS, FIT(init_sample), .zero = "automatic", .arg = "N",
     .help = "rows sampled for initialisation (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 6), [SWEEP] = AT(SEC_ALGORITHM, 6)}},
    {"refine", 0, KIND_CHOICE, FIT(refine), .choices = refine_choices, .arg = "auto|none|swap",
     .help = "after Lloyd, trial swaps on the init sample (a centroid\n"
             "removed, one added at a k-means++ draw), then Lloyd on all\n"
             "rows, kept when the inertia drops (swap); auto: swap\n"
             "unless from a FILE or --warm-start (default {default})",
     .use = {[FIT] = AT(SEC_ALGORITHM, 7),
             [STABILITY] = {SEC_RESAMPLING, 8, .help = "refinement of each fit, as in fit (default {default})"}}},
    {"silhouette-sample", 0, KIND_ROWS, FIELD(IN_SWEEP, strata_sweep_params, silhouette_sample), .arg = "N",
     .help = "rows of the seeded silhouette sample, exact on it;\n0 = no silhouette (default {default})",
     .use = {[SWEEP] = AT(SEC_ALGORITHM, 7)}},
    {"runs", 0, KIND_INT, STAB(runs), .min = 2, .max = 1000000, .arg = "R",
     .help = "refits, at least 2 (default {default})", .use = {[STABILITY] = AT(SEC_RESAMPLING, 1)}},
    {"method", 0, KIND_CHOICE, STAB(method), .choices = method_choices, .arg = "bootstrap|subsample",
     .help = "bootstrap: as many rows as the sample, with\n"
             "replacement; subsample: a share of it without (default {default})",
     .use = {[STABILITY] = AT(SEC_RESAMPLING, 2)}},
    {"fraction", 0, KIND_DOUBLE, STAB(fraction), .lo = 0.0, .hi = 1.0, .open_lo = 1, .open_hi = 1,
     .rule = "must be above 0 and below 1", .arg = "F",
     .help = "subsample share, above 0 and below 1 (default {default})",
     .use = {[STABILITY] = AT(SEC_RESAMPLING, 3)}},
    {"stable", 0, KIND_DOUBLE, STAB(stable), .lo = 0.0, .hi = 1.0, .rule = "must be a number from 0 to 1",
     .arg = "X", .help = "at least X: \"stable\" (default {default})",
     .use = {[STABILITY] = AT(SEC_VERDICTS, 1)}},
    {"unstable", 0, KIND_DOUBLE, STAB(unstable), .lo = 0.0, .hi = 1.0, .rule = "must be a number from 0 to 1",
     .arg = "X", .help = "at least X: \"patterns\", below: \"unstable\" (default {default})",
     .use = {[STABILITY] = AT(SEC_VERDICTS, 2)}},
    {"dissolved", 0, KIND_DOUBLE, STAB(dissolved), .lo = 0.0, .hi = 1.0, .rule = "must be a number from 0 to 1",
     .arg = "X",
     .help = "at most X: \"dissolved\"; a run with a Jaccard at most X\ndissolves the segment (default {default})",
     .use = {[STABILITY] = AT(SEC_VERDICTS, 3)}},
    {"warm-start", 0, KIND_PARENT, ARGS(parent), .value = 1, .arg = "PREV.h5",
     .help = "start from PREV's centroids (original units, scaled with\n"
             "this data's scaler; k above PREV's continues k-means++,\n"
             "below keeps PREV's largest segments) and number the new\n"
             "segments after PREV's",
     .use = {[FIT] = AT(SEC_REFITS, 1)}},
    {"match-ids", 0, KIND_PARENT, ARGS(parent), .value = 0, .arg = "PREV.h5",
     .help = "initialise as usual (--init) but number the new segments\nafter PREV's",
     .use = {[FIT] = AT(SEC_REFITS, 2)}},
    {"no-drift", 0, KIND_FLAG, ARGS(no_drift), .help = "do not measure drift", .use = {[ASSIGN] = AT(SEC_DRIFT, 1)}},
    {"drift-share", 0, KIND_DOUBLE, ARGS(drift.share), .lo = 0.0, .arg = "X",
     .help = "flag a segment whose share of the rows moved by more than X\n(absolute, default 0.05 = 5 points)",
     .use = {[FIT] = AT(SEC_REFITS, 4), [ASSIGN] = AT(SEC_DRIFT, 2)}},
    {"drift-distance", 0, KIND_DOUBLE, ARGS(drift.distance), .lo = 0.0, .arg = "X",
     .help = "flag a segment whose mean distance to its centroid changed by\n"
             "more than X relative (default {default})",
     .use = {[FIT] = AT(SEC_REFITS, 5), [ASSIGN] = AT(SEC_DRIFT, 3)}},
    {"drift-shift", 0, KIND_DOUBLE, ARGS(drift.shift), .lo = 0.0, .arg = "X",
     .help = "flag a feature whose mean moved by more than X training\nstandard deviations (default {default})",
     .use = {[FIT] = AT(SEC_REFITS, 6), [ASSIGN] = AT(SEC_DRIFT, 4)}},
    {"backend", 0, KIND_NAME, ARGS(backend), .zero = "auto", .arg = "NAME",
     .help = "compute backend (default {default}): auto measures the CPU's\n"
             "SIMD kernels, sgemm and the OpenCL devices on the init\n"
             "sample and says why it chose; ref, cpu (best SIMD here),\n"
             "blas, avx2, avx512;\n"
             "opencl (first GPU) or opencl:N (device N of\n"
             "'strata devices')",
     .use = {[FIT] = AT(SEC_EXECUTION, 1),
             [SWEEP] = {SEC_EXECUTION, 1, "auto|ref|cpu|blas|avx2|avx512",
                        "CPU kernels (default {default}; a device\nbackend is not used by sweep)"},
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 2, .help = "compute backend of the fits (default {default})"}}},
    {"threads", 0, KIND_INT, ARGS(threads), .min = 0, .max = 65536, .arg = "T",
     .help = "threads, 0 = all available (default {default})",
     .use = {[FIT] = AT(SEC_EXECUTION, 2), [SWEEP] = AT(SEC_EXECUTION, 2), [ASSIGN] = AT(SEC_OPTIONS, 3),
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 1, .max = 100000000,
                            .help = "threads per fit, 0 = all available (default {default})"}}},
    {"chunk-rows", 0, KIND_ROWS, FIT(chunk_rows), .arg = "R",
     .help = "rows per I/O chunk, 0 = follow the file's chunking (default {default})",
     .use = {[FIT] = AT(SEC_EXECUTION, 3), [ASSIGN] = AT(SEC_OPTIONS, 2),
             [SWEEP] = {SEC_EXECUTION, 3, .help = "rows per I/O chunk, 0 = follow the file's chunking"}}},
    {"mem-limit", 0, KIND_BYTES, FIT(mem_limit), .arg = "SIZE",
     .help = "memory the scaled data may use to stay in memory between\n"
             "passes, e.g. 512M or 8G; 0 = half the available memory\n"
             "(default 0)",
     .use = {[FIT] = AT(SEC_EXECUTION, 4),
             [SWEEP] = {SEC_EXECUTION, 4, .help = "memory the scaled data may use to stay in memory between\n"
                                                  "passes; 0 = half the available memory (default 0)"}}},
    {"streaming", 0, KIND_FLAG, FIT(streaming), .help = "never keep the data in memory: every pass reads the file",
     .use = {[FIT] = AT(SEC_EXECUTION, 5), [SWEEP] = AT(SEC_EXECUTION, 5)}},
    {"checkpoint", 0, KIND_STRING, FIT(checkpoint_path), .arg = "FILE",
     .help = "k-means: save the fit's state to FILE (temporary name,\n"
             "then renamed) every --checkpoint-every iterations, and on\n"
             "SIGTERM or SIGUSR1 (across MPI ranks SIGUSR1 only) save it\n"
             "and stop with exit status 75; removed when the fit completes",
     .use = {[FIT] = AT(SEC_EXECUTION, 6)}},
    {"checkpoint-every", 0, KIND_INT, FIT(checkpoint_every), .min = 0, .max = 100000000, .arg = "N",
     .help = "also save the checkpoint after every N-th iteration of a\nrun; 0 = only on a signal (default {default})",
     .use = {[FIT] = AT(SEC_EXECUTION, 7)}},
    {"resume", 0, KIND_STRING, FIT(resume_path), .arg = "FILE",
     .help = "take up the fit a checkpoint FILE saved: same data, same\n"
             "options (threads, chunk rows and ranks may differ); the\n"
             "model and labels equal an uninterrupted run's",
     .use = {[FIT] = AT(SEC_EXECUTION, 8)}},
    {"json", 0, KIND_FLAG, ARGS(json), .help = "print one JSON object on stdout instead of the summary",
     .use = {[FIT] = AT(SEC_OUTPUT, 2), [ASSIGN] = AT(SEC_OPTIONS, 4),
             [SWEEP] = {SEC_OUTPUT, 1, .help = "the result as one JSON object"},
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 3, .help = "one JSON object instead of the table"}}},
    {"csv", 0, KIND_FLAG, ARGS(csv), .help = "the result as CSV, one row per k", .use = {[SWEEP] = AT(SEC_OUTPUT, 2)}},
    {"min-segment-share", 0, KIND_DOUBLE, ARGS(min_segment_share), .lo = 0.0, .hi = 1.0,
     .rule = "must be a number from 0 to 1", .arg = "X",
     .help = "warn about segments holding less than this share of the\n"
             "rows (default 0.01, or a quarter of the average share\n"
             "1/(4K) when that is smaller; 0 = never)",
     .use = {[FIT] = AT(SEC_OUTPUT, 3)}},
    {"progress", 0, KIND_CHOICE, ARGS(progress), .choices = progress_choices, .arg = "auto|bar|log|none",
     .help = "progress on stderr; auto = bar on a terminal,\n"
             "none otherwise; log = one line per iteration (default {default})",
     .use = {[FIT] = AT(SEC_OUTPUT, 4),
             [SWEEP] = {SEC_OUTPUT, 4, .help = "progress on stderr; auto = bar on a terminal,\n"
                                               "none otherwise; log = one line per shared pass (default {default})"}}},
    {"verbose", 'v', KIND_COUNT, ARGS(verbose), .help = "also print the per-iteration table and library info",
     .use = {[FIT] = AT(SEC_OUTPUT, 5),
             [SWEEP] = {SEC_OUTPUT, 5, .help = "library info on stderr, one line per shared pass"},
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 5, .help = "also report each run on stderr"},
             [ASSIGN] = {SEC_OPTIONS, 5, .help = "also print library info"}}},
    {"quiet", 'q', KIND_FLAG, ARGS(quiet), .help = "print nothing but errors (and --json output)",
     .use = {[FIT] = AT(SEC_OUTPUT, 6), [ASSIGN] = AT(SEC_OPTIONS, 6),
             [SWEEP] = {SEC_OUTPUT, 6, .help = "print nothing but errors (and -o / --json / --csv output)"},
             [STABILITY] = {SEC_EXECUTION_OUTPUT, 6, .help = "print nothing but errors (and --json or -o output)"}}},
    {"help", 'h', KIND_HELP, ARGS(data), .help = "show this help",
     .use = {[FIT] = AT(SEC_OUTPUT, 7), [SWEEP] = AT(SEC_OUTPUT, 7), [STABILITY] = AT(SEC_EXECUTION_OUTPUT, 7),
             [ASSIGN] = AT(SEC_OPTIONS, 7)}},
};
enum { NOPTIONS = sizeof options / sizeof options[0] };

/* ------------------------------------------------------------ the pages */

/* Text of a page that is not an option: a note placed among the options of
 * a section (at `rank`, as an option would be). */
typedef struct {
  section sec;
  int rank;
  const char *text;
} help_note;

typedef struct {
  const char *name; /* the command, for "try 'strata NAME --help'" */
  const char *head; /* usage line and description */
  section sections[6];
  help_note note;
  const char *foot;
  int npos;                   /* positional arguments: [MODEL.h5] DATA.h5 */
  const char *missing_pos[2]; /* the error when i of them are given */
  const char *exclusive[2][2]; /* pairs of options that exclude each other, checked in this order */
} cli_page;

static const cli_page pages[CLI_NCMDS] = {
    [FIT] = {"fit",
             "usage: strata fit DATA.h5 -k K -o MODEL.h5 [options]\n"
             "\n"
             "Clusters the rows of DATA.h5 into K segments (k-means, or --algorithm gmm, ward\n"
             "or dbscan) and saves the model.\n",
             {SEC_REQUIRED, SEC_DATA, SEC_ALGORITHM, SEC_REFITS, SEC_EXECUTION, SEC_OUTPUT},
             {SEC_REFITS, 3,
              "  Either way segment i continues PREV's segment i by optimal assignment on\n"
              "  centroid distance (Hungarian); unmatched segments are reported new, PREV's\n"
              "  unmatched ones vanished, and the model records PREV as its parent.  The data\n"
              "  is read with PREV's features unless --features is given; they must match;\n"
              "  without --transform, PREV's log1p, yeo-johnson and age-days transforms are\n"
              "  fitted again on this data (a clip must be given again).\n"
              "  The summary compares this fit's training data with PREV's (drift):\n"},
             "Outputs are written under a temporary name and renamed into place when complete;\n"
             "on failure no output file is left.  Exit status: 0 ok, 1 runtime failure,\n"
             "2 bad usage or bad input, 75 stopped after saving the --checkpoint file.\n",
             1, {"missing the data file"}, {{"quiet", "verbose"}}},
    [SWEEP] = {"sweep",
               "usage: strata sweep DATA.h5 -k A:B [options]\n"
               "\n"
               "Fits k-means for every k in a range in one job (the data is read once per\n"
               "iteration for all k) and scores each k: inertia and its knee, silhouette on a\n"
               "seeded sample, Calinski-Harabasz and Davies-Bouldin over all rows; then\n"
               "recommends a k and says why.  Each k gives the model `strata fit -k K` gives\n"
               "with the same options and seed.  With --algorithm kmeans,gmm,ward it compares\n"
               "the methods on the same data (gmm adds BIC and AIC; silhouettes on the same\n"
               "sample) and recommends a method and k.\n",
               {SEC_REQUIRED, SEC_DATA, SEC_ALGORITHM, SEC_EXECUTION, SEC_OUTPUT},
               {SEC_NONE, 0, NULL},
               "Metrics are in scaled units, over the rows used.  The recommended k is the knee\n"
               "of the inertia curve when its silhouette is within 0.05 of the best silhouette,\n"
               "else the k with the best silhouette.  Comparing methods, each method picks a k\n"
               "(gmm: the lowest BIC; kmeans, ward: the rule above) and the pick with the\n"
               "highest silhouette is recommended.  Exit status: 0 ok, 1 runtime failure,\n"
               "2 bad usage or bad input.\n",
               1, {"missing the data file"}, {{"json", "csv"}, {"quiet", "verbose"}}},
    [STABILITY] = {"stability",
                   "usage: strata stability DATA.h5 -k K [options]\n"
                   "\n"
                   "Measures how stable K segments are: refits k-means (or --algorithm gmm or ward)\n"
                   "on resamples of a seeded sample of DATA.h5 and reports the adjusted Rand index\n"
                   "between the runs and, per segment of the reference fit (the whole sample), its\n"
                   "mean Jaccard similarity to the best-matching cluster of each run on the rows that\n"
                   "run drew (Hennig's cluster-wise stability, as R's fpc::clusterboot).  Each run\n"
                   "labels the whole sample by its own model (nearest centroid; gmm: the most\n"
                   "probable component).\n",
                   {SEC_REQUIRED, SEC_DATA, SEC_RESAMPLING, SEC_VERDICTS, SEC_EXECUTION_OUTPUT},
                   {SEC_NONE, 0, NULL},
                   "The overall verdict is the worst segment's.  Same seed, same output, for any\n"
                   "thread count.  Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
                   1, {"missing the data file"}, {{"quiet", "verbose"}}},
    [ASSIGN] = {"assign",
                "usage: strata assign MODEL.h5 DATA.h5 --labels OUT.h5 [options]\n"
                "\n"
                "Scores the rows of DATA.h5 into the segments of MODEL.h5 (nearest centroid, with\n"
                "the model's scaling and missing-value rule) and writes their labels.  DATA.h5 must\n"
                "hold the model's features, by name.  A Gaussian mixture (fit --algorithm gmm)\n"
                "labels each row with its most probable component; its distance is the\n"
                "Mahalanobis distance to that component's mean.  A ward model scores a row by\n"
                "the nearest of its segment centroids (the dendrogram is not re-cut); a dbscan\n"
                "model by the nearest core point within eps, else -1 (noise).\n",
                {SEC_REQUIRED, SEC_OPTIONS, SEC_DRIFT},
                {SEC_DRIFT, 5,
                 "  A crossed threshold prints a warning line per segment or feature; the exit\n"
                 "  status stays 0.  Models saved by older Strata versions have no training reference:\n"
                 "  drift is then skipped with a warning.\n"},
                "The labels are written under a temporary name and renamed into place when\n"
                "complete.  Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
                2, {"missing the model file and the data file", "missing the data file"}, {{"quiet", "verbose"}}},
};

/* ------------------------------------------------------------ shared */

static void *field(const cli_option *o, cli_args *a) {
  char *base = o->base == IN_ARGS        ? (char *)a
               : o->base == IN_FIT       ? (char *)a->fit
               : o->base == IN_SWEEP     ? (char *)a->sweep
                                         : (char *)a->stability;
  return base + o->offset;
}

/* "--name", or the option's own name for errors ("k"). */
static const char *what(const cli_option *o, char *buf, size_t len) {
  if (o->what) return o->what;
  snprintf(buf, len, "--%s", o->name);
  return buf;
}

/* The library's defaults, as every parse starts from them. */
static void set_defaults(cli_cmd cmd, cli_args *a) {
  if (cmd == CLI_CMD_SWEEP) strata_sweep_params_init(a->sweep);
  else if (cmd == CLI_CMD_STABILITY) strata_stability_params_init(a->stability);
  else strata_fit_params_init(a->fit);
  strata_drift_thresholds_init(&a->drift);
  a->progress = CLI_PROGRESS_AUTO;
  a->min_segment_share = -1.0; /* automatic: cli_min_segment_share */
}

/* ------------------------------------------------------------ help */

static void format_default(const cli_option *o, cli_args *a, char *buf, size_t len) {
  const void *f = field(o, a);
  switch (o->kind) {
    case KIND_INT: snprintf(buf, len, "%d", *(const int *)f); break;
    case KIND_ROWS:
      if (o->zero && *(const size_t *)f == 0) snprintf(buf, len, "%s", o->zero);
      else snprintf(buf, len, "%zu", *(const size_t *)f);
      break;
    case KIND_U64: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)f); break;
    case KIND_DOUBLE: snprintf(buf, len, "%g", *(const double *)f); break;
    case KIND_CHOICE: snprintf(buf, len, "%s", o->choices[*(const int *)f]); break;
    case KIND_INIT: snprintf(buf, len, "%s", cli_init_name(*(const strata_init *)f)); break;
    case KIND_NAME: {
      const char *s = *(const char *const *)f;
      snprintf(buf, len, "%s", s ? s : o->zero);
      break;
    }
    default: snprintf(buf, len, "?"); break;
  }
}

/* One option's lines: "  -k, --k K" padded to the text column; a label too
 * long for it goes to a second column when it lists choices ("zscore|minmax"),
 * else two spaces follow it.  Continuation lines start at the text column. */
static void print_option(FILE *f, const cli_option *o, const opt_use *u, cli_args *a) {
  enum { TEXT_COLUMN = 26, CHOICES_COLUMN = 39 };
  const char *arg = u->arg ? u->arg : o->arg;
  char label[128];
  int n = o->short_name ? snprintf(label, sizeof label, "  -%c, --%s", o->short_name, o->name)
                        : snprintf(label, sizeof label, "      --%s", o->name);
  if (arg) n += snprintf(label + n, sizeof label - (size_t)n, " %s", arg);
  int column = n < TEXT_COLUMN                                   ? TEXT_COLUMN
               : arg && strchr(arg, '|') && n < CHOICES_COLUMN ? CHOICES_COLUMN
                                                               : n + 2;
  fprintf(f, "%-*s", column, label);
  char def[64];
  format_default(o, a, def, sizeof def);
  for (const char *s = u->help ? u->help : o->help; *s; s++) {
    if (strncmp(s, "{default}", 9) == 0) {
      fputs(def, f);
      s += 8;
    } else if (*s == '\n') {
      fprintf(f, "\n%*s", TEXT_COLUMN, "");
    } else {
      fputc(*s, f);
    }
  }
  fputc('\n', f);
}

static void cli_args_usage(cli_cmd cmd, FILE *f) {
  strata_fit_params fit;
  strata_sweep_params sweep;
  strata_stability_params stability;
  cli_args a;
  memset(&a, 0, sizeof a);
  a.fit = cmd == CLI_CMD_SWEEP ? &sweep.fit : cmd == CLI_CMD_STABILITY ? &stability.fit : &fit;
  a.sweep = &sweep;
  a.stability = &stability;
  set_defaults(cmd, &a);
  const cli_page *p = &pages[cmd];
  fputs(p->head, f);
  for (size_t s = 0; s < sizeof p->sections / sizeof p->sections[0] && p->sections[s]; s++) {
    section sec = p->sections[s];
    fprintf(f, "\n%s:\n", section_heading[sec]);
    for (int rank = 1;; rank++) { /* ranks are 1, 2, ... without gaps */
      int found = 0;
      for (size_t i = 0; i < NOPTIONS; i++) {
        const opt_use *u = &options[i].use[cmd];
        if (u->sec == sec && u->rank == rank) {
          print_option(f, &options[i], u, &a);
          found = 1;
        }
      }
      if (p->note.sec == sec && p->note.rank == rank) {
        fputs(p->note.text, f);
        found = 1;
      }
      if (!found) break;
    }
  }
  fprintf(f, "\n%s", p->foot);
}

/* ------------------------------------------------------------ parse */

/* "A:B" or "A,B,C" (or one value). */
static int parse_k(const char *text, cli_args *a, char *err, size_t errlen) {
  long long lo, hi;
  free(a->ks);
  a->ks = NULL;
  const char *colon = strchr(text, ':');
  if (colon) {
    char left[32];
    size_t len = (size_t)(colon - text);
    if (len == 0 || len >= sizeof left) {
      snprintf(err, errlen, "-k: expected A:B or A,B,C (got '%s')", text);
      return 0;
    }
    memcpy(left, text, len);
    left[len] = '\0';
    if (!cli_opt_int(left, "-k range start", 1, 1 << 20, &lo, err, errlen) ||
        !cli_opt_int(colon + 1, "-k range end", 1, 1 << 20, &hi, err, errlen))
      return 0;
    if (hi < lo) {
      snprintf(err, errlen, "-k: empty range %lld:%lld (the end is below the start)", lo, hi);
      return 0;
    }
    a->nk = (size_t)(hi - lo + 1);
    a->ks = cli_xcalloc(a->nk, sizeof *a->ks);
    for (size_t i = 0; i < a->nk; i++) a->ks[i] = (int)lo + (int)i;
    return 1;
  }
  char **items = NULL;
  size_t n = 0;
  if (!cli_opt_list(text, "-k", &items, &n, err, errlen)) return 0;
  a->ks = cli_xcalloc(n, sizeof *a->ks);
  a->nk = n;
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++) {
    ok = cli_opt_int(items[i], "-k", 1, 1 << 20, &lo, err, errlen);
    a->ks[i] = (int)lo;
    if (ok && i > 0 && a->ks[i] <= a->ks[i - 1]) {
      snprintf(err, errlen, "-k: values must be increasing (%d after %d)", a->ks[i], a->ks[i - 1]);
      ok = 0;
    }
  }
  cli_opt_list_free(items);
  return ok;
}

/* A number within the option's rule: outside it, the rule is the error. */
static int parse_double(const cli_option *o, const char *text, double *out, char *err, size_t errlen) {
  char name[64];
  const char *w = what(o, name, sizeof name);
  int ok = cli_opt_double(text, w, o->lo, out, err, errlen);
  if (!o->rule) return ok;
  if (ok && (o->open_lo && !(*out > o->lo))) ok = 0;
  if (ok && (o->open_hi ? !(*out < o->hi) : *out > o->hi)) ok = 0;
  if (!ok) snprintf(err, errlen, "%s %s (got '%s')", w, o->rule, text);
  return ok;
}

/* Applies one option with its value.  Returns 1, or 0 with err set. */
static int apply(cli_cmd cmd, const cli_option *o, const char *text, cli_args *a, char *err, size_t errlen) {
  const opt_use *u = &o->use[cmd];
  void *f = field(o, a);
  char name[64];
  long long v;
  int idx;
  switch (o->kind) {
    case KIND_FLAG: *(int *)f = 1; return 1;
    case KIND_COUNT: (*(int *)f)++; return 1;
    case KIND_HELP: return 1;
    case KIND_STRING: *(const char **)f = text; return 1;
    case KIND_NAME:
      if (!*text) {
        snprintf(err, errlen, "--%s: empty name", o->name);
        return 0;
      }
      *(const char **)f = text;
      return 1;
    case KIND_INT:
      if (!cli_opt_int(text, what(o, name, sizeof name), o->min, u->max ? u->max : o->max, &v, err, errlen))
        return 0;
      *(int *)f = (int)v;
      return 1;
    case KIND_ROWS:
      if (!cli_opt_int(text, what(o, name, sizeof name), o->min,
                       (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v, err, errlen))
        return 0;
      *(size_t *)f = (size_t)v;
      return 1;
    case KIND_U64: return cli_opt_u64(text, what(o, name, sizeof name), (uint64_t *)f, err, errlen);
    case KIND_DOUBLE:
      if (o->auto_word) {
        int *flag = (int *)((char *)f - o->offset + o->auto_offset);
        *flag = strcmp(text, "auto") == 0;
        if (*flag) return 1;
      }
      return parse_double(o, text, (double *)f, err, errlen);
    case KIND_BYTES: return cli_opt_size(text, what(o, name, sizeof name), (uint64_t *)f, err, errlen);
    case KIND_CHOICE:
      if (!cli_opt_choice(text, what(o, name, sizeof name), o->choices, &idx, err, errlen)) return 0;
      *(int *)f = idx;
      return 1;
    case KIND_LIST: {
      cli_list *l = f;
      cli_opt_list_free(l->items);
      l->items = NULL;
      return cli_opt_list(text, what(o, name, sizeof name), &l->items, &l->n, err, errlen);
    }
    case KIND_INIT:
      if (!cli_opt_init(text, (strata_init *)f, &a->init_file, err, errlen)) return 0;
      if (u->no_file && a->init_file) {
        snprintf(err, errlen, "--init: %s takes k-means++ or random, not a file ('%s')", pages[cmd].name,
                 a->init_file);
        return 0;
      }
      return 1;
    case KIND_KLIST: return parse_k(text, a, err, errlen);
    case KIND_PARENT:
      if (a->parent) {
        snprintf(err, errlen, "give one of --warm-start and --match-ids, once");
        return -1; /* a usage error: the message names the command's help */
      }
      a->parent = text;
      a->warm_start = o->value;
      return 1;
    case KIND_APPEND: {
      if (!*text) {
        snprintf(err, errlen, "--%s: empty value", o->name);
        return 0;
      }
      char **s = f;
      size_t have = *s ? strlen(*s) : 0;
      char *joined = cli_xcalloc(have + strlen(text) + 2, 1);
      if (*s) {
        memcpy(joined, *s, have);
        joined[have++] = ',';
      }
      strcpy(joined + have, text);
      free(*s);
      *s = joined;
      a->fit->transforms = joined;
      return 1;
    }
  }
  return 0;
}

static const cli_option *find(cli_cmd cmd, const char *name) {
  for (size_t i = 0; i < NOPTIONS; i++)
    if (options[i].use[cmd].sec && strcmp(options[i].name, name) == 0) return &options[i];
  return NULL;
}

/* getopt_long's code of option i: its short letter, else one above every letter. */
static int code(size_t i) { return options[i].short_name ? options[i].short_name : 256 + (int)i; }

/* Returns -1 to go on, or the exit code. */
static int cli_args_parse(cli_cmd cmd, int argc, char **argv, cli_args *a) {
  const cli_page *p = &pages[cmd];
  struct option longopts[NOPTIONS + 1];
  char shortopts[2 * NOPTIONS + 2] = ":";
  size_t nlong = 0, nshort = 1;
  for (size_t i = 0; i < NOPTIONS; i++) {
    if (!options[i].use[cmd].sec) continue;
    int has_arg = options[i].arg ? required_argument : no_argument;
    longopts[nlong++] = (struct option){options[i].name, has_arg, NULL, code(i)};
    if (options[i].short_name) {
      shortopts[nshort++] = options[i].short_name;
      if (has_arg) shortopts[nshort++] = ':';
    }
  }
  longopts[nlong] = (struct option){NULL, 0, NULL, 0};
  shortopts[nshort] = '\0';

  set_defaults(cmd, a);
  int seen[NOPTIONS] = {0};
  char err[512];
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    size_t i = 0;
    while (i < NOPTIONS && !(options[i].use[cmd].sec && code(i) == c)) i++;
    if (i == NOPTIONS) return cli_getopt_error(p->name, c, argv, longopts);
    if (options[i].kind == KIND_HELP) {
      cli_args_usage(cmd, stdout);
      return CLI_EXIT_OK;
    }
    int ok = apply(cmd, &options[i], optarg, a, err, sizeof err);
    if (ok < 0) return cli_usage_error(p->name, "%s", err);
    if (!ok) return cli_error(CLI_EXIT_USAGE, "%s", err);
    seen[i] = 1;
  }
  int npos = argc - optind;
  if (npos < p->npos) return cli_usage_error(p->name, "%s", p->missing_pos[npos]);
  if (npos > p->npos) return cli_usage_error(p->name, "unexpected argument '%s'", argv[optind + p->npos]);
  if (p->npos == 2) a->model = argv[optind++];
  a->data = argv[optind];
  const cli_option *k = find(cmd, "k");
  a->k_given = k && seen[k - options];
  /* A distance threshold cuts a dendrogram without a K; dbscan finds its own. */
  int waive_k = cmd == CLI_CMD_FIT && (a->fit->distance_threshold > 0.0 ||
                                       (a->fit->algorithm && strcmp(a->fit->algorithm, "dbscan") == 0));
  for (size_t i = 0; i < NOPTIONS; i++)
    if (options[i].use[cmd].required && !seen[i] && !(waive_k && &options[i] == k))
      return cli_usage_error(p->name, "%s", options[i].use[cmd].required);
  for (size_t e = 0; e < 2 && p->exclusive[e][0]; e++) {
    const cli_option *x = find(cmd, p->exclusive[e][0]), *y = find(cmd, p->exclusive[e][1]);
    if (*(int *)field(x, a) && *(int *)field(y, a))
      return cli_usage_error(p->name, "--%s and --%s exclude each other", x->name, y->name);
  }
  return -1;
}

static cli_verbosity verbosity(const cli_args *a) {
  return a->quiet ? CLI_QUIET : a->verbose >= 2 ? CLI_DEBUG : a->verbose ? CLI_VERBOSE : CLI_NORMAL;
}

static void free_args(cli_args *a) {
  cli_opt_list_free(a->features.items);
  cli_opt_list_free(a->categorical.items);
  cli_opt_list_free(a->exclude.items);
  a->exclude.items = NULL;
  strata_feature_choice_free(a->choice);
  a->choice = NULL;
  free(a->ks);
  free(a->transforms);
  a->transforms = NULL;
  a->features.items = a->categorical.items = NULL;
  a->ks = NULL;
}

int cli_args_main(strata_ctx *ctx, cli_cmd cmd, int argc, char **argv, cli_args *a, int (*go)(void *state),
                  void *state) {
  int rc = cli_args_parse(cmd, argc, argv, a);
  if (rc < 0) {
    a->ctx = ctx;
    cli_diag_init(ctx, verbosity(a));
    strata_status st = strata_ctx_set_threads(ctx, a->threads);
    if (st == STRATA_OK) st = strata_ctx_set_backend(ctx, a->backend);
    rc = st == STRATA_OK ? go(state) : cli_status_error(st);
    /* After the work, so that a failure stays one line on stderr. */
    if (rc == CLI_EXIT_OK) cli_choice_notes(a->choice, (const char *const *)a->categorical.items, a->weights);
  }
  free_args(a);
  return rc;
}

/* 1 when the --transform spec already transforms column `name`. */
static int has_transform(const char *spec, const char *name) {
  size_t n = strlen(name);
  for (const char *p = spec; p && (p = strstr(p, name)) != NULL; p++)
    if ((p == spec || p[-1] == ',') && p[n] == ':') return 1;
  return 0;
}

/* Adds the choice's "COL:age-days" items the user did not override. */
static void add_choice_transforms(cli_args *a) {
  const char *extra = a->choice->transforms;
  while (extra && *extra) {
    size_t len = strcspn(extra, ",");
    char item[512];
    snprintf(item, sizeof item, "%.*s", (int)len, extra);
    char *colon = strrchr(item, ':');
    if (colon) {
      *colon = '\0';
      if (!has_transform(a->transforms, item)) {
        *colon = ':';
        size_t have = a->transforms ? strlen(a->transforms) : 0;
        char *joined = cli_xcalloc(have + strlen(item) + 2, 1);
        if (have) {
          memcpy(joined, a->transforms, have);
          joined[have++] = ',';
        }
        strcpy(joined + have, item);
        free(a->transforms);
        a->transforms = joined;
        a->fit->transforms = joined;
      }
    }
    extra += len + (extra[len] == ',');
  }
}

strata_status cli_open_chosen(const strata_ctx *ctx, const char *path, const char *location,
                              const char *const *features, size_t nfeatures, const char *const *exclude,
                              size_t nexclude, const char *const *categorical, strata_feature_choice **choice,
                              strata_dataset **ds) {
  *ds = NULL;
  *choice = NULL;
  strata_status st = strata_choose_features(ctx, path, location, features, nfeatures, exclude, nexclude, choice);
  if (st != STRATA_OK) return st;
  return strata_dataset_open(path, location, (*choice)->features, (*choice)->n, ds);
}

void cli_choice_notes(const strata_feature_choice *c, const char *const *categorical, const char *weights) {
  /* One line each; --features overrides (said in --help).  The columns the
   * table itself marks as identifiers were always left out: no note (they
   * are in --json's left_out). */
  for (size_t i = 0; c && i < c->n_left_out; i++)
    if (weights && strcmp(c->left_out[i], weights) == 0)
      cli_note("leaving out '%s': it is the row weights (--weights)", weights);
    else if (!c->marked[i] && !cli_left_out_is_categorical(c, i, categorical))
      cli_note("leaving out '%s': it %s", c->left_out[i], c->reasons[i]);
}

strata_status cli_args_attach_weights(const cli_args *a, strata_dataset *ds) {
  if (!a->weights) return STRATA_OK;
  strata_dataset *w = NULL;
  strata_status st = strata_dataset_open(a->data, a->location, &a->weights, 1, &w);
  return st == STRATA_OK ? strata_dataset_set_weights(ds, w) : st;
}

strata_status cli_args_open_data(cli_args *a, strata_dataset **ds) {
  strata_feature_choice_free(a->choice);
  a->choice = NULL;
  /* The weight column is not a feature of the automatic choice. */
  const char **exclude = cli_xcalloc(a->exclude.n + 2, sizeof *exclude);
  size_t nexclude = 0;
  for (size_t i = 0; i < a->exclude.n; i++) exclude[nexclude++] = a->exclude.items[i];
  if (a->weights && !a->features.items) {
    int listed = 0;
    for (size_t i = 0; i < nexclude; i++) listed |= strcmp(exclude[i], a->weights) == 0;
    if (!listed) exclude[nexclude++] = a->weights;
  }
  strata_status st = STRATA_OK;
  /* A missing weight column is named as such, not as an excluded one. */
  if (a->weights) {
    strata_dataset *probe = NULL;
    st = strata_dataset_open(a->data, a->location, &a->weights, 1, &probe);
    strata_dataset_free(probe);
  }
  if (st == STRATA_OK)
    st = cli_open_chosen(a->ctx, a->data, a->location, (const char *const *)a->features.items, a->features.n,
                         exclude, nexclude, (const char *const *)a->categorical.items, &a->choice, ds);
  free(exclude);
  if (st == STRATA_OK) add_choice_transforms(a);
  if (st == STRATA_OK && a->categorical.n > 0)
    st = strata_dataset_add_categorical(*ds, (const char *const *)a->categorical.items, a->categorical.n, NULL,
                                        NULL);
  if (st == STRATA_OK) st = cli_args_attach_weights(a, *ds);
  if (st != STRATA_OK) {
    strata_dataset_free(*ds);
    *ds = NULL;
  }
  return st;
}
