/* `strata assign`: scores a dataset into the segments of a saved model. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "drift_out.h"
#include "json_out.h"
#include "options.h"
#include "paths.h"
#include "print_summary.h"
#include "table.h"

static const char *const CMD = "assign";

enum {
  OPT_LABELS = 256, OPT_DATASET, OPT_CHUNK_ROWS, OPT_THREADS, OPT_JSON, OPT_NO_DRIFT
};

static const struct option long_options[] = {
    {"labels", required_argument, NULL, OPT_LABELS},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-drift", no_argument, NULL, OPT_NO_DRIFT},
    CLI_DRIFT_LONG_OPTIONS,
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata assign MODEL.h5 DATA.h5 --labels OUT.h5 [options]\n"
        "\n"
        "Scores the rows of DATA.h5 into the segments of MODEL.h5 (nearest centroid, with\n"
        "the model's scaling and missing-value rule) and writes their labels.  DATA.h5 must\n"
        "hold the model's features, by name.\n"
        "\n"
        "required:\n"
        "      --labels OUT.h5     labels file to write (segment and distance per row)\n"
        "\n"
        "options:\n"
        "      --dataset PATH      group or 2-D dataset inside DATA.h5 (default: the root\n"
        "                          group's columns, else its only 2-D dataset)\n"
        "      --chunk-rows R      rows per I/O chunk, 0 = follow the file's chunking (default 0)\n"
        "      --threads T         threads, 0 = all available (default 0)\n"
        "      --json              print one JSON object on stdout instead of the summary\n"
        "  -v, --verbose           also print library info\n"
        "  -q, --quiet             print nothing but errors (and --json output)\n"
        "  -h, --help              show this help\n"
        "\n"
        "drift (against the model's training data, measured in the same pass):\n"
        "      --no-drift          do not measure drift\n"
        CLI_DRIFT_HELP
        "  A crossed threshold prints a warning line per segment or feature; the exit\n"
        "  status stays 0.  Models saved by older Strata versions have no training reference:\n"
        "  drift is then skipped with a warning.\n"
        "\n"
        "The labels are written under a temporary name and renamed into place when\n"
        "complete.  Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  const char *model, *data, *labels, *location;
  size_t chunk_rows;
  int threads, json, quiet, verbose, no_drift;
  strata_drift_thresholds th;
} assign_opts;

static int parse(int argc, char **argv, assign_opts *o) {
  char err[512];
  long long v;
  strata_drift_thresholds_init(&o->th);
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_LABELS: o->labels = optarg; break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_CHUNK_ROWS:
        if (!cli_opt_int(optarg, "--chunk-rows", 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v,
                         err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->chunk_rows = (size_t)v;
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->threads = (int)v;
        break;
      case OPT_JSON: o->json = 1; break;
      case OPT_NO_DRIFT: o->no_drift = 1; break;
      case CLI_OPT_DRIFT_SHARE:
      case CLI_OPT_DRIFT_DISTANCE:
      case CLI_OPT_DRIFT_SHIFT:
        if (!cli_drift_option(c, optarg, &o->th, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  int npos = argc - optind;
  if (npos < 1) return cli_usage_error(CMD, "missing the model file and the data file");
  if (npos < 2) return cli_usage_error(CMD, "missing the data file");
  if (npos > 2) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 2]);
  o->model = argv[optind];
  o->data = argv[optind + 1];
  if (!o->labels) return cli_usage_error(CMD, "missing required option --labels OUT.h5");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

static int run(assign_opts *o) {
  char err[1024];
  if (cli_same_file(o->labels, o->data))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the input data file", o->labels);
  if (cli_same_file(o->labels, o->model))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the model file", o->labels);

  int rc;
  strata_model *model = NULL;
  strata_dataset *ds = NULL;
  int64_t *sizes = NULL;
  strata_drift *drift = NULL;
  strata_status st = strata_model_load(o->model, &model);
  if (st != STRATA_OK) return cli_status_error(st);
  const strata_model_info *info = strata_model_get_info(model);
  st = strata_model_open_data(model, o->data, o->location, &ds);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  /* The inputs are good: make sure the result can be written before the work. */
  if (!cli_output_path_ok(o->labels, "labels", err, sizeof err)) {
    rc = cli_error(CLI_EXIT_RUNTIME, "%s", err);
    goto done;
  }
  sizes = cli_xcalloc((size_t)info->k, sizeof *sizes);
  double inertia = 0.0, t0 = cli_now();
  int want_drift = !o->no_drift && info->train_mean;
  if (!o->no_drift && !want_drift)
    cli_warn("the model has no training reference (saved by an older Strata): drift not measured");
  st = strata_assign_drift(model, ds, o->labels, o->chunk_rows, o->threads, &o->th, o->model, &inertia, sizes,
                           want_drift ? &drift : NULL);
  double seconds = cli_now() - t0;
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  uint64_t rows = strata_dataset_rows(ds);
  if (o->json) {
    if (cli_json_assign(stdout, info, o->model, rows, inertia, sizes, seconds, o->labels, drift) != 0) {
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
      goto done;
    }
  } else if (!o->quiet) {
    cli_print_assign(stdout, info, rows, inertia, sizes, seconds, o->labels, cli_output_width(stdout));
    if (drift) cli_print_drift(stdout, drift, cli_output_width(stdout));
  }
  if (drift) cli_warn_drift(drift);
  rc = CLI_EXIT_OK;
done:
  strata_drift_free(drift);
  free(sizes);
  strata_dataset_free(ds);
  strata_model_free(model);
  return rc;
}

int cli_cmd_assign(int argc, char **argv) {
  assign_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  cli_diag_init(o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
  return run(&o);
}
