/* `strata report`: one self-contained HTML page about a model over a
 * dataset (sizes, profiles, PCA view, and optionally the sweep, stability
 * and drift results).  This file parses the options and gathers the
 * inputs; cli/report_sections.c lays the page out. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "fingerprint.h"
#include "options.h"
#include "paths.h"
#include "report_json.h"
#include "report_sections.h"
#include "segment_names.h"

static const char *const CMD = "report";

enum { OPT_SWEEP = 256, OPT_STABILITY, OPT_DRIFT, OPT_LABELS, OPT_SAMPLE, OPT_SEED, OPT_TITLE,
       OPT_DATASET, OPT_CHUNK_ROWS, OPT_THREADS, OPT_NAMES, OPT_EXPLAIN_DEPTH };

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"sweep", required_argument, NULL, OPT_SWEEP},
    {"stability", required_argument, NULL, OPT_STABILITY},
    {"drift", required_argument, NULL, OPT_DRIFT},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"title", required_argument, NULL, OPT_TITLE},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"names", required_argument, NULL, OPT_NAMES},
    {"explain-depth", required_argument, NULL, OPT_EXPLAIN_DEPTH},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata report MODEL.h5 DATA.h5 -o REPORT.html [options]\n"
        "\n"
        "Writes one self-contained HTML page (inline SVG and CSS, no script, nothing fetched)\n"
        "about MODEL.h5 over DATA.h5: segment sizes, a heat map of each segment's standardised\n"
        "differences, the segments' descriptions and top features, a PCA scatter of a seeded\n"
        "sample coloured by segment with the centroids (axes named by their heaviest loadings,\n"
        "the outer 1% of the sample left out of the view), the segments as rules (strata\n"
        "explain), and the run's metadata.  Segments are named by --names, else by personas\n"
        "made of their profile's words (\"Older, high income\").\n"
        "\n"
        "required:\n"
        "  -o, --output FILE.html  the page to write; - writes it to standard output\n"
        "\n"
        "options:\n"
        "      --sweep FILE.json      add the k sweep (strata sweep --json): elbow, silhouette,\n"
        "                             Calinski-Harabasz and Davies-Bouldin curves\n"
        "      --stability FILE.json  add the stability result (strata stability --json)\n"
        "      --drift FILE.json      add the drift of an assign run (strata assign --json)\n"
        "                             (each JSON result must be of DATA.h5 and the model's\n"
        "                             features: its data fingerprint is checked)\n"
        "      --names FILE.csv       segment names: lines \"segment,name\" (a header line is\n"
        "                             allowed; segments left out keep their persona)\n"
        "      --explain-depth N      depth of the rules' tree, 0..4 (default 3; 0 leaves the\n"
        "                             rules out)\n"
        "      --labels LABELS.h5     take the segments from this labels file of DATA.h5 instead\n"
        "                             of assigning the rows with the model\n"
        "      --sample N             rows in the PCA scatter (default 2000)\n"
        "      --seed S               seed of that sample (default 0)\n"
        "      --title TEXT           the page's title (default \"Segmentation report\")\n"
        "      --dataset PATH         group or 2-D dataset inside DATA.h5\n"
        "      --chunk-rows R         rows per I/O chunk, 0 = follow the file's chunking (default 0)\n"
        "      --threads T            threads, 0 = all available (default 0)\n"
        "  -v, --verbose              also print library info\n"
        "  -q, --quiet                print nothing but errors\n"
        "  -h, --help                 show this help\n"
        "\n"
        "The page is written under a temporary name and renamed into place when complete.\n"
        "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input (a malformed JSON\n"
        "input included).\n",
        f);
}

typedef struct {
  cli_report r;
  const char *output, *labels, *location;
  const char *names_path;
  size_t sample, chunk_rows;
  int threads, quiet, verbose, explain_depth;
} report_opts;

static int parse(int argc, char **argv, report_opts *o) {
  char err[512];
  long long v;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'o': o->output = optarg; break;
      case OPT_SWEEP: o->r.sweep_path = optarg; break;
      case OPT_STABILITY: o->r.stability_path = optarg; break;
      case OPT_DRIFT: o->r.drift_path = optarg; break;
      case OPT_LABELS: o->labels = optarg; break;
      case OPT_SAMPLE:
        if (!cli_opt_int(optarg, "--sample", 1, 1000000, &v, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        o->sample = (size_t)v;
        break;
      case OPT_SEED:
        if (!cli_opt_u64(optarg, "--seed", &o->r.seed, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        break;
      case OPT_TITLE: o->r.title = optarg; break;
      case OPT_NAMES: o->names_path = optarg; break;
      case OPT_EXPLAIN_DEPTH:
        if (!cli_opt_int(optarg, "--explain-depth", 0, 4, &v, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        o->explain_depth = (int)v;
        break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_CHUNK_ROWS:
        if (!cli_opt_int(optarg, "--chunk-rows", 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v,
                         err, sizeof err))
          return cli_usage_error(CMD, "%s", err);
        o->chunk_rows = (size_t)v;
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
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
  o->r.model_path = argv[optind];
  o->r.data_path = argv[optind + 1];
  if (!o->output) return cli_usage_error(CMD, "missing required option -o REPORT.html");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

typedef struct {
  cJSON *sweep, *stability, *drift; /* the roots */
  strata_model *model;
  strata_dataset *ds;
  strata_profile *profile;
  strata_pca *pca;
  strata_explanation *explain;
  char **names;
  int k;
} report_inputs;

