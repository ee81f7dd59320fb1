/* `strata stability`: how stable the segments of a k-means fit are under
 * resampling (bootstrap or subsample refits; Hennig's Jaccard per segment,
 * adjusted Rand index between runs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "comm.h"
#include "diag.h"
#include "error.h"
#include "json_out.h"
#include "option_table.h"
#include "output_file.h"
#include "pass.h"
#include "paths.h"
#include "table.h"

static const char *const CMD = "stability";

typedef struct {
  cli_args a;
  strata_stability_params p;
} stability_opts;

static void print_table(FILE *f, const strata_stability_result *r, const char *data) {
  fprintf(f, "stability of %s: ", data);
  if (strcmp(r->algorithm, "kmeans") != 0) fprintf(f, "%s, ", r->algorithm);
  fprintf(f, "k = %d, %d %s runs", r->k, r->runs, r->method);
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
static int emit(FILE *f, const stability_opts *o, const strata_stability_result *r,
                const cli_fingerprint *fp) {
  if (o->a.json)
    return cli_json_stability(f, r, o->a.data, fp, o->a.choice, (const char *const *)o->a.categorical.items,
                              strata_comm_size(strata_ctx_comm(o->a.ctx)),
                              strata_threads_resolve(strata_ctx_threads(o->a.ctx)));
  print_table(f, r, o->a.data);
  return ferror(f) ? -1 : 0;
}

/* -o FILE: built in memory, written under a temporary name, renamed. */
static int write_output(const stability_opts *o, const strata_stability_result *r, const cli_fingerprint *fp) {
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&text, &size);
  if (!mem) return cli_error(CLI_EXIT_RUNTIME, "out of memory");
  int bad = emit(mem, o, r, fp);
  if (fclose(mem) != 0) bad = -1;
  if (bad) {
    free(text);
    return cli_error(CLI_EXIT_RUNTIME, "cannot build the output for '%s'", o->a.output);
  }
  strata_output_file of;
  strata_status st = strata_output_begin_text(o->a.output, &of);
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

static int run(void *state) {
  stability_opts *o = state;
  const strata_stability_params *p = &o->p;
  if (!(p->dissolved <= p->unstable && p->unstable <= p->stable))
    return cli_usage_error(CMD, "thresholds must satisfy --dissolved <= --unstable <= --stable (got %g, %g, %g)",
                           p->dissolved, p->unstable, p->stable);
  if (o->a.output && cli_same_file(o->a.output, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input data file", o->a.output);
  /* Several ranks: every rank opens the data (a rank that cannot fails the
   * job on all of them) and reads the sample; the refits share their
   * passes; rank 0 alone writes -o. */
  const strata_comm *comm = strata_ctx_comm(o->a.ctx);
  int writer = strata_comm_rank(comm) == 0;
  strata_dataset *ds = NULL;
  strata_status st = strata_comm_agree(comm, cli_args_open_data(&o->a, &ds));
  if (st != STRATA_OK) {
    strata_dataset_free(ds);
    return cli_status_error(st);
  }
  char err[1024];
  int writable = !writer || !o->a.output || cli_text_output_path_ok(o->a.output, "output", err, sizeof err);
  st = strata_comm_agree(comm, writable ? STRATA_OK : strata_fail(STRATA_ERR_WRITE, "%s", err));
  if (st != STRATA_OK) {
    strata_dataset_free(ds);
    return cli_status_error(st);
  }
  if (o->a.verbose) o->p.progress = report_run;
  strata_stability_result *r = NULL;
  st = strata_stability(o->a.ctx, ds, &o->p, &r);
  /* The JSON says which data it was made on (strata report checks it). */
  cli_fingerprint fp = {0};
  if (st == STRATA_OK && o->a.json) st = cli_fingerprint_of(ds, &fp);
  int rc;
  if (st != STRATA_OK) rc = cli_status_error(st);
  else if (o->a.output) rc = writer ? write_output(o, r, o->a.json ? &fp : NULL) : CLI_EXIT_OK;
  else if (o->a.json || !o->a.quiet)
    rc = emit(stdout, o, r, o->a.json ? &fp : NULL) == 0 ? CLI_EXIT_OK
                                                          : cli_error(CLI_EXIT_RUNTIME, "cannot write to standard output");
  else rc = CLI_EXIT_OK;
  cli_fingerprint_free(&fp);
  strata_stability_free(r);
  strata_dataset_free(ds);
  return rc;
}

int cli_cmd_stability(strata_ctx *ctx, int argc, char **argv) {
  stability_opts o;
  memset(&o, 0, sizeof o);
  o.a.fit = &o.p.fit;
  o.a.stability = &o.p;
  return cli_args_main(ctx, CLI_CMD_STABILITY, argc, argv, &o.a, run, &o);
}
