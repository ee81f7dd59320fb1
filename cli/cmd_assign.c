/* `strata assign`: scores a dataset into the segments of a saved model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "comm.h"
#include "error.h"
#include "diag.h"
#include "drift_out.h"
#include "json_out.h"
#include "option_table.h"
#include "pass.h"
#include "paths.h"
#include "print_summary.h"
#include "table.h"

typedef struct {
  cli_args a;
  strata_fit_params p; /* holds --threads and --chunk-rows */
} assign_opts;

static int run(void *state) {
  assign_opts *o = state;
  char err[1024];
  if (cli_same_file(o->a.labels, o->a.data))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the input data file", o->a.labels);
  if (cli_same_file(o->a.labels, o->a.model))
    return cli_error(CLI_EXIT_USAGE, "labels file '%s' is the model file", o->a.labels);

  int rc;
  strata_model *model = NULL;
  strata_dataset *ds = NULL;
  int64_t *sizes = NULL;
  strata_drift *drift = NULL;
  /* Several ranks (mpirun): a rank that cannot read the model or the data
   * fails the job on every rank with its reason; only rank 0 writes. */
  const strata_comm *comm = strata_ctx_comm(o->a.ctx);
  strata_status st = strata_comm_agree(comm, strata_model_load(o->a.model, &model));
  if (st != STRATA_OK) {
    strata_model_free(model);
    return cli_status_error(st);
  }
  const strata_model_info *info = strata_model_get_info(model);
  st = strata_comm_agree(comm, strata_model_open_data(model, o->a.data, o->a.location, &ds));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  /* The inputs are good: make sure the result can be written before the work. */
  int writable = strata_comm_rank(comm) > 0 || cli_output_path_ok(o->a.labels, "labels", err, sizeof err);
  st = strata_comm_agree(comm, writable ? STRATA_OK
                                         : strata_fail(cli_output_refusal(o->a.labels) == CLI_EXIT_USAGE
                                                           ? STRATA_ERR_USAGE
                                                           : STRATA_ERR_WRITE,
                                                       "%s", err));
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  sizes = cli_xcalloc((size_t)info->k, sizeof *sizes);
  double inertia = 0.0, t0 = cli_now();
  int want_drift = !o->a.no_drift && info->train_mean && !info->weights;
  if (!o->a.no_drift && !want_drift)
    cli_warn(info->weights ? "drift is measured for k-means models only: not measured for this Gaussian mixture"
                           : "the model has no training reference (saved by an older Strata): drift not measured");
  if (o->p.soft)
    st = strata_assign_soft(o->a.ctx, model, ds, o->a.labels, o->p.chunk_rows, &inertia, sizes);
  else
    st = strata_assign_drift(o->a.ctx, model, ds, o->a.labels, o->p.chunk_rows, &o->a.drift, o->a.model, &inertia,
                             sizes, want_drift ? &drift : NULL);
  double seconds = cli_now() - t0;
  if (st != STRATA_OK) {
    rc = cli_status_error(st);
    goto done;
  }
  uint64_t rows = strata_dataset_rows(ds);
  if (o->a.json) {
    /* The JSON says which data it was made on (strata report checks it);
     * only rank 0 prints, so only rank 0 reads the data for it. */
    cli_fingerprint fp;
    memset(&fp, 0, sizeof fp);
    int with_fp = strata_comm_rank(comm) == 0;
    if (with_fp && (st = cli_fingerprint_of(ds, &fp)) != STRATA_OK) {
      rc = cli_status_error(st);
      goto done;
    }
    int bad = cli_json_assign(stdout, info, o->a.model, rows, inertia, sizes, seconds, o->a.labels, drift,
                              with_fp ? &fp : NULL, strata_comm_size(comm),
                              strata_threads_resolve(strata_ctx_threads(o->a.ctx)));
    if (with_fp) cli_fingerprint_free(&fp);
    if (bad) {
      rc = cli_error(CLI_EXIT_RUNTIME, "cannot write the JSON result to standard output");
      goto done;
    }
  } else if (!o->a.quiet) {
    cli_print_assign(stdout, info, rows, inertia, sizes, seconds, o->a.labels, cli_output_width(stdout));
    if (drift) cli_print_drift(stdout, drift, cli_output_width(stdout));
  }
  if (drift) cli_warn_drift(drift);
  rc = CLI_EXIT_OK;
done:
  strata_drift_free(drift);
  free(sizes);
  strata_dataset_free(ds);
  strata_model_free(model);
  return rc;
}

int cli_cmd_assign(strata_ctx *ctx, int argc, char **argv) {
  assign_opts o;
  memset(&o, 0, sizeof o);
  o.a.fit = &o.p;
  return cli_args_main(ctx, CLI_CMD_ASSIGN, argc, argv, &o.a, run, &o);
}
