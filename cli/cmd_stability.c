/* `strata stability`: how stable the segments of a k-means fit are under
 * resampling (bootstrap or subsample refits; Hennig's Jaccard per segment,
 * adjusted Rand index between runs). */
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
#include "output_file.h"
#include "paths.h"
#include "table.h"

static const char *const CMD = "stability";

enum {
  OPT_DATASET = 256, OPT_FEATURES, OPT_SCALE, OPT_MISSING, OPT_RUNS, OPT_METHOD, OPT_FRACTION, OPT_SAMPLE,
  OPT_SEED, OPT_N_INIT, OPT_MAX_ITER, OPT_TOL, OPT_THREADS, OPT_BACKEND, OPT_STABLE, OPT_UNSTABLE,
  OPT_DISSOLVED, OPT_JSON, OPT_CATEGORICAL, OPT_CAT_WEIGHT
};

static const struct option long_options[] = {
    {"k", required_argument, NULL, 'k'},
    {"output", required_argument, NULL, 'o'},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"categorical", required_argument, NULL, OPT_CATEGORICAL},
    {"categorical-weight", required_argument, NULL, OPT_CAT_WEIGHT},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"method", required_argument, NULL, OPT_METHOD},
    {"fraction", required_argument, NULL, OPT_FRACTION},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"n-init", required_argument, NULL, OPT_N_INIT},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"tol", required_argument, NULL, OPT_TOL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"stable", required_argument, NULL, OPT_STABLE},
    {"unstable", required_argument, NULL, OPT_UNSTABLE},
    {"dissolved", required_argument, NULL, OPT_DISSOLVED},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const method_choices[] = {"bootstrap", "subsample", NULL}; /* by strata_resample */

static void usage(FILE *f) {
  strata_stability_params p;
  strata_stability_params_init(&p);
  fprintf(f,
          "usage: strata stability DATA.h5 -k K [options]\n"
          "\n"
          "Measures how stable K segments are: refits k-means on resamples of a seeded\n"
          "sample of DATA.h5 and reports the adjusted Rand index between the runs and, per\n"
          "segment of the reference fit (the whole sample), its mean Jaccard similarity to\n"
          "the best-matching cluster of each run on the rows that run drew (Hennig's\n"
          "cluster-wise stability, as R's fpc::clusterboot).\n"
          "\n"
          "required:\n"
          "  -k, --k K               number of segments, at least 1\n"
          "\n"
          "data:\n"
          "      --dataset PATH      group or 2-D dataset inside DATA.h5\n"
          "      --features a,b,c    columns to use, in this order (default: every numeric column)\n"
          "      --categorical r,c   text columns of an imported table, one-hot encoded and\n"
          "                          weighted as in fit\n"
          "      --categorical-weight W  weight of each categorical column (default 1)\n"
          "      --scale zscore|minmax|none       feature scaling (default %s)\n"
          "      --missing error|drop|mean|median rows with missing values (default %s)\n"
          "      --sample N          rows of the seeded sample held in memory, all rows when\n"
          "                          fewer (default %zu)\n"
          "\n"
          "resampling:\n"
          "      --runs R            refits, at least 2 (default %d)\n"
          "      --method bootstrap|subsample     bootstrap: as many rows as the sample, with\n"
          "                          replacement; subsample: a share of it without (default %s)\n"
          "      --fraction F        subsample share, above 0 and below 1 (default %g)\n"
          "      --seed S            seed of the sample, the reference fit (S) and run r's\n"
          "                          draw and fit (S+1+r) (default %llu)\n"
          "      --n-init N          restarts per fit (default %d)\n"
          "      --max-iter N        maximum iterations per fit (default %d)\n"
          "      --tol X             convergence threshold (default %g)\n"
          "\n"
          "verdicts (a segment's mean Jaccard; Hennig's thresholds):\n"
          "      --stable X          at least X: \"stable\" (default %g)\n"
          "      --unstable X        at least X: \"patterns\", below: \"unstable\" (default %g)\n"
          "      --dissolved X       at most X: \"dissolved\"; a run with a Jaccard at most X\n"
          "                          dissolves the segment (default %g)\n"
          "\n"
          "execution and output:\n"
          "      --threads T         threads per fit, 0 = all available (default %d)\n"
          "      --backend NAME      compute backend of the fits (default auto)\n"
          "      --json              one JSON object instead of the table\n"
          "  -o, --output FILE       write the table or JSON to FILE instead of standard output\n"
          "  -v, --verbose           also report each run on stderr\n"
          "  -q, --quiet             print nothing but errors (and --json or -o output)\n"
          "  -h, --help              show this help\n"
          "\n"
          "The overall verdict is the worst segment's.  Same seed, same output, for any\n"
          "thread count.  Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
          cli_scale_name(p.fit.scale), cli_missing_name(p.fit.missing), p.sample_rows, p.runs,
          method_choices[p.method], p.fraction, (unsigned long long)p.fit.seed, p.fit.n_init, p.fit.max_iter,
          p.fit.tol, p.stable, p.unstable, p.dissolved, p.fit.threads);
}

