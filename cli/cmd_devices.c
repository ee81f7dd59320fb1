/* `strata devices`: every backend usable here (the CPU, each OpenCL
 * device) with a measured throughput for a shape. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "options.h"
#include "scheduler.h"
#include "table.h"

static const char *const CMD = "devices";

enum { OPT_K = 256, OPT_D, OPT_THREADS, OPT_JSON, OPT_NO_MEASURE };

static const struct option long_options[] = {
    {"k", required_argument, NULL, OPT_K},
    {"d", required_argument, NULL, OPT_D},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-measure", no_argument, NULL, OPT_NO_MEASURE},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs("usage: strata devices [options]\n"
        "\n"
        "Lists the backends usable here: the CPU (the ISA its kernels use, threads)\n"
        "and every OpenCL device (platform, vendor, memory, compute units, driver),\n"
        "each with the rows per second of one Lloyd pass measured on generated data\n"
        "of the given shape.  The NAME column is what --backend takes.\n"
        "\n"
        "options:\n"
        "      --k K               centroids of the measured shape (default 8)\n"
        "      --d D               features of the measured shape (default 16)\n"
        "      --threads T         CPU threads, 0 = all available (default 0)\n"
        "      --no-measure        list only, measure nothing\n"
        "      --json              print one JSON object on stdout instead of the table\n"
        "  -v, --verbose           also print library info (program builds, runs)\n"
        "  -q, --quiet             print nothing but errors (and --json output)\n"
        "  -h, --help              show this help\n"
        "\n"
        "Measuring builds the OpenCL program of each device once (cached on disk\n"
        "afterwards).  Exit status: 0 ok, 1 runtime failure, 2 bad usage.\n",
        f);
}

typedef struct {
  long long k, d, threads;
  int json, quiet, verbose, measure;
} devices_opts;

static int parse(int argc, char **argv, devices_opts *o) {
  char err[512];
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_K:
        if (!cli_opt_int(optarg, "--k", 1, 1 << 24, &o->k, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_D:
        if (!cli_opt_int(optarg, "--d", 1, 1 << 16, &o->d, err, sizeof err)) return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_THREADS:
        if (!cli_opt_int(optarg, "--threads", 0, 4096, &o->threads, err, sizeof err))
          return cli_error(CLI_EXIT_USAGE, "%s", err);
        break;
      case OPT_JSON: o->json = 1; break;
      case OPT_NO_MEASURE: o->measure = 0; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose++; break;
      case 'h': usage(stdout); return CLI_EXIT_OK;
      default: return cli_getopt_error(CMD, c, argv, long_options);
    }
  }
  if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
  if (o->quiet && o->verbose) return cli_usage_error(CMD, "--quiet and --verbose exclude each other");
  return -1;
}

/* 12.3 GiB style; "-" for 0. */
static void human_bytes(uint64_t b, char *buf, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  int u = 0;
  while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
  if (b == 0) snprintf(buf, size, "-");
  else snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* How idle OpenMP workers wait, as the environment set it (cli/main.c
 * sets OMP_WAIT_POLICY=passive unless the user chose). */
static void print_omp_waiting(void) {
  const char *p = getenv("OMP_WAIT_POLICY"), *s = getenv("GOMP_SPINCOUNT");
  if (s) printf("after GOMP_SPINCOUNT=%.40s spins", s);
  else if (p) printf("%.40s (OMP_WAIT_POLICY)", p);
  else printf("after spinning (libgomp's default)");
}

static void print_table(const devices_opts *o, const strata_device_desc *list, size_t n) {
  cli_table *t = cli_table_new(8, 1);
  const char *heads[] = {"NAME", "TYPE", "DEVICE", "MEMORY", "UNITS", "FP64", "KERNELS", "ROWS/S"};
  for (size_t c = 0; c < 8; c++) cli_table_column(t, c, heads[c], c <= 2 || c == 6);
  for (size_t i = 0; i < n; i++) {
    const strata_device_desc *e = &list[i];
    char mem[32];
    human_bytes(e->global_mem, mem, sizeof mem);
    cli_table_add_row(t);
    cli_table_cell(t, 0, "%s", e->backend);
    cli_table_cell(t, 1, "%s", e->type);
    cli_table_cell(t, 2, "%s", e->name);
    cli_table_cell(t, 3, "%s", mem);
    cli_table_cell(t, 4, "%d", e->threads);
    cli_table_cell(t, 5, "%s", e->kind[0] == 'c' ? "-" : e->fp64 ? "yes" : "no");
    cli_table_cell(t, 6, "%s", e->kind[0] == 'c' ? e->table : "opencl");
    if (!e->usable) cli_table_cell(t, 7, "unusable");
    else if (e->rows_per_second > 0) cli_table_cell(t, 7, "%.3g", e->rows_per_second);
    else cli_table_cell(t, 7, "-");
  }
  printf("Backends (rows/s: one Lloyd pass, d = %lld, k = %lld%s):\n", o->d, o->k,
         o->measure ? ", generated data" : ", not measured");
  cli_table_print(t, stdout, cli_output_width(stdout), "  ");
  cli_table_free(t);
  for (size_t i = 0; i < n; i++) {
    const strata_device_desc *e = &list[i];
    if (e->kind[0] == 'c') {
      printf("  %s: %s %s, ISA %s, %d threads, idle OpenMP threads wait ", e->backend, e->vendor, e->name,
             e->isa, e->threads);
      print_omp_waiting();
      printf("\n");
    } else {
      printf("  %s: %s, platform %s, driver %s, %s\n", e->backend, e->vendor, e->platform, e->driver,
             e->version);
    }
    if (e->note[0]) printf("    %s\n", e->note);
  }
  if (n == 1) printf("  no OpenCL device: %s\n", strata_devices_note());
}

static int print_json(const devices_opts *o, const strata_device_desc *list, size_t n) {
  cJSON *root = cJSON_CreateObject(), *arr = NULL;
  int ok = root != NULL;
  ok = ok && cJSON_AddNumberToObject(root, "d", (double)o->d) && cJSON_AddNumberToObject(root, "k", (double)o->k);
  ok = ok && cJSON_AddBoolToObject(root, "measured", o->measure);
  ok = ok && (arr = cJSON_AddArrayToObject(root, "devices")) != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    const strata_device_desc *e = &list[i];
    cJSON *d = cJSON_CreateObject();
    ok = d && cJSON_AddItemToArray(arr, d);
    if (!ok) {
      cJSON_Delete(d);
      break;
    }
    char mem[32];
    snprintf(mem, sizeof mem, "%" PRIu64, e->global_mem);
    ok = cJSON_AddStringToObject(d, "backend", e->backend) && cJSON_AddStringToObject(d, "kind", e->kind) &&
         cJSON_AddStringToObject(d, "type", e->type) && cJSON_AddStringToObject(d, "name", e->name) &&
         cJSON_AddStringToObject(d, "vendor", e->vendor) && cJSON_AddStringToObject(d, "kernels", e->table) &&
         cJSON_AddNumberToObject(d, e->kind[0] == 'c' ? "threads" : "compute_units", e->threads) &&
         cJSON_AddBoolToObject(d, "usable", e->usable) &&
         (e->note[0] ? cJSON_AddStringToObject(d, "note", e->note) : cJSON_AddNullToObject(d, "note")) &&
         (e->rows_per_second > 0 ? cJSON_AddNumberToObject(d, "rows_per_second", e->rows_per_second)
                                 : cJSON_AddNullToObject(d, "rows_per_second"));
    if (ok && e->kind[0] == 'c') {
      ok = cJSON_AddStringToObject(d, "isa", e->isa) != NULL;
    } else if (ok) {
      ok = cJSON_AddStringToObject(d, "platform", e->platform) && cJSON_AddStringToObject(d, "driver", e->driver) &&
           cJSON_AddStringToObject(d, "version", e->version) && cJSON_AddRawToObject(d, "global_mem_bytes", mem) &&
           cJSON_AddBoolToObject(d, "fp64", e->fp64);
    }
  }
  const char *note = strata_devices_note();
  ok = ok && (note[0] ? cJSON_AddStringToObject(root, "opencl_note", note) : cJSON_AddNullToObject(root, "opencl_note"));
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) return cli_error(CLI_EXIT_RUNTIME, "out of memory building the JSON result");
  int rc = printf("%s\n", text) < 0 ? cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output")
                                    : CLI_EXIT_OK;
  cJSON_free(text);
  return rc;
}

int cli_cmd_devices(strata_ctx *ctx, int argc, char **argv) {
  devices_opts o = {8, 16, 0, 0, 0, 0, 1};
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  cli_diag_init(ctx, o.quiet ? CLI_QUIET : o.verbose >= 2 ? CLI_DEBUG : o.verbose ? CLI_VERBOSE : CLI_NORMAL);
  strata_device_desc *list = NULL;
  size_t n = 0;
  strata_status st = strata_ctx_set_threads(ctx, (int)o.threads);
  if (st == STRATA_OK) st = strata_devices_list(ctx, (size_t)o.d, (size_t)o.k, o.measure, &list, &n);
  if (st != STRATA_OK) return cli_status_error(st);
  if (o.json) rc = print_json(&o, list, n);
  else if (!o.quiet) print_table(&o, list, n), rc = CLI_EXIT_OK;
  else rc = CLI_EXIT_OK;
  strata_devices_free(list);
  return rc;
}
