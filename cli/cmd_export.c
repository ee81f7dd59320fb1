/* `strata export`: labels joined back to input columns, as CSV (io/csv_export.h). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv_export.h"
#include "diag.h"
#include "json_out.h"
#include "options.h"
#include "segment_names.h"
#include "paths.h"

static const char *const CMD = "export";

enum { OPT_WITH = 256, OPT_DATASET, OPT_COLUMNS, OPT_JSON, OPT_NAMES };

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"with", required_argument, NULL, OPT_WITH},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"json", no_argument, NULL, OPT_JSON},
    {"names", required_argument, NULL, OPT_NAMES},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata export LABELS.h5 --with DATA.h5 [--columns a,b,c] -o SEGMENTS.csv\n"
        "\n"
        "Writes one CSV row per input row: the chosen columns of DATA.h5, then the\n"
        "row's segment and its distance to the segment centroid, joined by row order\n"
        "(LABELS.h5 is the labels file of `strata fit` or `strata assign` on DATA.h5).\n"
        "Numbers are written exactly, dates as ISO dates, booleans as true/false,\n"
        "categorical columns as their text; missing values and rows without a segment\n"
        "are empty fields.  Quoting follows RFC 4180; lines end with CRLF.\n"
        "\n"
        "required:\n"
        "  -o, --output FILE.csv   CSV file to write; - writes it to standard output\n"
        "\n"
        "options:\n"
        "      --with DATA.h5      the data the labels are for (without it: segment and\n"
        "                          distance only)\n"
        "      --dataset PATH      group of the columns inside DATA.h5 (default: the root)\n"
        "      --columns a,b,c     these columns of DATA.h5, in this order (default: all)\n"
        "      --names FILE.csv    segment names (lines \"segment,name\", as strata report\n"
        "                          --names): adds a last column segment_name (empty for\n"
        "                          a segment the file does not name)\n"
        "      --json              print one JSON object on stdout instead of the summary\n"
        "  -q, --quiet             print nothing but errors (and --json output)\n"
        "  -h, --help              show this help\n"
        "\n"
        "The CSV is written under a temporary name and renamed into place when complete.\n"
        "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input (e.g. labels and\n"
        "data with different numbers of rows).\n",
        f);
}

typedef struct {
  strata_csv_export_params p;
  char **columns;
  const char *names_path;
  char **names;
  int nnames;
  int json, quiet;
} export_opts;

static int parse(int argc, char **argv, export_opts *o) {
  char err[512];
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qh", long_options, NULL)) != -1) {
    switch (c) {
      case 'o': o->p.output = optarg; break;
      case OPT_WITH: o->p.data = optarg; break;
      case OPT_DATASET: o->p.location = optarg; break;
      case OPT_COLUMNS:
        cli_opt_list_free(o->columns);
        o->columns = NULL;
        if (!cli_opt_list(optarg, "--columns", &o->columns, &o->p.ncolumns, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_JSON: o->json = 1; break;
      case OPT_NAMES: o->names_path = optarg; break;
      case 'q': o->quiet = 1; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind >= argc) return cli_usage_error(CMD, "missing the labels file");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->p.labels = argv[optind];
  if (!o->p.output) return cli_usage_error(CMD, "missing required option -o FILE.csv");
  if (strcmp(o->p.output, "-") == 0 && o->json)
    return cli_usage_error(CMD, "-o - (the CSV on standard output) and --json both write to standard output");
  if (o->columns && !o->p.data) return cli_usage_error(CMD, "--columns needs --with DATA.h5");
  o->p.columns = (const char *const *)o->columns;
  if (o->names_path) {
    if (!cli_segment_names_load_any(o->names_path, &o->names, &o->nnames, err, sizeof err))
      return cli_error(CLI_EXIT_USAGE, "%s", err);
    o->p.segment_names = (const char *const *)o->names;
    o->p.nsegment_names = (size_t)o->nnames;
  }
  return -1;
}

static int run(const strata_ctx *ctx, const export_opts *o) {
  if (cli_same_file(o->p.output, o->p.labels))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the labels file", o->p.output);
  if (o->p.data && cli_same_file(o->p.output, o->p.data))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the data file", o->p.output);
  strata_csv_export_result *r = NULL;
  strata_status st = strata_csv_export(ctx, &o->p, &r);
  if (st != STRATA_OK) return cli_status_error(st);
  double s = r->seconds > 0 ? r->seconds : 1e-9;
  int rc = CLI_EXIT_OK;
  if (o->json) {
    if (cli_json_export(stdout, &o->p, r) != 0)
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
  } else if (!o->quiet && strcmp(o->p.output, "-") != 0)
    printf("export: %s -> %s: rows=%llu columns=%zu bytes=%llu seconds=%.3f rows/s=%.4g\n", o->p.labels,
           o->p.output, (unsigned long long)r->rows, r->cols + 2 + (o->names != NULL), (unsigned long long)r->bytes, r->seconds,
           (double)r->rows / s);
  strata_csv_export_result_free(r);
  return rc;
}

int cli_cmd_export(strata_ctx *ctx, int argc, char **argv) {
  export_opts o;
  memset(&o, 0, sizeof o);
  strata_csv_export_params_init(&o.p);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(ctx, o.quiet ? CLI_QUIET : CLI_NORMAL);
    rc = run(ctx, &o);
  }
  cli_opt_list_free(o.columns);
  cli_segment_names_free(o.names, o.nnames);
  return rc;
}