static void inputs_free(report_inputs *in) {
  cJSON_Delete(in->sweep);
  cJSON_Delete(in->stability);
  cJSON_Delete(in->drift);
  strata_pca_free(in->pca);
  strata_explanation_free(in->explain);
  cli_segment_names_free(in->names, in->k);
  strata_profile_free(in->profile);
  strata_dataset_free(in->ds);
  strata_model_free(in->model);
}

/* The JSON inputs first: they are cheap to check, and a typo in one should
 * not cost a pass over the data. */
static int read_json_inputs(report_opts *o, report_inputs *in) {
  char err[1024];
  struct {
    const char *path;
    cli_report_input kind;
    cJSON **root;
    const cJSON **tree;
  } want[] = {{o->r.sweep_path, CLI_REPORT_SWEEP, &in->sweep, &o->r.sweep},
              {o->r.stability_path, CLI_REPORT_STABILITY, &in->stability, &o->r.stability},
              {o->r.drift_path, CLI_REPORT_DRIFT, &in->drift, &o->r.drift}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (!want[i].path) continue;
    *want[i].tree = cli_report_read(want[i].path, want[i].kind, want[i].root, err, sizeof err);
    if (!*want[i].tree) return cli_error(CLI_EXIT_USAGE, "%s", err);
  }
  return -1;
}

/* A sweep, stability or drift result made on other data (or other
 * features) than the report's is refused: its curves and verdicts would be
 * shown as if they were about this data.  One without a fingerprint (an
 * older Strata) is shown with a warning. */
static int check_fingerprints(const report_opts *o, report_inputs *in) {
  const struct {
    const cJSON *root;
    const char *kind, *path;
  } res[] = {{in->sweep, "sweep", o->r.sweep_path},
             {in->stability, "stability", o->r.stability_path},
             {in->drift, "drift", o->r.drift_path}};
  if (!in->sweep && !in->stability && !in->drift) return -1;
  cli_fingerprint fp;
  strata_status st = cli_fingerprint_of(in->ds, &fp);
  if (st != STRATA_OK) return cli_status_error(st);
  int rc = -1;
  for (size_t i = 0; i < sizeof res / sizeof res[0] && rc < 0; i++) {
    if (!res[i].root) continue;
    char what[600], err[2048];
    snprintf(what, sizeof what, "%s file '%s'", res[i].kind, res[i].path);
    int same = cli_fingerprint_check(res[i].root, &fp, what, err, sizeof err);
    if (same == 0) rc = cli_error(CLI_EXIT_USAGE, "%s", err);
    else if (same < 0) cli_warn("%s", err);
  }
  cli_fingerprint_free(&fp);
  return rc;
}

