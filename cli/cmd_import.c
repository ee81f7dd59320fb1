/* `strata import`: a CSV file to columnar HDF5 (strata_csv_import, strata.h). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "diag.h"
#include "json_out.h"
#include "options.h"
#include "paths.h"
#include "table.h"

static const char *const CMD = "import";

enum { OPT_GROUP = 256, OPT_DELIMITER, OPT_ENCODING, OPT_COLUMNS, OPT_SKIP_COLUMNS, OPT_ON_ERROR, OPT_THREADS, OPT_JSON,
       OPT_DATE_FORMAT, OPT_DECIMAL, OPT_STRICT };

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"group", required_argument, NULL, OPT_GROUP},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"skip-columns", required_argument, NULL, OPT_SKIP_COLUMNS},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"date-format", required_argument, NULL, OPT_DATE_FORMAT},
    {"decimal", required_argument, NULL, OPT_DECIMAL},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata import DATA.csv -o DATA.h5 [options]\n"
        "\n"
        "Converts a CSV file with a header row into a columnar HDF5 table: one chunked,\n"
        "compressed dataset per column.  Two streaming passes over the file (types are\n"
        "inferred from every value, then values are converted), in constant memory but\n"
        "for the dictionaries of text columns.\n"
        "\n"
        "Types: int, float, bool (true/false, yes/no, t/f, y/n), date (ISO-8601, stored\n"
        "as days since 1970-01-01) and categorical (any other text: int32 codes plus a\n"
        "dictionary).  Missing values (empty, NA, N/A, NaN, null, ?; any case) become NaN\n"
        "or code -1.  A column of numbers with a few cells that are not (at most 1 in\n"
        "100) stays numeric: those cells become missing, counted and listed with their\n"
        "lines (--strict: an error instead); a column stored as text although most of\n"
        "its values are numbers is warned about.  Columns named id, *_id, *Id or *ID whose values are all distinct\n"
        "are marked as identifiers, which `strata fit` leaves out unless named.\n"
        "\n"
        "required:\n"
        "  -o, --output DATA.h5      HDF5 file to write\n"
        "\n"
        "options:\n"
        "      --group PATH          group to hold the columns (default: the root)\n"
        "      --delimiter C         field delimiter: , ; | tab or any one character\n"
        "                            (default: guessed among , ; tab |)\n"
        "      --encoding E          utf-8 or latin-1 (default utf-8)\n"
        "      --columns a,b,c       import only these columns, in this order\n"
        "      --skip-columns a,b    import every column but these\n"
        "      --on-error fail|skip  a bad row (ragged, bad quoting, invalid text, a number\n"
        "                            beyond float64) fails the import (default) or is\n"
        "                            skipped, counted and listed\n"
        "      --date-format FMT     also read dates written like '%d/%m/%Y %H:%M' (%Y %y\n"
        "                            %m %b %d %H %M %S %p); ISO dates are always read\n"
        "      --decimal C           decimal mark: . (default) or , (10,5; the delimiter\n"
        "                            must then be another one)\n"
        "      --strict              a cell that is not a number in a column of numbers\n"
        "                            fails the import instead of becoming missing\n"
        "      --threads T           compression threads, 0 = one per core (default 0)\n"
        "      --json                print one JSON object on stdout instead of the summary\n"
        "  -v, --verbose             also print library info (e.g. why a column is text)\n"
        "  -q, --quiet               print nothing but errors (and --json output)\n"
        "  -h, --help                show this help\n"
        "\n"
        "The output is written under a temporary name and renamed into place when\n"
        "complete.  Errors name the line and column.  Exit status: 0 ok, 1 runtime\n"
        "failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  strata_csv_import_params p;
  char **columns, **skip;
  int json, quiet, verbose;
  int threads; /* compression threads */
} import_opts;

static int parse_delimiter(const char *text, char *out) {
  if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0 || strcmp(text, "\t") == 0) {
    *out = '\t';
    return 1;
  }
  if (strlen(text) != 1) return 0;
  char c = text[0];
  if (c == '"' || c == '\n' || c == '\r' || (unsigned char)c >= 0x80) return 0;
  *out = c;
  return 1;
}

