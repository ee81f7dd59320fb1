/* `strata sweep`: fits every k of a range in one job and scores each. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "options.h"
#include "output_file.h"
#include "paths.h"
#include "progress.h"
#include "sweep_out.h"
#include "table.h"

static const char *const CMD = "sweep";

enum {
  OPT_DATASET = 256, OPT_FEATURES, OPT_CATEGORICAL, OPT_CAT_WEIGHT, OPT_SCALE, OPT_MISSING, OPT_INIT,
  OPT_MAX_ITER, OPT_TOL, OPT_SEED, OPT_BACKEND, OPT_THREADS, OPT_CHUNK_ROWS, OPT_MEM_LIMIT,
  OPT_STREAMING, OPT_INIT_SAMPLE, OPT_SIL_SAMPLE, OPT_JSON, OPT_CSV, OPT_PROGRESS, OPT_N_INIT
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
    {"init", required_argument, NULL, OPT_INIT},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"tol", required_argument, NULL, OPT_TOL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
    {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
    {"streaming", no_argument, NULL, OPT_STREAMING},
    {"init-sample", required_argument, NULL, OPT_INIT_SAMPLE},
    {"silhouette-sample", required_argument, NULL, OPT_SIL_SAMPLE},
    {"json", no_argument, NULL, OPT_JSON},
    {"csv", no_argument, NULL, OPT_CSV},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"n-init", required_argument, NULL, OPT_N_INIT},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  strata_sweep_params p;
  strata_sweep_params_init(&p);
  fprintf(f,
          "usage: strata sweep DATA.h5 -k A:B [options]\n"
          "\n"
          "Fits k-means for every k in a range in one job (the data is read once per\n"
          "iteration for all k) and scores each k: inertia and its knee, silhouette on a\n"
          "seeded sample, Calinski-Harabasz and Davies-Bouldin over all rows; then\n"
          "recommends a k and says why.  Each k gives the model `strata fit -k K` gives\n"
          "with the same options and seed.\n"
          "\n"
          "required:\n"
          "  -k, --k A:B|A,B,C       the k values: a range A:B (A >= 1; k = 1 has no\n"
          "                          silhouette, Calinski-Harabasz or Davies-Bouldin) or a\n"
          "                          list of increasing values\n"
          "\n"
          "data:\n"
          "      --dataset PATH      group or 2-D dataset inside DATA.h5\n"
          "      --features a,b,c    columns to use (default: every numeric column)\n"
          "      --categorical r,c   text columns of an imported table, one-hot encoded\n"
          "      --categorical-weight W  weight of each categorical column (default 1)\n"
          "      --scale zscore|minmax|none       feature scaling (default %s)\n"
          "      --missing error|drop|mean|median rows with missing values (default %s)\n"
          "\n"
          "algorithm:\n"
          "      --init k-means++|random          initial centroids (default %s)\n"
          "      --max-iter N        maximum iterations per k (default %d)\n"
          "      --n-init N          restarts per k, the lowest inertia kept, as fit --n-init\n"
          "                          (default 1); every restart shares the data passes\n"
          "      --tol X             convergence threshold, relative to the mean feature\n"
          "                          variance (default %g)\n"
          "      --seed S            random seed (default %llu)\n"
          "      --init-sample N     rows sampled for initialisation (default automatic)\n"
          "      --silhouette-sample N  rows of the seeded silhouette sample, exact on it;\n"
          "                          0 = no silhouette (default %zu)\n"
          "\n"
          "execution:\n"
          "      --backend auto|ref|cpu|blas|avx2|avx512  CPU kernels (default auto; a device\n"
          "                          backend is not used by sweep)\n"
          "      --threads T         threads, 0 = all available (default 0)\n"
          "      --chunk-rows R      rows per I/O chunk, 0 = follow the file's chunking\n"
          "      --mem-limit SIZE    memory the scaled data may use to stay in memory between\n"
          "                          passes; 0 = half the available memory (default 0)\n"
          "      --streaming         never keep the data in memory: every pass reads the file\n"
          "\n"
          "output:\n"
          "      --json              the result as one JSON object\n"
          "      --csv               the result as CSV, one row per k\n"
          "  -o, --output FILE       write the result (table, --csv or --json) to FILE instead\n"
          "                          of standard output (temporary name, then renamed)\n"
          "      --progress auto|bar|log|none     progress on stderr; auto = bar on a terminal,\n"
          "                          none otherwise; log = one line per shared pass (default auto)\n"
          "  -v, --verbose           library info on stderr, one line per shared pass\n"
          "  -q, --quiet             print nothing but errors (and -o / --json / --csv output)\n"
          "  -h, --help              show this help\n"
          "\n"
          "Metrics are in scaled units, over the rows used.  The recommended k is the knee\n"
          "of the inertia curve when its silhouette is within 0.05 of the best silhouette,\n"
          "else the k with the best silhouette.  Exit status: 0 ok, 1 runtime failure,\n"
          "2 bad usage or bad input.\n",
          cli_scale_name(p.fit.scale), cli_missing_name(p.fit.missing), cli_init_name(p.fit.init),
          p.fit.max_iter, p.fit.tol, (unsigned long long)p.fit.seed, p.silhouette_sample);
}

typedef struct {
  const char *data, *output, *location;
  char **features, **categorical;
  size_t nfeatures, ncategorical;
  strata_sweep_params p;
  int *ks;
  size_t nk;
  int have_k, json, csv, quiet, verbose;
  cli_progress_mode progress;
} sweep_opts;

/* "A:B" or "A,B,C" (or one value). */
static int parse_k(const char *text, sweep_opts *o, char *err, size_t errlen) {
  long long a, b;
  const char *colon = strchr(text, ':');
  if (colon) {
    char left[32];
    size_t len = (size_t)(colon - text);
    if (len == 0 || len >= sizeof left) {
      snprintf(err, errlen, "-k: expected A:B or A,B,C (got '%s')", text);
      return 0;
    }
    memcpy(left, text, len);
    left[len] = '\0';
    if (!cli_opt_int(left, "-k range start", 1, 1 << 20, &a, err, errlen) ||
        !cli_opt_int(colon + 1, "-k range end", 1, 1 << 20, &b, err, errlen))
      return 0;
    if (b < a) {
      snprintf(err, errlen, "-k: empty range %lld:%lld (the end is below the start)", a, b);
      return 0;
    }
    o->nk = (size_t)(b - a + 1);
    o->ks = cli_xcalloc(o->nk, sizeof *o->ks);
    for (size_t i = 0; i < o->nk; i++) o->ks[i] = (int)a + (int)i;
    return 1;
  }
  char **items = NULL;
  size_t n = 0;
  if (!cli_opt_list(text, "-k", &items, &n, err, errlen)) return 0;
  o->ks = cli_xcalloc(n, sizeof *o->ks);
  o->nk = n;
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++) {
    ok = cli_opt_int(items[i], "-k", 1, 1 << 20, &a, err, errlen);
    o->ks[i] = (int)a;
    if (ok && i > 0 && o->ks[i] <= o->ks[i - 1]) {
      snprintf(err, errlen, "-k: values must be increasing (%d after %d)", o->ks[i], o->ks[i - 1]);
      ok = 0;
    }
  }
  cli_opt_list_free(items);
  return ok;
}

