/* `strata explain`: a model's segments as rules on its features. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "explain_out.h"
#include "json_out.h"
#include "options.h"
#include "segment_names.h"

static const char *const CMD = "explain";

enum { OPT_LABELS = 256, OPT_DATASET, OPT_CHUNK_ROWS, OPT_THREADS, OPT_DEPTH, OPT_JSON, OPT_NAMES };

static const struct option long_options[] = {
    {"labels", required_argument, NULL, OPT_LABELS},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"json", no_argument, NULL, OPT_JSON},
    {"names", required_argument, NULL, OPT_NAMES},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"location", required_argument, NULL, OPT_DATASET},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata explain MODEL.h5 DATA.h5 [options]\n"
        "\n"
        "States the segments of MODEL.h5 as rules on its features, in original units\n"
        "(\"spend > 1,200 and visits <= 3 -> segment 4\"): a shallow decision tree that\n"
        "predicts each customer's segment, with its fidelity, the share of the\n"
        "customers the rules place in their own segment (overall and per segment).\n"
        "The tree is grown from per-feature histograms (up to 256 bins; one bin per\n"
        "value when a feature has at most 256 distinct values), one streaming pass per\n"
        "level, so the table is never held in memory; a threshold is the roundest\n"
        "number between the values on either side of the split.  Splits maximise the\n"
        "Gini gain (scikit-learn's DecisionTreeClassifier); sibling leaves of the same\n"
        "segment are merged.  The same result for any thread count and chunk size.\n"
        "\n"
        "options:\n"
        "      --labels L.h5       take the segments from this labels file of DATA.h5\n"
        "                          (strata fit/assign --labels) instead of assigning each\n"
        "                          row with the model (as strata assign does)\n"
        "      --depth N           levels of the tree, 1..4 (default 3): at most 2^N rules\n"
        "      --json              print one JSON object: fidelity overall and per\n"
        "                          segment, the rules with their conditions, the tree\n"
        "      --names FILE.csv    segment names (lines \"segment,name\", as strata report\n"
        "                          --names) shown with the segments\n"
        "      --dataset PATH      group or 2-D dataset inside DATA.h5 (also --location)\n"
        "      --chunk-rows R      rows per I/O chunk, 0 = automatic (default 0)\n"
        "      --threads T         threads, 0 = all available (default 0)\n"
        "  -v, --verbose           also print library info\n"
        "  -q, --quiet             print nothing but errors (and the result)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Rows without a segment (missing rule drop, or -1 in the labels file) are left\n"
        "out; a missing value takes the model's imputed value (missing rule mean or\n"
        "median), else the row is left out.  Memory: 4 bytes per row for the segments\n"
        "plus a histogram per thread.  Exit status: 0 ok, 1 runtime failure, 2 bad\n"
        "usage or bad input.\n",
        f);
}

typedef struct {
  const char *model, *data, *location, *names_path;
  strata_explain_params p;
  int threads, json, quiet, verbose;
} explain_opts;

static int parse(int argc, char **argv, explain_opts *o) {
  char err[512];
  long long v;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_LABELS: o->p.labels_path = optarg; break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_DEPTH:
        if (!cli_opt_int(optarg, "--depth", 1, 4, &v, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.depth = (int)v;
        break;
      case OPT_JSON: o->json = 1; break;
      case OPT_NAMES: o->names_path = optarg; break;
      case OPT_CHUNK_ROWS:
        if (!cli_opt_int(optarg, "--chunk-rows", 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v,
                         err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.chunk_rows = (size_t)v;
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->threads = (int)v;
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
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

static int run(const strata_ctx *ctx, const explain_opts *o) {
  int rc;
  strata_model *model = NULL;
  strata_dataset *ds = NULL;
  strata_explanation *e = NULL;
  char **names = NULL, err[1024];
  strata_status st = strata_model_load(o->model, &model);
  if (st != STRATA_OK) return cli_status_error(st);
  int k = strata_model_get_info(model)->k;
  if (o->names_path && !cli_segment_names_load(o->names_path, k, NULL, &names, err, sizeof err)) {
    strata_model_free(model);
    return cli_error(CLI_EXIT_USAGE, "%s", err);
  }
  st = strata_model_open_data(model, o->data, o->location, &ds);
  if (st == STRATA_OK) st = strata_explain(ctx, model, ds, &o->p, &e);
  if (st != STRATA_OK) rc = cli_status_error(st);
  else if (o->json) rc = cli_json_explain(stdout, e, o->model, o->data, o->p.depth, (const char *const *)names) == 0
                             ? CLI_EXIT_OK
                             : cli_error(CLI_EXIT_RUNTIME, "cannot write the explanation to standard output");
  else {
    cli_explain_text(stdout, e, o->model, o->data, (const char *const *)names);
    rc = ferror(stdout) ? cli_error(CLI_EXIT_RUNTIME, "cannot write the explanation to standard output")
                        : CLI_EXIT_OK;
  }
  cli_segment_names_free(names, k);
  strata_explanation_free(e);
  strata_dataset_free(ds);
  strata_model_free(model);
  return rc;
}

int cli_cmd_explain(strata_ctx *ctx, int argc, char **argv) {
  explain_opts o;
  memset(&o, 0, sizeof o);
  strata_explain_params_init(&o.p);
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
  strata_status st = strata_ctx_set_threads(ctx, o.threads);
  return st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
}