static int parse(int argc, char **argv, import_opts *o) {
  static const char *const encodings[] = {"utf-8", "latin-1", "utf8", "latin1", "iso-8859-1", NULL};
  static const char *const on_error[] = {"fail", "skip", NULL};
  char err[512];
  long long v;
  int idx;
  size_t n;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'o': o->p.output = optarg; break;
      case OPT_GROUP: o->p.group = optarg; break;
      case OPT_DELIMITER:
        if (!parse_delimiter(optarg, &o->p.delimiter))
          return cli_usage_error(CMD, "--delimiter: '%s' is not one character (or 'tab')", optarg);
        break;
      case OPT_ENCODING:
        if (!cli_opt_choice(optarg, "--encoding", encodings, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.latin1 = idx == 1 || idx >= 3;
        break;
      case OPT_COLUMNS:
        cli_opt_list_free(o->columns);
        o->columns = NULL;
        if (!cli_opt_list(optarg, "--columns", &o->columns, &n, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.ncolumns = n;
        break;
      case OPT_SKIP_COLUMNS:
        cli_opt_list_free(o->skip);
        o->skip = NULL;
        if (!cli_opt_list(optarg, "--skip-columns", &o->skip, &n, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.nskip = n;
        break;
      case OPT_ON_ERROR:
        if (!cli_opt_choice(optarg, "--on-error", on_error, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.skip_bad_rows = idx == 1;
        break;
      case OPT_DATE_FORMAT: o->p.date_format = optarg; break;
      case OPT_DECIMAL:
        if (strcmp(optarg, ",") != 0 && strcmp(optarg, ".") != 0)
          return cli_usage_error(CMD, "--decimal: '%s' is not '.' or ','", optarg);
        o->p.decimal = optarg[0];
        break;
      case OPT_STRICT: o->p.strict = 1; break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 1024, &v, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->threads = (int)v;
        break;
      case OPT_JSON: o->json = 1; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind >= argc) return cli_usage_error(CMD, "missing the CSV file");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->p.input = argv[optind];
  if (!o->p.output) return cli_usage_error(CMD, "missing required option -o DATA.h5");
  if (o->columns && o->skip) return cli_usage_error(CMD, "--columns and --skip-columns exclude each other");
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  o->p.columns = (const char *const *)o->columns;
  o->p.skip_columns = (const char *const *)o->skip;
  return -1;
}

static uint64_t peak_rss_bytes(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) return 0;
  return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

static const char *delimiter_name(char d) {
  static char one[4];
  if (d == '\t') return "tab";
  snprintf(one, sizeof one, "'%c'", d);
  return one;
}

static void print_summary(const import_opts *o, const strata_csv_import_result *t) {
  double s = t->seconds > 0 ? t->seconds : 1e-9;
  printf("import: %s -> %s%s%s: rows=%llu columns=%zu seconds=%.3f rows/s=%.4g MB/s=%.4g\n", o->p.input,
         o->p.output, o->p.group ? " " : "", o->p.group ? o->p.group : "", (unsigned long long)t->rows, t->ncols,
         t->seconds, (double)t->rows / s, (double)t->bytes / 1e6 / s);
  printf("delimiter %s, encoding %s, %llu lines", delimiter_name(t->delimiter), o->p.latin1 ? "latin-1" : "utf-8",
         (unsigned long long)t->lines);
  if (t->skipped) printf(", %llu bad rows skipped", (unsigned long long)t->skipped);
  printf("\n\n");
  cli_table *tab = cli_table_new(7, 1);
  const char *heads[7] = {"column", "type", "storage", "count", "missing", "categories", "role"};
  for (size_t k = 0; k < 7; k++) cli_table_column(tab, k, heads[k], k < 3 || k == 6);
  for (size_t j = 0; j < t->ncols; j++) {
    const strata_csv_import_column *c = &t->columns[j];
    cli_table_add_row(tab);
    cli_table_cell(tab, 0, "%s", c->name);
    cli_table_cell(tab, 1, "%s", c->type);
    cli_table_cell(tab, 2, "%s", c->storage);
    cli_table_cell(tab, 3, "%llu", (unsigned long long)c->count);
    cli_table_cell(tab, 4, "%llu", (unsigned long long)c->missing);
    if (strcmp(c->type, "categorical") == 0) cli_table_cell(tab, 5, "%llu", (unsigned long long)c->categories);
    else cli_table_cell(tab, 5, "-");
    cli_table_cell(tab, 6, "%s", c->is_id ? "id" : "");
  }
  cli_table_print(tab, stdout, cli_output_width(stdout), "");
  cli_table_free(tab);
}

/* Warnings: the skipped rows (--json lists them too), rounded integers. */
static void warn_about(const strata_csv_import_result *t) {
  for (size_t k = 0; k < t->nlisted; k++) {
    const strata_csv_import_problem *pr = &t->listed[k];
    if (pr->column)
      cli_warn("skipped line %llu, column %zu: %s", (unsigned long long)pr->line, pr->column, pr->reason);
    else
      cli_warn("skipped line %llu: %s", (unsigned long long)pr->line, pr->reason);
  }
  if (t->skipped > t->nlisted)
    cli_warn("%llu more bad rows skipped", (unsigned long long)(t->skipped - t->nlisted));
  for (size_t j = 0; j < t->ncols; j++) {
    const strata_csv_import_column *c = &t->columns[j];
    if (c->inexact)
      cli_warn("column '%s': integers beyond 2^53 with missing values are stored as float64 and rounded", c->name);
    if (c->note) cli_warn("column '%s': %s", c->name, c->note);
  }
}

static int run(const strata_ctx *ctx, import_opts *o) {
  /* The output's directory is checked by the import itself, right after
   * the input is opened and before any work. */
  if (cli_same_file(o->p.output, o->p.input))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input file", o->p.output);
  strata_csv_import_result *r = NULL;
  strata_status st = strata_csv_import(ctx, &o->p, &r);
  int rc;
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
  } else {
    warn_about(r);
    rc = CLI_EXIT_OK;
    if (o->json) {
      if (cli_json_import(stdout, &o->p, r, peak_rss_bytes()) != 0)
        rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
    } else if (!o->quiet) {
      print_summary(o, r);
    }
  }
  strata_csv_import_result_free(r);
  return rc;
}

int cli_cmd_import(strata_ctx *ctx, int argc, char **argv) {
  import_opts o;
  memset(&o, 0, sizeof o);
  strata_csv_import_params_init(&o.p);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    strata_status st = strata_ctx_set_threads(ctx, o.threads);
    rc = st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
  }
  cli_opt_list_free(o.columns);
  cli_opt_list_free(o.skip);
  return rc;
}
