/* `strata rfm`: a transaction table to one row per customer with recency,
 * frequency, monetary value and their quintile scores (strata_rfm,
 * strata.h). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "json_out.h"
#include "options.h"
#include "paths.h"

static const char *const CMD = "rfm";

enum {
  OPT_CUSTOMER = 256,
  OPT_INVOICE,
  OPT_DATE,
  OPT_QUANTITY,
  OPT_PRICE,
  OPT_DATE_FORMAT,
  OPT_REFERENCE,
  OPT_RETURNS,
  OPT_DELIMITER,
  OPT_DECIMAL,
  OPT_MEM_LIMIT,
  OPT_THREADS,
  OPT_JSON
};

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"customer", required_argument, NULL, OPT_CUSTOMER},
    {"invoice", required_argument, NULL, OPT_INVOICE},
    {"date", required_argument, NULL, OPT_DATE},
    {"quantity", required_argument, NULL, OPT_QUANTITY},
    {"price", required_argument, NULL, OPT_PRICE},
    {"date-format", required_argument, NULL, OPT_DATE_FORMAT},
    {"reference-date", required_argument, NULL, OPT_REFERENCE},
    {"returns", required_argument, NULL, OPT_RETURNS},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    {"decimal", required_argument, NULL, OPT_DECIMAL},
    {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata rfm TX.csv|TX.h5 --customer COL --invoice COL --date COL\n"
        "                  --quantity COL --price COL -o CUSTOMERS.h5 [options]\n"
        "\n"
        "Turns a transaction table (one row per invoice line, in any order; a CSV file,\n"
        "or an HDF5 table that `strata import` wrote) into one row\n"
        "per customer: the customer key (an identifier column under its own name),\n"
        "recency_days, frequency, monetary, tenure_days, avg_basket, and the quintile\n"
        "scores r_score, f_score, m_score.  The output is an imported table that\n"
        "`strata fit` reads directly.  Memory is bounded by --mem-limit: beyond it the\n"
        "group-by spills sorted runs next to the output and merges them; the result is\n"
        "the same, to the bit, whatever the limit and the row order.\n"
        "\n"
        "Rules:\n"
        "  - rows without a customer key are skipped and counted;\n"
        "  - an invoice number starting with 'C' is a cancellation: left out of every\n"
        "    measure (counted), or with --returns subtract its rows reduce monetary by\n"
        "    |quantity x price| and change nothing else;\n"
        "  - recency_days: whole days from the last purchase's date to the reference\n"
        "    date (default: the day after the last purchase in the table); tenure_days:\n"
        "    the same from the first purchase; times of day are dropped;\n"
        "  - frequency: distinct invoices; monetary: sum of quantity x price;\n"
        "    avg_basket = monetary / frequency;\n"
        "  - a customer with cancellations only gets no row (counted);\n"
        "  - scores 1-5: 1 + floor(5 (rank - 1) / customers), rank ascending with ties\n"
        "    sharing their lowest rank (recency ranked from the most distant), so 5 is\n"
        "    the most recent, most frequent or highest spending fifth and tied\n"
        "    customers share a score.\n"
        "\n"
        "required:\n"
        "  -o, --output CUSTOMERS.h5   HDF5 table to write\n"
        "      --customer COL          customer key column (integer or text)\n"
        "      --invoice COL           invoice number column\n"
        "      --date COL              invoice date column\n"
        "      --quantity COL          quantity column\n"
        "      --price COL             unit price column\n"
        "\n"
        "options:\n"
        "      --date-format FMT       dates like '%d/%m/%Y %H:%M' (%Y %y %m %b %d %H %M %S\n"
        "                              %p; default ISO-8601 YYYY-MM-DD[THH:MM[:SS]])\n"
        "      --reference-date DAY    YYYY-MM-DD the recency is measured at (default:\n"
        "                              the day after the last purchase)\n"
        "      --returns exclude|subtract\n"
        "                              cancelled invoices are left out (default) or\n"
        "                              reduce monetary\n"
        "      --delimiter C           field delimiter: , ; | tab or any one character\n"
        "                              (default: guessed among , ; tab |)\n"
        "      --decimal C             decimal mark of quantity and price: . (default)\n"
        "                              or , (10,5; the delimiter must be another one)\n"
        "      --mem-limit SIZE        memory of the group-by before it spills, e.g.\n"
        "                              64M (default 256M)\n"
        "      --threads T             compression threads, 0 = one per core (default 0)\n"
        "      --json                  print one JSON object on stdout instead of the\n"
        "                              summary\n"
        "  -v, --verbose               also print library info\n"
        "  -q, --quiet                 print nothing but errors (and --json output)\n"
        "  -h, --help                  show this help\n"
        "\n"
        "Errors (a missing column, a date or number that does not parse, with its line\n"
        "and column, no customer left) leave no output.  Exit status: 0 ok, 1 runtime\n"
        "failure, 2 bad usage or bad input.\n",
        f);
}

typedef struct {
  strata_rfm_params p;
  int json, quiet, verbose, threads;
} rfm_opts;

static int parse(int argc, char **argv, rfm_opts *o) {
  static const char *const returns[] = {"exclude", "subtract", NULL};
  char err[512];
  long long v;
  uint64_t bytes;
  int idx;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
    switch (c) {
      case 'o': o->p.output = optarg; break;
      case OPT_CUSTOMER: o->p.customer = optarg; break;
      case OPT_INVOICE: o->p.invoice = optarg; break;
      case OPT_DATE: o->p.date = optarg; break;
      case OPT_QUANTITY: o->p.quantity = optarg; break;
      case OPT_PRICE: o->p.price = optarg; break;
      case OPT_DATE_FORMAT: o->p.date_format = optarg; break;
      case OPT_REFERENCE: o->p.reference_date = optarg; break;
      case OPT_RETURNS:
        if (!cli_opt_choice(optarg, "--returns", returns, &idx, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        o->p.returns_subtract = idx == 1;
        break;
      case OPT_DELIMITER:
        if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0) o->p.delimiter = '\t';
        else if (strlen(optarg) == 1 && optarg[0] != '"' && (unsigned char)optarg[0] < 0x80) o->p.delimiter = optarg[0];
        else return cli_usage_error(CMD, "--delimiter: '%s' is not one character (or 'tab')", optarg);
        break;
      case OPT_DECIMAL:
        if (strcmp(optarg, ",") != 0 && strcmp(optarg, ".") != 0)
          return cli_usage_error(CMD, "--decimal: '%s' is not '.' or ','", optarg);
        o->p.decimal = optarg[0];
        break;
      case OPT_MEM_LIMIT:
        if (!cli_opt_size(optarg, "--mem-limit", &bytes, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        if (bytes < 4096) return cli_usage_error(CMD, "--mem-limit must be at least 4K (got '%s')", optarg);
        o->p.mem_limit = (size_t)bytes;
        break;
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
  if (optind >= argc) return cli_usage_error(CMD, "missing the transaction table TX.csv or TX.h5");
  if (argc - optind > 1) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  o->p.input = argv[optind];
  if (!o->p.output) return cli_usage_error(CMD, "missing required option -o CUSTOMERS.h5");
  const char *need[] = {o->p.customer, o->p.invoice, o->p.date, o->p.quantity, o->p.price};
  const char *names[] = {"--customer", "--invoice", "--date", "--quantity", "--price"};
  for (int k = 0; k < 5; k++)
    if (!need[k]) return cli_usage_error(CMD, "missing required option %s COL", names[k]);
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

static void print_summary(const rfm_opts *o, const strata_rfm_result *r) {
  printf("rfm: %s -> %s: customers=%llu rows=%llu seconds=%.3f\n", o->p.input, o->p.output,
         (unsigned long long)r->customers, (unsigned long long)r->rows, r->seconds);
  printf("reference date %s; %llu rows without a customer skipped; %llu cancelled rows %s", r->reference_date,
         (unsigned long long)r->no_customer, (unsigned long long)r->cancelled_rows,
         o->p.returns_subtract ? "subtracted from monetary" : "left out");
  if (r->without_purchase)
    printf("; %llu customers with cancellations only have no row", (unsigned long long)r->without_purchase);
  if (r->runs) printf("; %zu sorted runs spilled and merged", r->runs);
  printf("\ncolumns: %s (%s, id), recency_days, frequency, monetary, tenure_days, avg_basket, r_score, f_score, "
         "m_score\n",
         o->p.customer, r->text_key ? "categorical" : "int");
}

static int run(const strata_ctx *ctx, rfm_opts *o) {
  if (cli_same_file(o->p.output, o->p.input))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input file", o->p.output);
  strata_rfm_result r;
  strata_status st = strata_rfm(ctx, &o->p, &r);
  if (st != STRATA_OK) return cli_status_error(st);
  if (o->json) {
    if (cli_json_rfm(stdout, &o->p, &r) != 0)
      return cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
  } else if (!o->quiet) {
    print_summary(o, &r);
  }
  return CLI_EXIT_OK;
}

int cli_cmd_rfm(strata_ctx *ctx, int argc, char **argv) {
  rfm_opts o;
  memset(&o, 0, sizeof o);
  strata_rfm_params_init(&o.p);
  int rc = parse(argc, argv, &o);
  if (rc < 0) {
    cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
    strata_status st = strata_ctx_set_threads(ctx, o.threads);
    rc = st == STRATA_OK ? run(ctx, &o) : cli_status_error(st);
  }
  return rc;
}