static int parse(int argc, char **argv, sweep_opts *o) {
  char err[512];
  long long v;
  int idx;
  strata_sweep_params_init(&o->p);
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":k:o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'k':
        free(o->ks);
        o->ks = NULL;
        if (!parse_k(optarg, o, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
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
      case OPT_INIT: {
        const char *file = NULL;
        if (!cli_opt_init(optarg, &o->p.fit.init, &file, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        if (file) return cli_error(CLI_EXIT_USAGE, "--init: sweep takes k-means++ or random, not a file ('%s')", file);
        break;
      }
      case OPT_MAX_ITER:
        if (!cli_opt_int(optarg, "--max-iter", 1, 100000000, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.max_iter = (int)v;
        break;
      case OPT_N_INIT:
        if (!cli_opt_int(optarg, "--n-init", 1, 1000, &v, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.n_init = (int)v;
        break;
      case OPT_TOL:
        if (!cli_opt_double(optarg, "--tol", 0.0, &o->p.fit.tol, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_SEED:
        if (!cli_opt_u64(optarg, "--seed", &o->p.fit.seed, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_BACKEND:
        if (!*optarg) return cli_error(CLI_EXIT_USAGE, "--backend: empty name");
        o->p.fit.backend = optarg;
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 65536, &v, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.fit.threads = (int)v;
        break;
      case OPT_CHUNK_ROWS:
      case OPT_INIT_SAMPLE:
      case OPT_SIL_SAMPLE: {
        const char *what = c == OPT_CHUNK_ROWS ? "--chunk-rows" : c == OPT_INIT_SAMPLE ? "--init-sample"
                                                                                     : "--silhouette-sample";
        if (!cli_opt_int(optarg, what, 0, (long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX), &v, err,
                         sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        if (c == OPT_CHUNK_ROWS) o->p.fit.chunk_rows = (size_t)v;
        else if (c == OPT_INIT_SAMPLE) o->p.fit.init_sample = (size_t)v;
        else o->p.silhouette_sample = (size_t)v;
        break;
      }
      case OPT_MEM_LIMIT:
        if (!cli_opt_size(optarg, "--mem-limit", &o->p.fit.mem_limit, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_STREAMING: o->p.fit.streaming = 1; break;
      case OPT_JSON: o->json = 1; break;
      case OPT_CSV: o->csv = 1; break;
      case OPT_PROGRESS: {
        static const char *const choices[] = {"auto", "bar", "log", "none", NULL};
        if (!cli_opt_choice(optarg, "--progress", choices, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->progress = (cli_progress_mode)idx;
        break;
      }
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind >= argc) return cli_usage_error(CMD, "missing the data file");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->data = argv[optind];
  if (!o->have_k) return cli_usage_error(CMD, "missing required option -k A:B");
  if (o->json && o->csv) return cli_usage_error(CMD, "--json and --csv exclude each other");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  o->p.ks = o->ks;
  o->p.nk = o->nk;
  return -1;
}

/* Renders the chosen format into memory. */
static int render(const sweep_opts *o, const strata_sweep_result *r, const cli_sweep_info *in, char **buf,
                  size_t *len) {
  FILE *f = open_memstream(buf, len);
  if (!f) return -1;
  int rc = o->json ? cli_sweep_json(f, r, in)
           : o->csv ? cli_sweep_csv(f, r)
                    : cli_sweep_table(f, r, in, 0);
  if (fclose(f) != 0) rc = -1;
  return rc;
}

static int run(sweep_opts *o) {
  strata_dataset *ds = NULL;
  strata_sweep_result *r = NULL;
  strata_output_file out = {0};
  char *buf = NULL;
  size_t len = 0;
  int rc;
  char err[1024];
  if (o->output && cli_same_file(o->output, o->data))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input data file", o->output);
  strata_status st = strata_dataset_open(o->data, o->location, (const char *const *)o->features, o->nfeatures, &ds);
  if (st != STRATA_OK) return cli_status_error(st);
  if (o->ncategorical > 0) {
    st = strata_dataset_add_categorical(ds, (const char *const *)o->categorical, o->ncategorical, NULL, NULL);
    if (st != STRATA_OK) {
      rc = cli_status_error(st);
      goto done;
    }
  }
  if (o->output && !cli_output_path_ok(o->output, "output", err, sizeof err)) {
    rc = cli_error(CLI_EXIT_RUNTIME, "%s", err);
    goto done;
  }
  cli_progress_begin(o->quiet ? CLI_PROGRESS_NONE : o->progress);
  o->p.fit.progress = cli_progress_cb;
  o->p.fit.progress_user = NULL;
  st = strata_sweep(ds, &o->p, &r);
  cli_progress_end();
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  size_t d = strata_dataset_cols(ds);
  const char **names = cli_xcalloc(d ? d : 1, sizeof *names);
  for (size_t j = 0; j < d; j++) names[j] = strata_dataset_col_name(ds, j);
  cli_sweep_info in = {o->data, names, o->p.fit.seed, o->p.silhouette_sample, o->p.fit.n_init};
  int bad = render(o, r, &in, &buf, &len);
  free(names);
  if (bad) {
    rc = cli_error(CLI_EXIT_RUNTIME, "cannot format the sweep result");
    goto done;
  }
  if (o->output) {
    if ((st = strata_output_begin(o->output, &out)) != STRATA_OK ||
        (st = strata_output_write_all(&out, buf, len)) != STRATA_OK ||
        (st = strata_output_commit(&out)) != STRATA_OK) {
      rc = cli_status_error(st);
      goto done;
    }
    if (!o->quiet && !o->json && !o->csv) fprintf(stdout, "recommended %s\nwrote %s\n", r->reason, o->output);
  } else if (!o->quiet || o->json || o->csv) {
    fwrite(buf, 1, len, stdout);
  }
  rc = CLI_EXIT_OK;
done:
  strata_output_abort(&out);
  free(buf);
  strata_sweep_free(r);
  strata_dataset_free(ds);
  return rc;
}

int cli_cmd_sweep(int argc, char **argv) {
  sweep_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    rc = run(&o);
  }
  cli_opt_list_free(o.features);
  cli_opt_list_free(o.categorical);
  free(o.ks);
  return rc;
}