typedef struct {
  const char *data, *location, *output;
  char **features, **categorical;
  size_t nfeatures, ncategorical;
  strata_stability_params p;
  int have_k, json, quiet, verbose;
} stability_opts;

static int threshold(const char *text, const char *what, double *out) {
  char err[512];
  if (!cli_opt_double(text, what, 0.0, out, err, sizeof err) || *out > 1.0)
    return cli_error(CLI_EXIT_USAGE, "%s must be a number from 0 to 1 (got '%s')", what, text);
  return -1;
}

/* Returns -1 to go on, or an exit code (help, usage error). */
static int parse(int argc, char **argv, stability_opts *o) {
  char err[512];
  long long v;
  int idx, rc;
  strata_stability_params_init(&o->p);
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":k:o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'k':
        if (!cli_opt_int(optarg, "k", 1, 1 << 30, &v, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.k = (int)v;
        o->have_k = 1;
        break;
      case 'o': o->output = optarg; break;
      case OPT_DATASET: o->location = optarg; break;
      case OPT_FEATURES:
      case OPT_CATEGORICAL: {
        char ***items = c == OPT_FEATURES ? &o->features : &o->categorical;
        size_t *n = c == OPT_FEATURES ? &o->nfeatures : &o->ncategorical;
        cli_opt_list_free(*items);
        *items = NULL;
        if (!cli_opt_list(optarg, c == OPT_FEATURES ? "--features" : "--categorical", items, n, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      }
      case OPT_CAT_WEIGHT:
        if (!cli_opt_double(optarg, "--categorical-weight", 0.0, &o->p.fit.categorical_weight, err, sizeof err) ||
            !(o->p.fit.categorical_weight > 0.0))
          return cli_error(CLI_EXIT_USAGE, "--categorical-weight must be a number above 0 (got '%s')", optarg);
        break;
      case OPT_SCALE:
        if (!cli_opt_choice(optarg, "--scale", cli_scale_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.scale = (strata_scale)idx;
        break;
      case OPT_MISSING:
        if (!cli_opt_choice(optarg, "--missing", cli_missing_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.missing = (strata_missing)idx;
        break;
      case OPT_RUNS:
        if (!cli_opt_int(optarg, "--runs", 2, 1000000, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.runs = (int)v;
        break;
      case OPT_METHOD:
        if (!cli_opt_choice(optarg, "--method", method_choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.method = (strata_resample)idx;
        break;
      case OPT_FRACTION:
        if (!cli_opt_double(optarg, "--fraction", 0.0, &o->p.fraction, err, sizeof err) ||
            !(o->p.fraction > 0.0 && o->p.fraction < 1.0))
          return cli_error(CLI_EXIT_USAGE, "--fraction must be above 0 and below 1 (got '%s')", optarg);
        break;
      case OPT_SAMPLE:
        if (!cli_opt_int(optarg, "--sample", 1, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v, err,
                         sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.sample_rows = (size_t)v;
        break;
      case OPT_SEED:
        if (!cli_opt_u64(optarg, "--seed", &o->p.fit.seed, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_N_INIT:
      case OPT_MAX_ITER:
      case OPT_THREADS: {
        const char *what = c == OPT_N_INIT ? "--n-init" : c == OPT_MAX_ITER ? "--max-iter" : "--threads";
        if (!cli_opt_int(optarg, what, c == OPT_THREADS ? 0 : 1, 100000000, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        if (c == OPT_N_INIT) o->p.fit.n_init = (int)v;
        else if (c == OPT_MAX_ITER) o->p.fit.max_iter = (int)v;
        else o->p.fit.threads = (int)v;
        break;
      }
      case OPT_TOL:
        if (!cli_opt_double(optarg, "--tol", 0.0, &o->p.fit.tol, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_BACKEND:
        if (!*optarg) return cli_error(CLI_EXIT_USAGE, "--backend: empty name");
        o->p.fit.backend = optarg;
        break;
      case OPT_STABLE:
        if ((rc = threshold(optarg, "--stable", &o->p.stable)) >= 0) return rc;
        break;
      case OPT_UNSTABLE:
        if ((rc = threshold(optarg, "--unstable", &o->p.unstable)) >= 0) return rc;
        break;
      case OPT_DISSOLVED:
        if ((rc = threshold(optarg, "--dissolved", &o->p.dissolved)) >= 0) return rc;
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
  if (!o->have_k) return cli_usage_error(CMD, "missing required option -k K");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  const strata_stability_params *p = &o->p;
  if (!(p->dissolved <= p->unstable && p->unstable <= p->stable))
    return cli_usage_error(CMD, "thresholds must satisfy --dissolved <= --unstable <= --stable (got %g, %g, %g)",
                           p->dissolved, p->unstable, p->stable);
  return -1;
}

static void print_table(FILE *f, const strata_stability_result *r, const char *data) {
  fprintf(f, "stability of %s: k = %d, %d %s runs", data, r->k, r->runs, r->method);
  if (strcmp(r->method, "subsample") == 0) fprintf(f, " of %g of the sample", r->fraction);
  fprintf(f, " on a sample of %llu of %llu rows (seed %llu), %.2f s\n\n", (unsigned long long)r->sample_rows,
          (unsigned long long)r->rows, (unsigned long long)r->seed, r->seconds);
  fprintf(f, "adjusted Rand index between runs (%llu pairs): mean %.4f  std %.4f  min %.4f  max %.4f\n\n",
          (unsigned long long)r->ari_pairs, r->ari_mean, r->ari_std, r->ari_min, r->ari_max);
  cli_table *t = cli_table_new(8, 1);
  const char *heads[] = {"segment", "size", "jaccard", "std", "min", "max", "dissolved", "verdict"};
  for (size_t c = 0; c < 8; c++) cli_table_column(t, c, heads[c], c == 7);
  for (int s = 0; s < r->k; s++) {
    const strata_stability_segment *g = &r->segments[s];
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%d", g->segment);
    cli_table_cell(t, 1, "%lld", (long long)g->size);
    cli_table_cell(t, 2, "%.4f", g->jaccard_mean);
    cli_table_cell(t, 3, "%.4f", g->jaccard_std);
    cli_table_cell(t, 4, "%.4f", g->jaccard_min);
    cli_table_cell(t, 5, "%.4f", g->jaccard_max);
    cli_table_cell(t, 6, "%d/%d", g->dissolved, r->runs);
    cli_table_cell(t, 7, "%s", g->verdict);
  }
  cli_table_print(t, f, cli_output_width(f), "");
  cli_table_free(t);
  int stable = 0;
  for (int s = 0; s < r->k; s++) stable += strcmp(r->segments[s].verdict, "stable") == 0;
  fprintf(f,
          "\nthresholds (mean Jaccard, Hennig): stable >= %g, patterns >= %g, unstable > %g, dissolved <= %g\n"
          "verdict: %s (%d of %d segments stable)\n",
          r->stable, r->unstable, r->dissolved, r->dissolved, r->verdict, stable, r->k);
}

/* The table or the JSON into f; 0 or -1 when it cannot be written. */
static int emit(FILE *f, const stability_opts *o, const strata_stability_result *r) {
  if (o->json) return cli_json_stability(f, r, o->data);
  print_table(f, r, o->data);
  return ferror(f) ? -1 : 0;
}

/* -o FILE: built in memory, written under a temporary name, renamed. */
static int write_output(const stability_opts *o, const strata_stability_result *r) {
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&text, &size);
  if (!mem) return cli_error(CLI_EXIT_RUNTIME, "out of memory");
  int bad = emit(mem, o, r);
  if (fclose(mem) != 0) bad = -1;
  if (bad) {
    free(text);
    return cli_error(CLI_EXIT_RUNTIME, "cannot build the output for '%s'", o->output);
  }
  strata_output_file of;
  strata_status st = strata_output_begin(o->output, &of);
  if (st == STRATA_OK) st = strata_output_write_all(&of, text, size);
  if (st == STRATA_OK) st = strata_output_commit(&of);
  else strata_output_abort(&of);
  free(text);
  return st == STRATA_OK ? CLI_EXIT_OK : cli_status_error(st);
}

static void report_run(int run, int runs, void *user) {
  (void)user;
  fprintf(stderr, "strata: stability run %d/%d done\n", run, runs);
}

static int run(stability_opts *o) {
  if (o->output && cli_same_file(o->output, o->data))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input data file", o->output);
  strata_dataset *ds = NULL;
  strata_status st =
      strata_dataset_open(o->data, o->location, (const char *const *)o->features, o->nfeatures, &ds);
  if (st == STRATA_OK && o->ncategorical > 0)
    st = strata_dataset_add_categorical(ds, (const char *const *)o->categorical, o->ncategorical, NULL, NULL);
  if (st != STRATA_OK) {
    strata_dataset_free(ds);
    return cli_status_error(st);
  }
  char err[1024];
  if (o->output && !cli_output_path_ok(o->output, "output", err, sizeof err)) {
    strata_dataset_free(ds);
    return cli_error(CLI_EXIT_RUNTIME, "%s", err);
  }
  if (o->verbose) o->p.progress = report_run;
  strata_stability_result *r = NULL;
  st = strata_stability(ds, &o->p, &r);
  int rc;
  if (st != STRATA_OK) rc = cli_status_error(st);
  else if (o->output) rc = write_output(o, r);
  else if (o->json || !o->quiet)
    rc = emit(stdout, o, r) == 0 ? CLI_EXIT_OK : cli_error(CLI_EXIT_RUNTIME, "cannot write to standard output");
  else rc = CLI_EXIT_OK;
  strata_stability_free(r);
  strata_dataset_free(ds);
  return rc;
}

int cli_cmd_stability(int argc, char **argv) {
  stability_opts o;
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
