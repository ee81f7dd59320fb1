/* `strata pca`: principal components of a dataset (explained variance per
 * component) and the projection of a seeded sample. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "option_table.h"
#include "options.h"
#include "paths.h"
#include "pca_out.h"

static const char *const CMD = "pca";

enum { OPT_COMPONENTS = 256, OPT_SAMPLE, OPT_SEED, OPT_MODEL, OPT_FEATURES, OPT_DATASET,
       OPT_CHUNK_ROWS, OPT_THREADS, OPT_JSON, OPT_MEM_LIMIT };

static const struct option long_options[] = {
    {"components", required_argument, NULL, OPT_COMPONENTS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"model", required_argument, NULL, OPT_MODEL},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"output", required_argument, NULL, 'o'},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata pca DATA.h5 [options]\n"
        "\n"
        "Principal components of DATA.h5: prints the explained variance (and its ratio and\n"
        "cumulative ratio) of every component, and with -o writes the projection of a seeded\n"
        "sample onto the first 2 or 3 components.  The data is standardised (z-scores from a\n"
        "statistics pass; rows with missing values are left out), or with --model scaled the\n"
        "way the model scales it; the projection then also has each row's segment.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE       write the projection: FILE.csv (row,pc1,pc2[,pc3][,segment])\n"
        "                          or FILE.h5 (the same as HDF5 columns); - writes the CSV\n"
        "                          to standard output (instead of the table)\n"
        "      --components N      components to project, 2 or 3 (default 2)\n"
        "      --sample N          rows of the seeded sample to project (default 10000)\n"
        "      --seed S            seed of the sample (default 0)\n"
        "      --model MODEL.h5    scale with this model's scaler and add the segment column\n"
        "      --features A,B,...  columns to use (default the numeric columns fit would take,\n"
        "                          each left out named in a note; with --model the\n"
        "                          model's features)\n"
        "      --dataset PATH      group or 2-D dataset inside DATA.h5\n"
        "      --chunk-rows R      rows per I/O chunk, 0 = follow the file's chunking (default 0)\n"
        "      --mem-limit SIZE    memory the exact covariance sums may take, e.g. 512M; a\n"
        "                          table that needs more is refused (default 0: half the\n"
        "                          available memory)\n"
        "      --threads T         threads, 0 = all available (default 0)\n"
        "      --json              print one JSON object on stdout instead of the table\n"
        "  -v, --verbose           also print library info\n"
        "  -q, --quiet             print nothing but errors (and --json output)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Results are the same for any thread count and chunk size.  Exit status: 0 ok,\n"
        "1 runtime failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  cli_pca_run r;
  const char *location;
  char **features;
  size_t nfeatures;
  size_t sample, chunk_rows;
  uint64_t mem_limit;
  int threads, json, quiet, verbose;
} pca_opts;

static int parse(int argc, char **argv, pca_opts *o) {
  char err[512];
  long long v;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_COMPONENTS:
        if (!cli_opt_int(optarg, "--components", 2, 3, &v, err, sizeof err))
          return cli_usage_error(CMD, "%s", err);
        o->r.components = (int)v;
        break;
      case OPT_SAMPLE:
        if (!cli_opt_int(optarg, "--sample", 1, 100000000, &v, err, sizeof err))
          return cli_usage_error(CMD, "%s", err);
        o->sample = (size_t)v;
        break;
      case OPT_SEED:
        if (!cli_opt_u64(optarg, "--seed", &o->r.seed, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        break;
      case OPT_MODEL: o->r.model = optarg; break;
      case OPT_FEATURES:
        cli_opt_list_free(o->features);
        o->features = NULL;
        if (!cli_opt_list(optarg, "--features", &o->features, &o->nfeatures, err, sizeof err))
          return cli_usage_error(CMD, "%s", err);
        break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_CHUNK_ROWS:
        if (!cli_opt_int(optarg, "--chunk-rows", 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v,
                         err, sizeof err))
          return cli_usage_error(CMD, "%s", err);
        o->chunk_rows = (size_t)v;
        break;
      case OPT_MEM_LIMIT:
        if (!cli_opt_size(optarg, "--mem-limit", &o->mem_limit, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        o->threads = (int)v;
        break;
      case 'o': o->r.output = optarg; break;
      case OPT_JSON: o->json = 1; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  int npos = argc - optind;
  if (npos < 1) return cli_usage_error(CMD, "missing the data file");
  if (npos > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->r.data = argv[optind];
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  if (o->r.model && o->features) return cli_usage_error(CMD, "--features and --model exclude each other");
  if (o->r.output && strcmp(o->r.output, "-") == 0 && o->json)
    return cli_usage_error(CMD, "-o - (the projection on standard output) and --json both write to standard output");
  return -1;
}

static int run(const strata_ctx *ctx, pca_opts *o) {
  char err[1024];
  if (o->r.output) {
    if (cli_same_file(o->r.output, o->r.data))
      return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input data file", o->r.output);
    if (o->r.model && cli_same_file(o->r.output, o->r.model))
      return cli_error(CLI_EXIT_USAGE, "output file '%s' is the model file", o->r.output);
  }
  int rc = CLI_EXIT_OK;
  strata_model *model = NULL;
  strata_dataset *ds = NULL;
  strata_pca *pca = NULL;
  strata_feature_choice *choice = NULL;
  strata_status st = STRATA_OK;
  if (o->r.model) {
    st = strata_model_load(o->r.model, &model);
    if (st == STRATA_OK) st = strata_model_open_data(model, o->r.data, o->location, &ds);
  } else {
    st = cli_open_chosen(ctx, o->r.data, o->location, (const char *const *)o->features, o->nfeatures, NULL, 0, NULL,
                         &choice, &ds);
  }
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  if (strata_dataset_cols(ds) < (size_t)o->r.components) {
    rc = cli_error(CLI_EXIT_USAGE, "--components %d needs at least %d features, the data has %zu",
                   o->r.components, o->r.components, strata_dataset_cols(ds));
    goto done;
  }
  if (o->r.output && !cli_text_output_path_ok(o->r.output, "output", err, sizeof err)) {
    rc = cli_error(CLI_EXIT_RUNTIME, "%s", err);
    goto done;
  }
  strata_pca_params p;
  strata_pca_params_init(&p);
  p.model = model;
  p.sample = o->r.output ? o->sample : 0;
  p.seed = o->r.seed;
  p.chunk_rows = o->chunk_rows;
  p.mem_limit = o->mem_limit;
  st = strata_pca_fit(ctx, ds, &p, &pca);
  if (st == STRATA_OK && strata_ctx_cancelled(ctx)) {
    rc = cli_error(CLI_EXIT_RUNTIME, "cancelled by request");
    goto done;
  }
  if (st == STRATA_OK && o->r.output) st = cli_write_pca_projection(pca, &o->r);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  if (o->json) {
    if (cli_json_pca(stdout, pca, &o->r) != 0)
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
  } else if (!o->quiet && !(o->r.output && strcmp(o->r.output, "-") == 0)) {
    cli_print_pca(stdout, pca, &o->r);
  }
done:
  if (rc == CLI_EXIT_OK) cli_choice_notes(choice, NULL, NULL);
  strata_pca_free(pca);
  strata_feature_choice_free(choice);
  strata_dataset_free(ds);
  strata_model_free(model);
  return rc;
}

int cli_cmd_pca(strata_ctx *ctx, int argc, char **argv) {
  pca_opts o;
  memset(&o, 0, sizeof o);
  o.r.components = 2;
  o.sample = 10000;
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    strata_status st = strata_ctx_set_threads(ctx, o.threads);
    rc = st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
  }
  cli_opt_list_free(o.features);
  return rc;
}
