/* `strata inspect`: columns, types, rows, missing values and statistics. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "categorical.h"
#include "cli.h"
#include "dataset.h"
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

/* Indices into `all` of the columns to show: every one, or the named ones
 * in the order named (NULL when a name is unknown). */
static size_t *chosen_columns(const inspect_opts *o, const strata_dataset *all, size_t *n) {
  size_t d = strata_dataset_cols(all);
  size_t *idx = cli_xcalloc(o->features ? o->nfeatures : d, sizeof *idx);
  if (!o->features) {
    for (size_t j = 0; j < d; j++) idx[j] = j;
    *n = d;
    return idx;
  }
  for (size_t f = 0; f < o->nfeatures; f++) {
    size_t j = 0;
    while (j < d && strcmp(strata_dataset_col_name(all, j), o->features[f]) != 0) j++;
    if (j == d) {
      free(idx);
      return NULL;
    }
    idx[f] = j;
  }
  *n = o->nfeatures;
  return idx;
}

/* Statistics of the numeric columns (one streaming pass) and counts of the
 * categorical ones, into cols[]. */
static strata_status gather(const strata_ctx *ctx, const inspect_opts *o, const strata_dataset *all, const size_t *idx, size_t n,
                            cli_inspect_column *cols) {
  const char **num = cli_xcalloc(n, sizeof *num), **cat = cli_xcalloc(n, sizeof *cat);
  size_t *num_at = cli_xcalloc(n, sizeof *num_at), *cat_at = cli_xcalloc(n, sizeof *cat_at);
  size_t nn = 0, nc = 0;
  for (size_t k = 0; k < n; k++) {
    size_t j = idx[k];
    cli_inspect_column *c = &cols[k];
    c->name = strata_dataset_col_name(all, j);
    c->storage = strata_dataset_col_type(all, j);
    c->stype = strata_dataset_col_stype(all, j);
    c->is_id = strata_dataset_col_is_id(all, j);
    c->categorical = strata_dataset_col_kind(all, j) == STRATA_COL_CATEGORICAL;
    if (c->categorical) cat_at[nc] = k, cat[nc++] = c->name;
    else num_at[nn] = k, num[nn++] = c->name;
  }
  strata_status st = STRATA_OK;
  strata_dataset *ds = NULL;
  strata_catcols *cc = NULL;
  if (nn > 0) {
    strata_column_stats *stats = cli_xcalloc(nn, sizeof *stats);
    st = strata_dataset_open(o->data, strata_dataset_location(all), num, nn, &ds);
    if (st == STRATA_OK) st = strata_dataset_stats(ctx, ds, o->chunk_rows, stats);
    for (size_t k = 0; st == STRATA_OK && k < nn; k++) cols[num_at[k]].stats = stats[k];
    free(stats);
  }
  if (st == STRATA_OK && nc > 0) {
    uint64_t *missing = cli_xcalloc(nc, sizeof *missing);
    st = strata_dataset_open_categorical(o->data, strata_dataset_location(all), cat, nc, &cc);
    if (st == STRATA_OK) st = strata_catcols_count_missing(cc, missing);
    for (size_t k = 0; st == STRATA_OK && k < nc; k++) {
      cli_inspect_column *c = &cols[cat_at[k]];
      c->categories = strata_catcols_categories(cc, k);
      c->stats.missing = missing[k];
      c->stats.count = strata_catcols_rows(cc) - missing[k];
    }
    free(missing);
  }
  /* The statistics name their columns with strings the dataset owns. */
  for (size_t k = 0; k < n; k++) cols[k].stats.name = cols[k].name, cols[k].stats.type = cols[k].storage;
  strata_dataset_free(ds);
  strata_catcols_free(cc);
  free(num);
  free(cat);
  free(num_at);
  free(cat_at);
  return st;
}

static int run(const strata_ctx *ctx, const inspect_opts *o) {
  strata_dataset *all = NULL, *probe = NULL;
  strata_status st = strata_dataset_open_all(o->data, o->location, &all);
  if (st != STRATA_OK) return cli_status_error(st);
  size_t n = 0;
  size_t *idx = chosen_columns(o, all, &n);
  int rc;
  if (!idx) {
    /* An unknown name: the reader says which, and what there is. */
    st = strata_dataset_open(o->data, o->location, (const char *const *)o->features, o->nfeatures, &probe);
    strata_dataset_free(probe);
    strata_dataset_free(all);
    return st != STRATA_OK ? cli_status_error(st) : cli_error(CLI_EXIT_USAGE, "unknown column in --features");
  }
  cli_inspect_column *cols = cli_xcalloc(n ? n : 1, sizeof *cols);
  st = gather(ctx, o, all, idx, n, cols);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
  } else if (o->json) {
    rc = cli_json_inspect(stdout, strata_dataset_path(all), strata_dataset_location(all), strata_dataset_rows(all),
                          cols, n) == 0
             ? CLI_EXIT_OK
             : cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
  } else {
    if (!o->quiet)
      cli_print_inspect(stdout, strata_dataset_path(all), strata_dataset_location(all), strata_dataset_rows(all),
                        cols, n, cli_output_width(stdout));
    rc = CLI_EXIT_OK;
  }
  free(cols);
  free(idx);
  strata_dataset_free(all);
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
