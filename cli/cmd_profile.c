/* `strata profile`: what each segment of a model looks like in a dataset. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "comm.h"
#include "diag.h"
#include "error.h"
#include "json_out.h"
#include "options.h"
#include "output_file.h"
#include "pass.h"
#include "paths.h"
#include "profile_out.h"
#include "segment_names.h"
#include "table.h"

static const char *const CMD = "profile";

enum { OPT_LABELS = 256, OPT_DATASET, OPT_CHUNK_ROWS, OPT_THREADS, OPT_FORMAT, OPT_JSON, OPT_CSV, OPT_MARKDOWN,
       OPT_NAMES };
enum { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_MARKDOWN };
static const char *const FORMATS[] = {"table", "json", "csv", "markdown", NULL};

static const struct option long_options[] = {
    {"labels", required_argument, NULL, OPT_LABELS},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"location", required_argument, NULL, OPT_DATASET},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"json", no_argument, NULL, OPT_JSON},
    {"csv", no_argument, NULL, OPT_CSV},
    {"markdown", no_argument, NULL, OPT_MARKDOWN},
    {"names", required_argument, NULL, OPT_NAMES},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata profile MODEL.h5 DATA.h5 [options]\n"
        "\n"
        "Profiles the segments of MODEL.h5 in DATA.h5: per segment its size and share;\n"
        "per feature, in original units, the mean, median, std, min and max and the\n"
        "standardised difference from all rows, z = (segment mean - population mean) /\n"
        "population std; the three features with the largest |z| and a one-line\n"
        "description built from them (\"older, high income, buys rarely\"); and for\n"
        "categorical columns the share of each category.  One streaming pass.\n"
        "\n"
        "options:\n"
        "      --labels L.h5       take the segments from this labels file of DATA.h5\n"
        "                          (strata fit/assign --labels) instead of assigning each\n"
        "                          row with the model during the pass\n"
        "      --dataset PATH      group or 2-D dataset inside DATA.h5 (also --location)\n"
        "      --format F          table (default), json, csv or markdown\n"
        "      --json, --csv, --markdown   the same as --format json|csv|markdown\n"
        "      --names FILE.csv    segment names (lines \"segment,name\", as strata report\n"
        "                          --names) shown with the segments (a segment the file\n"
        "                          leaves out is \"Segment s\")\n"
        "  -o, --output FILE       write the result to FILE (complete or not at all)\n"
        "                          instead of standard output\n"
        "      --chunk-rows R      rows per I/O chunk, 0 = automatic (default 0)\n"
        "      --threads T         threads, 0 = all available (default 0)\n"
        "  -v, --verbose           also print library info\n"
        "  -q, --quiet             print nothing but errors (and the result)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Statistics use each row's finite values as they are in the data (a value the\n"
        "model imputes for the assignment is left out); rows without a segment (missing\n"
        "rule drop, or -1 in the labels file) are left out.  Medians are exact while a\n"
        "(segment, feature) has fewer than 4096 values, else from a streaming quantile\n"
        "sketch whose worst-case rank error is printed with them.  Exit status: 0 ok,\n"
        "1 runtime failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  const char *model, *data, *labels, *location, *output, *names_path;
  char **names;
  size_t chunk_rows;
  int threads, format, quiet, verbose;
  int ranks; /* MPI ranks that ran it */
} profile_opts;

static int parse(int argc, char **argv, profile_opts *o) {
  char err[512];
  long long v;
  int fmt = -1;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
    int want = -1;
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
      case OPT_FORMAT:
        if (!cli_opt_choice(optarg, "--format", FORMATS, &want, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_JSON: want = FMT_JSON; break;
      case OPT_CSV: want = FMT_CSV; break;
      case OPT_MARKDOWN: want = FMT_MARKDOWN; break;
      case OPT_NAMES: o->names_path = optarg; break;
      case 'o': o->output = optarg; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
    if (want >= 0) {
      if (fmt >= 0 && fmt != want)
        return cli_usage_error(CMD, "output formats %s and %s exclude each other", FORMATS[fmt], FORMATS[want]);
      fmt = want;
    }
  }
  o->format = fmt >= 0 ? fmt : FMT_TABLE;
  int npos = argc - optind;
  if (npos < 1) return cli_usage_error(CMD, "missing the model file and the data file");
  if (npos < 2) return cli_usage_error(CMD, "missing the data file");
  if (npos > 2) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 2]);
  o->model = argv[optind];
  o->data = argv[optind + 1];
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