static int run(const strata_ctx *ctx, report_opts *o) {
  char err[1024];
  if (cli_same_file(o->output, o->r.data_path) || cli_same_file(o->output, o->r.model_path))
    return cli_error(CLI_EXIT_USAGE, "report file '%s' is an input file", o->output);
  report_inputs in;
  memset(&in, 0, sizeof in);
  int rc = read_json_inputs(o, &in);
  if (rc >= 0) goto done;
  strata_status st = strata_model_load(o->r.model_path, &in.model);
  if (st == STRATA_OK) st = strata_model_open_data(in.model, o->r.data_path, o->location, &in.ds);
  if (st == STRATA_OK) st = cli_attach_model_weights(in.model, o->r.data_path, o->location, in.ds);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  rc = check_fingerprints(o, &in);
  if (rc >= 0) goto done;
  o->r.info = strata_model_get_info(in.model);
  if (o->names_path) {
    /* A bad names file is found before the passes over the data. */
    char **named = NULL;
    if (!cli_segment_names_load(o->names_path, o->r.info->k, NULL, &named, err, sizeof err)) {
      rc = cli_error(CLI_EXIT_USAGE, "%s", err);
      goto done;
    }
    cli_segment_names_free(named, o->r.info->k);
  }
  if (o->r.info->d < 2) {
    rc = cli_error(CLI_EXIT_USAGE, "the model has %d feature; the report's PCA view needs at least 2", o->r.info->d);
    goto done;
  }
  if (!cli_text_output_path_ok(o->output, "report", err, sizeof err)) {
    rc = cli_error(CLI_EXIT_RUNTIME, "%s", err);
    goto done;
  }
  st = strata_profile_compute(ctx, in.model, in.ds, o->labels, o->chunk_rows, &in.profile);
  if (st == STRATA_OK) {
    strata_pca_params p;
    strata_pca_params_init(&p);
    p.model = in.model;
    p.sample = o->sample;
    p.seed = o->r.seed;
    p.chunk_rows = o->chunk_rows;
    st = strata_pca_fit(ctx, in.ds, &p, &in.pca);
  }
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  o->r.profile = in.profile;
  o->r.pca = in.pca;
  /* Names: the file's, else personas from the profile's words. */
  in.k = o->r.info->k;
  in.names = cli_segment_names_from_profile(in.profile);
  if (o->names_path) {
    char **named = NULL;
    if (!cli_segment_names_load(o->names_path, in.k, (const char *const *)in.names, &named, err, sizeof err)) {
      rc = cli_error(CLI_EXIT_USAGE, "%s", err);
      goto done;
    }
    cli_segment_names_free(in.names, in.k);
    in.names = named;
  }
  o->r.names = (const char *const *)in.names;
  if (o->explain_depth > 0) {
    strata_explain_params ep;
    strata_explain_params_init(&ep);
    ep.depth = o->explain_depth;
    ep.labels_path = o->labels;
    ep.chunk_rows = o->chunk_rows;
    st = strata_explain(ctx, in.model, in.ds, &ep, &in.explain);
    if (st == STRATA_ERR_CANCELLED) {
      rc = cli_status_error(st);
      goto done;
    }
    /* The rules are an extra: a model they cannot be made for (a DBSCAN
     * model without a labels file) still gets its report. */
    if (st != STRATA_OK) cli_warn("the rules are left out of the report: %s", strata_last_error());
    o->r.explain = in.explain;
  }
  strata_html h;
  strata_html_init(&h);
  cli_report_render(&h, &o->r);
  /* A signal during the rendering: no page. */
  if (strata_ctx_cancelled(ctx)) {
    strata_html_free(&h);
    rc = cli_error(CLI_EXIT_RUNTIME, "cancelled by request");
    goto done;
  }
  st = strata_html_save(&h, o->output);
  size_t bytes = h.len;
  strata_html_free(&h);
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  if (!o->quiet && strcmp(o->output, "-") != 0) printf("report written to %s (%zu bytes)\n", o->output, bytes);
  rc = CLI_EXIT_OK;
done:
  inputs_free(&in);
  return rc;
}

int cli_cmd_report(strata_ctx *ctx, int argc, char **argv) {
  report_opts o;
  memset(&o, 0, sizeof o);
  o.sample = 2000;
  o.explain_depth = 3;
  o.r.title = "Segmentation report";
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
  strata_status st = strata_ctx_set_threads(ctx, o.threads);
  return st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
}
