/* `strata sweep`: fits every k of a range in one job and scores each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "comm.h"
#include "diag.h"
#include "error.h"
#include "option_table.h"
#include "output_file.h"
#include "pass.h"
#include "paths.h"
#include "progress.h"
#include "sweep_out.h"
#include "table.h"

typedef struct {
  cli_args a;
  strata_sweep_params p;
} sweep_opts;

/* Renders the chosen format into memory. */
static int render(const sweep_opts *o, const strata_sweep_result *r, const cli_sweep_info *in, char **buf,
                  size_t *len) {
  FILE *f = open_memstream(buf, len);
  if (!f) return -1;
  int rc = o->a.json ? cli_sweep_json(f, r, in)
           : o->a.csv ? cli_sweep_csv(f, r)
                    : cli_sweep_table(f, r, in, 0);
  if (fclose(f) != 0) rc = -1;
  return rc;
}

static int run(void *state) {
  sweep_opts *o = state;
  o->p.ks = o->a.ks;
  o->p.nk = o->a.nk;
  strata_dataset *ds = NULL;
  strata_sweep_result *r = NULL;
  strata_output_file out = {0};
  char *buf = NULL;
  size_t len = 0;
  int rc;
  char err[1024];
  if (o->a.output && cli_same_file(o->a.output, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "output file '%s' is the input data file", o->a.output);
  /* Several ranks: every rank opens the data (a rank that cannot fails the
   * job on all of them); rank 0 alone writes -o. */
  const strata_comm *comm = strata_ctx_comm(o->a.ctx);
  int writer = strata_comm_rank(comm) == 0;
  strata_status st = strata_comm_agree(comm, cli_args_open_data(&o->a, &ds));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  int writable = !writer || !o->a.output || cli_text_output_path_ok(o->a.output, "output", err, sizeof err);
  st = strata_comm_agree(comm, writable ? STRATA_OK : strata_fail(STRATA_ERR_WRITE, "%s", err));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  cli_progress_begin(o->a.quiet ? CLI_PROGRESS_NONE : (cli_progress_mode)o->a.progress);
  o->p.fit.progress = cli_progress_cb;
  o->p.fit.progress_user = NULL;
  st = strata_sweep(o->a.ctx, ds, &o->p, &r);
  cli_progress_end();
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  size_t d = strata_dataset_cols(ds);
  const char **names = cli_xcalloc(d ? d : 1, sizeof *names);
  for (size_t j = 0; j < d; j++) names[j] = strata_dataset_col_name(ds, j);
  cli_sweep_info in = {o->a.data, names, o->p.fit.seed, o->p.silhouette_sample, o->p.fit.n_init, NULL,
                       o->p.stability_runs, o->a.choice, (const char *const *)o->a.categorical.items,
                       strata_comm_size(comm), strata_threads_resolve(strata_ctx_threads(o->a.ctx)),
                       o->a.weights};
  /* The JSON says which data it was made on (strata report checks it). */
  cli_fingerprint fp = {0};
  if (o->a.json && (st = cli_fingerprint_of(ds, &fp)) != STRATA_OK) {
    free(names);
    rc = cli_status_error(st);
    goto done;
  }
  if (o->a.json) in.fingerprint = &fp;
  int bad = render(o, r, &in, &buf, &len);
  cli_fingerprint_free(&fp);
  free(names);
  if (bad) {
    rc = cli_error(CLI_EXIT_RUNTIME, "cannot format the sweep result");
    goto done;
  }
  if (o->a.output && writer) {
    if ((st = strata_output_begin_text(o->a.output, &out)) != STRATA_OK ||
        (st = strata_output_write_all(&out, buf, len)) != STRATA_OK ||
        (st = strata_output_commit(&out)) != STRATA_OK) {
      rc = cli_status_error(st);
      goto done;
    }
    if (!o->a.quiet && !o->a.json && !o->a.csv && strcmp(o->a.output, "-") != 0)
      fprintf(stdout, "recommended %s\nwrote %s\n", r->reason, o->a.output);
  } else if (!o->a.quiet || o->a.json || o->a.csv) {
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

int cli_cmd_sweep(strata_ctx *ctx, int argc, char **argv) {
  sweep_opts o;
  memset(&o, 0, sizeof o);
  o.a.fit = &o.p.fit;
  o.a.sweep = &o.p;
  return cli_args_main(ctx, CLI_CMD_SWEEP, argc, argv, &o.a, run, &o);
}
