/* `strata fit`: k-means on a dataset; saves the model, optionally labels. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "centroids_csv.h"
#include "cli.h"
#include "diag.h"
#include "drift_out.h"
#include "json_out.h"
#include "options.h"
#include "paths.h"
#include "print_summary.h"
#include "progress.h"
#include "table.h"

static const char *const CMD = "fit";

enum {
  OPT_LABELS = 256, OPT_DATASET, OPT_FEATURES, OPT_SCALE, OPT_MISSING, OPT_INIT, OPT_N_INIT,
  OPT_MAX_ITER, OPT_TOL, OPT_SEED, OPT_BACKEND, OPT_THREADS, OPT_CHUNK_ROWS, OPT_MEM_LIMIT,
  OPT_STREAMING, OPT_INIT_SAMPLE, OPT_JSON, OPT_PROGRESS, OPT_CATEGORICAL, OPT_CAT_WEIGHT, OPT_WARM_START,
  OPT_MATCH_IDS, OPT_DRIFT_SHARE, OPT_DRIFT_DISTANCE, OPT_DRIFT_SHIFT
};

static const struct option long_options[] = {
    {"k", required_argument, NULL, 'k'},
    {"output", required_argument, NULL, 'o'},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"categorical", required_argument, NULL, OPT_CATEGORICAL},
    {"categorical-weight", required_argument, NULL, OPT_CAT_WEIGHT},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"init", required_argument, NULL, OPT_INIT},
    {"n-init", required_argument, NULL, OPT_N_INIT},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"tol", required_argument, NULL, OPT_TOL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
    {"streaming", no_argument, NULL, OPT_STREAMING},
    {"init-sample", required_argument, NULL, OPT_INIT_SAMPLE},
    {"warm-start", required_argument, NULL, OPT_WARM_START},
    {"match-ids", required_argument, NULL, OPT_MATCH_IDS},
    {"drift-share", required_argument, NULL, OPT_DRIFT_SHARE},
    {"drift-distance", required_argument, NULL, OPT_DRIFT_DISTANCE},
    {"drift-shift", required_argument, NULL, OPT_DRIFT_SHIFT},
    {"json", no_argument, NULL, OPT_JSON},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const progress_choices[] = {"auto", "bar", "log", "none", NULL};

static void usage(FILE *f) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  char sample[32] = "automatic";
  if (p.init_sample) snprintf(sample, sizeof sample, "%zu", p.init_sample);
  fprintf(f,
          "usage: strata fit DATA.h5 -k K -o MODEL.h5 [options]\n"
          "\n"
          "Clusters the rows of DATA.h5 into K segments (k-means) and saves the model.\n"
          "\n"
          "required:\n"
          "  -k, --k K               number of segments, at least 1\n"
          "  -o, --output MODEL.h5   model file to write\n"
          "\n"
          "data:\n"
          "      --dataset PATH      group or 2-D dataset inside DATA.h5 (default: the root\n"
          "                          group's columns, else its only 2-D dataset)\n"
          "      --features a,b,c    columns to use, in this order (default: every numeric column)\n"
          "      --categorical r,c   text columns of an imported table to use, one-hot encoded;\n"
          "                          segment centroids then give each category's share\n"
          "      --categorical-weight W  each categorical column weighs like W standardised\n"
          "                          numeric columns (default 1)\n"
          "      --scale zscore|minmax|none       feature scaling (default %s)\n"
          "      --missing error|drop|mean|median rows with missing values (default %s)\n"
          "\n"
          "algorithm:\n"
          "      --init k-means++|random|FILE     initial centroids (default %s); FILE is a CSV of\n"
          "                          K rows of one value per feature in original units, with\n"
          "                          an optional header row of the feature names\n"
          "      --n-init N          restarts, the lowest inertia is kept (default %d)\n"
          "      --max-iter N        maximum iterations per run (default %d)\n"
          "      --tol X             convergence threshold, relative to the mean feature\n"
          "                          variance (default %g)\n"
          "      --seed S            random seed (default %llu)\n"
          "      --init-sample N     rows sampled for initialisation (default %s)\n"
          "\n"
          "refits (stable segment ids):\n"
          "      --warm-start PREV.h5  start from PREV's centroids (original units, scaled with\n"
          "                          this data's scaler; k above PREV's continues k-means++,\n"
          "                          below keeps PREV's largest segments) and number the new\n"
          "                          segments after PREV's\n"
          "      --match-ids PREV.h5 initialise as usual (--init) but number the new segments\n"
          "                          after PREV's\n"
          "  Either way segment i continues PREV's segment i by optimal assignment on\n"
          "  centroid distance (Hungarian); unmatched segments are reported new, PREV's\n"
          "  unmatched ones vanished, and the model records PREV as its parent.  The data\n"
          "  is read with PREV's features unless --features is given; they must match.\n"
          "  The summary compares this fit's training data with PREV's (drift):\n"
          CLI_DRIFT_HELP
          "\n"
          "execution:\n"
          "      --backend NAME      compute backend (default %s): auto measures the OpenCL\n"
          "                          devices against the CPU on the init sample and says why\n"
          "                          it chose; ref, cpu (best SIMD here), blas, avx2, avx512;\n"
          "                          opencl (first GPU) or opencl:N (device N of\n"
          "                          'strata devices')\n"
          "      --threads T         threads, 0 = all available (default %d)\n"
          "      --chunk-rows R      rows per I/O chunk, 0 = follow the file's chunking (default %zu)\n"
          "      --mem-limit SIZE    memory the scaled data may use to stay in memory between\n"
          "                          passes, e.g. 512M or 8G; 0 = half the available memory\n"
          "                          (default 0)\n"
          "      --streaming         never keep the data in memory: every pass reads the file\n"
          "\n"
          "output:\n"
          "      --labels OUT.h5     also write each row's segment and distance to OUT.h5\n"
          "      --json              print one JSON object on stdout instead of the summary\n"
          "      --progress auto|bar|log|none     progress on stderr; auto = bar on a terminal,\n"
          "                          none otherwise; log = one line per iteration (default auto)\n"
          "  -v, --verbose           also print the per-iteration table and library info\n"
          "  -q, --quiet             print nothing but errors (and --json output)\n"
          "  -h, --help              show this help\n"
          "\n"
          "Outputs are written under a temporary name and renamed into place when complete;\n"
          "on failure no output file is left.  Exit status: 0 ok, 1 runtime failure,\n"
          "2 bad usage or bad input.\n",
          cli_scale_name(p.scale), cli_missing_name(p.missing), cli_init_name(p.init), p.n_init, p.max_iter,
          p.tol, (unsigned long long)p.seed, sample,
          p.backend ? p.backend : "auto", p.threads, p.chunk_rows);
}

typedef struct {
  const char *data, *model, *labels, *location, *init_file, *parent;
  int warm_start;
  strata_drift_thresholds th;
  char **features;
  size_t nfeatures;
  char **categorical;
  size_t ncategorical;
  strata_fit_params p;
  int have_k, json, quiet, verbose;
  cli_progress_mode progress;
} fit_opts;

/* Returns -1 to go on, or an exit code (help, usage error). */
static int parse(int argc, char **argv, fit_opts *o) {
  char err[512];
  long long v;
  int idx;
  strata_fit_params_init(&o->p);
  strata_drift_thresholds_init(&o->th);
  o->progress = CLI_PROGRESS_AUTO;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":k:o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'k':
        if (!cli_opt_int(optarg, "k", 1, 1 << 30, &v, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.k = (int)v;
        o->have_k = 1;
        break;
      case 'o': o->model = optarg; break;
      case OPT_LABELS: o->labels = optarg; break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_FEATURES:
        cli_opt_list_free(o->features);
        o->features = NULL;
        if (!cli_opt_list(optarg, "--features", &o->features, &o->nfeatures, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_CATEGORICAL:
        cli_opt_list_free(o->categorical);
        o->categorical = NULL;
        if (!cli_opt_list(optarg, "--categorical", &o->categorical, &o->ncategorical, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_CAT_WEIGHT:
        if (!cli_opt_double(optarg, "--categorical-weight", 0.0, &o->p.categorical_weight, err, sizeof err) ||
            !(o->p.categorical_weight > 0.0))
          return cli_error(CLI_EXIT_USAGE, "--categorical-weight must be a number above 0 (got '%s')", optarg);
        break;
      case OPT_SCALE:
        if (!cli_opt_choice(optarg, "--scale", cli_scale_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.scale = (strata_scale)idx;
        break;
      case OPT_MISSING:
        if (!cli_opt_choice(optarg, "--missing", cli_missing_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.missing = (strata_missing)idx;
        break;
      case OPT_INIT:
        if (!cli_opt_init(optarg, &o->p.init, &o->init_file, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_N_INIT:
        if (!cli_opt_int(optarg, "--n-init", 1, 1000000, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.n_init = (int)v;
        break;
      case OPT_MAX_ITER:
        if (!cli_opt_int(optarg, "--max-iter", 1, 100000000, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.max_iter = (int)v;
        break;
      case OPT_TOL:
        if (!cli_opt_double(optarg, "--tol", 0.0, &o->p.tol, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_SEED:
        if (!cli_opt_u64(optarg, "--seed", &o->p.seed, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_BACKEND:
        if (!*optarg) return cli_error(CLI_EXIT_USAGE, "--backend: empty name");
        o->p.backend = optarg;
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.threads = (int)v;
        break;
      case OPT_CHUNK_ROWS:
      case OPT_INIT_SAMPLE: {
        const char *what = c == OPT_CHUNK_ROWS ? "--chunk-rows" : "--init-sample";
        if (!cli_opt_int(optarg, what, 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v, err,
                         sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        if (c == OPT_CHUNK_ROWS) o->p.chunk_rows = (size_t)v;
        else o->p.init_sample = (size_t)v;
        break;
      }
      case OPT_MEM_LIMIT:
        if (!cli_opt_size(optarg, "--mem-limit", &o->p.mem_limit, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_STREAMING: o->p.streaming = 1; break;
      case OPT_WARM_START:
      case OPT_MATCH_IDS:
        if (o->parent) return cli_usage_error(CMD, "give one of --warm-start and --match-ids, once");
        o->parent = optarg;
        o->warm_start = c == OPT_WARM_START;
        break;
      case OPT_DRIFT_SHARE:
      case OPT_DRIFT_DISTANCE:
      case OPT_DRIFT_SHIFT:
        if (!cli_drift_option(c == OPT_DRIFT_SHARE ? "--drift-share" : c == OPT_DRIFT_DISTANCE ? "--drift-distance"
                                                                                            : "--drift-shift",
                              optarg, &o->th, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_JSON: o->json = 1; break;
      case OPT_PROGRESS:
        if (!cli_opt_choice(optarg, "--progress", progress_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->progress = (cli_progress_mode)idx;
        break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind >= argc) return cli_usage_error(CMD, "missing the data file");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->data = argv[optind];
  if (!o->have_k) return cli_usage_error(CMD, "missing required option -k K");
  if (!o->model) return cli_usage_error(CMD, "missing required option -o MODEL.h5");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  if (o->warm_start && o->init_file)
    return cli_usage_error(CMD, "--warm-start and --init FILE both set the initial centroids");
  return -1;
}

/* Refuses outputs that would overwrite an input or each other, before
 * anything is read. */
static int check_aliases(const fit_opts *o) {
  if (cli_same_file(o->model, o->data))
    return cli_error(CLI_EXIT_USAGE, "model file '%s' is the input data file", o->model);
  if (o->labels && cli_same_file(o->labels, o->data))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the input data file", o->labels);
  if (o->labels && cli_same_file(o->labels, o->model))
    return cli_error(CLI_EXIT_USAGE, "labels file and model file are the same file '%s'", o->labels);
  if (o->init_file && cli_same_file(o->init_file, o->model))
    return cli_error(CLI_EXIT_USAGE, "model file '%s' is the --init file", o->model);
  if (o->init_file && o->labels && cli_same_file(o->init_file, o->labels))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the --init file", o->labels);
  /* The model may replace its parent (a nightly refit): the parent is read first. */
  if (o->parent && cli_same_file(o->parent, o->data))
    return cli_error(CLI_EXIT_USAGE, "parent model '%s' is the input data file", o->parent);
  if (o->parent && o->labels && cli_same_file(o->parent, o->labels))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the parent model", o->labels);
  return -1;
}

/* Refuses outputs that cannot be written, after the inputs were found good
 * and before the work starts, so that a long fit does not fail at its end. */
static int check_writable(const fit_opts *o) {
  char err[1024];
  if (!cli_output_path_ok(o->model, "model", err, sizeof err)) return cli_error(CLI_EXIT_RUNTIME, "%s", err);
  if (o->labels && !cli_output_path_ok(o->labels, "labels", err, sizeof err))
    return cli_error(CLI_EXIT_RUNTIME, "%s", err);
  return -1;
}

static uint64_t peak_rss_bytes(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) return 0;
  return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

static int run(fit_opts *o) {
  int rc = -1;
  strata_dataset *ds = NULL;
  strata_model *model = NULL, *parent = NULL;
  strata_drift *drift = NULL;
  double *init_centroids = NULL;
  strata_status st;

  if ((rc = check_aliases(o)) >= 0) return rc;
  if (o->parent && (st = strata_model_load(o->parent, &parent)) != STRATA_OK) return cli_status_error(st);
  if (parent && !o->features && !o->categorical) {
    /* The parent's features, categories expanded as it saw them. */
    st = strata_model_open_data(parent, o->data, o->location, &ds);
  } else {
    st = strata_dataset_open(o->data, o->location, (const char *const *)o->features, o->nfeatures, &ds);
    if (st == STRATA_OK && o->ncategorical > 0)
      st = strata_dataset_add_categorical(ds, (const char *const *)o->categorical, o->ncategorical, NULL, NULL);
  }
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }

  if (o->init_file) {
    size_t d = strata_dataset_cols(ds);
    const char **names = cli_xcalloc(d ? d : 1, sizeof *names);
    for (size_t j = 0; j < d; j++) names[j] = strata_dataset_col_name(ds, j);
    char err[1024];
    int ok = cli_centroids_csv_read(o->init_file, o->p.k, d, names, &init_centroids, err, sizeof err);
    free(names);
    if (!ok) {
      rc = cli_error(CLI_EXIT_USAGE, "%s", err);
      goto done;
    }
    o->p.init_centroids = init_centroids;
  }

  if ((rc = check_writable(o)) >= 0) goto done;

  cli_progress_begin(o->quiet ? CLI_PROGRESS_NONE : o->progress);
  o->p.progress = cli_progress_cb;
  o->p.progress_user = NULL;
  o->p.labels_path = o->labels;
  /* The library puts model and labels in place together, or neither. */
  o->p.model_path = o->model;
  o->p.parent = parent;
  o->p.parent_path = o->parent;
  o->p.warm_start = o->warm_start;
  st = strata_fit(ds, &o->p, &model);
  cli_progress_end();
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }

  const strata_model_info *info = strata_model_get_info(model);
  int parent_k = parent ? strata_model_get_info(parent)->k : 0;
  if (parent && !strata_model_get_info(parent)->train_mean)
    cli_warn("parent model '%s' has no training reference (saved by an older Strata): drift not measured",
             o->parent);
  else if (parent && strata_model_drift(parent, model, &o->th, o->parent, &drift) != STRATA_OK)
    /* The model and labels are in place: the comparison is extra. */
    cli_warn("drift not measured: %s", strata_last_error());
  if (o->json) {
    if (cli_json_fit(stdout, info, o->model, o->labels, peak_rss_bytes(), parent_k, drift) != 0) {
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
      goto done;
    }
  } else if (!o->quiet) {
    size_t width = cli_output_width(stdout);
    cli_print_fit(stdout, info, o->model, o->labels, width);
    if (o->verbose) cli_print_iterations(stdout, info, width);
    if (parent) cli_print_lineage(stdout, info, parent_k, width);
    if (drift) cli_print_drift(stdout, drift, width);
  }
  if (drift) cli_warn_drift(drift);
  rc = CLI_EXIT_OK;
done:
  strata_drift_free(drift);
  strata_model_free(model);
  strata_model_free(parent);
  strata_dataset_free(ds);
  free(init_centroids);
  return rc;
}

int cli_cmd_fit(int argc, char **argv) {
  fit_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    rc = run(&o);
  }
  cli_opt_list_free(o.features);
  cli_opt_list_free(o.categorical);
  return rc;
}
