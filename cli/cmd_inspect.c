/* `strata inspect`: columns, types, rows, missing values and statistics. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "json_out.h"
#include "options.h"
#include "print_summary.h"
#include "table.h"

static const char *const CMD = "inspect";

enum { OPT_DATASET = 256, OPT_FEATURES, OPT_CHUNK_ROWS, OPT_JSON };

static const struct option long_options[] = {
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata inspect DATA.h5 [options]\n"
        "\n"
        "Shows every column of DATA.h5: type, rows, counts of finite, missing (NaN) and\n"
        "infinite values, and min, max, mean and standard deviation over the finite\n"
        "values (one streaming pass).  For a table made by `strata import` it also shows\n"
        "each column's type (int, float, bool, date, categorical), storage type, number\n"
        "of categories (categorical columns) and identifier role.\n"
        "\n"
        "options:\n"
        "      --dataset PATH      group or 2-D dataset inside DATA.h5 (default: the root\n"
        "                          group's columns, else its only 2-D dataset)\n"
        "      --features a,b,c    only these columns, in this order (default: every column)\n"
        "      --chunk-rows R      rows per I/O chunk, 0 = follow the file's chunking (default 0)\n"
        "      --json              print one JSON object on stdout instead of the table\n"
        "  -v, --verbose           also print library info\n"
        "  -q, --quiet             print nothing but errors (and --json output)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  const char *data, *location;
  char **features;
  size_t nfeatures, chunk_rows;
  int json, quiet, verbose;
} inspect_opts;

static int parse(int argc, char **argv, inspect_opts *o) {
  char err[512];
  long long v;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_DATASET: o->location = optarg; break;
      case OPT_FEATURES:
        cli_opt_list_free(o->features);
        o->features = NULL;
        if (!cli_opt_list(optarg, "--features", &o->features, &o->nfeatures, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_CHUNK_ROWS:
        if (!cli_opt_int(optarg, "--chunk-rows", 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v,
                         err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->chunk_rows = (size_t)v;
        break;
      case OPT_JSON: o->json = 1; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind >= argc) return cli_usage_error(CMD, "missing the data file");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->data = argv[optind];
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

static int run(const strata_ctx *ctx, const inspect_opts *o) {
  strata_inspection *r = NULL;
  strata_status st = strata_inspect(ctx, o->data, o->location, (const char *const *)o->features,
                                    o->features ? o->nfeatures : 0, o->chunk_rows, &r);
  if (st != STRATA_OK) return cli_status_error(st);
  int rc = CLI_EXIT_OK;
  if (o->json) {
    if (cli_json_inspect(stdout, r->path, r->location, r->rows, r->columns, r->ncols) != 0)
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
  } else if (!o->quiet) {
    cli_print_inspect(stdout, r->path, r->location, r->rows, r->columns, r->ncols, cli_output_width(stdout));
  }
  strata_inspection_free(r);
  return rc;
}

int cli_cmd_inspect(strata_ctx *ctx, int argc, char **argv) {
  inspect_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    rc = run(ctx, &o);
  }
  cli_opt_list_free(o.features);
  return rc;
}