/* The chosen rendering into f; 0 or -1 when it could not be written. */
static int render(FILE *f, const profile_opts *o, const strata_profile *p) {
  cli_profile_source src = {o->model, o->data, (const char *const *)o->names};
  switch (o->format) {
    case FMT_JSON:
      return cli_json_profile(f, p, o->model, o->data, (const char *const *)o->names, o->ranks,
                              strata_threads_resolve(o->threads));
    case FMT_CSV: cli_profile_csv(f, p, (const char *const *)o->names); break;
    case FMT_MARKDOWN: cli_profile_markdown(f, p, &src); break;
    default: cli_profile_text(f, p, &src, o->output ? 100 : cli_output_width(f)); break;
  }
  return ferror(f) ? -1 : 0;
}

/* Renders in memory and puts the file in place whole (io/output_file.h). */
static int write_output(const profile_opts *o, const strata_profile *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem) return cli_error(CLI_EXIT_RUNTIME, "out of memory rendering the profile");
  int bad = render(mem, o, p) != 0;
  if (fclose(mem) != 0) bad = 1;
  if (bad) {
    free(text);
    return cli_error(CLI_EXIT_RUNTIME, "out of memory rendering the profile");
  }
  strata_output_file out;
  strata_status st = strata_output_begin_text(o->output, &out);
  if (st == STRATA_OK) {
    st = strata_output_write_all(&out, text, len);
    if (st == STRATA_OK) st = strata_output_commit(&out);
    else strata_output_abort(&out);
  }
  free(text);
  return st == STRATA_OK ? CLI_EXIT_OK : cli_status_error(st);
}

static int run(const strata_ctx *ctx, profile_opts *o) {
  char err[1024];
  if (o->output) {
    if (cli_same_file(o->output, o->data) || cli_same_file(o->output, o->model) ||
        (o->labels && cli_same_file(o->output, o->labels)))
      return cli_error(CLI_EXIT_USAGE, "output file '%s' is one of the inputs", o->output);
  }
  int rc;
  strata_model *model = NULL;
  strata_dataset *ds = NULL;
  strata_profile *p = NULL;
  /* Several ranks: each opens the model and the data (a rank that cannot
   * fails every rank), profiles its own blocks; rank 0 writes -o. */
  const strata_comm *comm = strata_ctx_comm(ctx);
  int writer = strata_comm_rank(comm) == 0;
  o->ranks = strata_comm_size(comm);
  strata_status st = strata_comm_agree(comm, strata_model_load(o->model, &model));
  if (st != STRATA_OK) return cli_status_error(st);
  st = strata_model_open_data(model, o->data, o->location, &ds);
  if (st == STRATA_OK) st = cli_attach_model_weights(model, o->data, o->location, ds);
  st = strata_comm_agree(comm, st);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  int writable = !writer || !o->output || cli_text_output_path_ok(o->output, "output", err, sizeof err);
  st = strata_comm_agree(comm, writable ? STRATA_OK : strata_fail(STRATA_ERR_WRITE, "%s", err));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  int named = !o->names_path ||
              cli_segment_names_load(o->names_path, strata_model_get_info(model)->k, NULL, &o->names, err, sizeof err);
  st = strata_comm_agree(comm, named ? STRATA_OK : strata_fail(STRATA_ERR_USAGE, "%s", err));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  st = strata_profile_compute(ctx, model, ds, o->labels, o->chunk_rows, &p);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  if (o->output) rc = writer ? write_output(o, p) : CLI_EXIT_OK;
  else if (render(stdout, o, p) != 0) rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the profile to standard output");
  else rc = CLI_EXIT_OK;
done:
  if (o->names) cli_segment_names_free(o->names, strata_model_get_info(model)->k);
  strata_profile_free(p);
  strata_dataset_free(ds);
  strata_model_free(model);
  return rc;
}

int cli_cmd_profile(strata_ctx *ctx, int argc, char **argv) {
  profile_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
  strata_status st = strata_ctx_set_threads(ctx, o.threads);
  return st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
}
