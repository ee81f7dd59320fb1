/* The `strata` command: entry points of the subcommands and small shared
 * helpers.  The command is thin: it parses, calls the library (strata.h),
 * and prints. */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include <stddef.h>

#include "strata.h"

/* Exit codes; they match strata_status_exit_code().  CLI_EXIT_STOPPED:
 * fit --checkpoint saved its checkpoint on SIGTERM/SIGUSR1 and stopped. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_RUNTIME = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_STOPPED = 75 };

/* From now on SIGTERM and SIGUSR1 ask the command's fit to save its
 * checkpoint at the next iteration boundary and stop (cli/main.c); a
 * second SIGTERM, or SIGINT, cancels.  Across MPI ranks SIGTERM keeps
 * cancelling (mpirun sends it to tear a job down when a rank died): only
 * SIGUSR1, which mpirun forwards, asks for the checkpoint. */
void cli_signals_checkpoint(void);

/* Each subcommand takes its own argv (argv[0] is the subcommand name) and
 * returns the process exit code.  Errors are already reported on stderr. */
int cli_cmd_fit(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_assign(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_inspect(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_import(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_export(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_devices(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_stability(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_pca(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_report(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_profile(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_sweep(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_rfm(strata_ctx *ctx, int argc, char **argv);
int cli_cmd_explain(strata_ctx *ctx, int argc, char **argv);

/* Allocation that cannot fail: on exhaustion prints the one error line and
 * exits with status 1.  Only for the command's own small bookkeeping. */
void *cli_xmalloc(size_t n);
void *cli_xcalloc(size_t count, size_t size);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

/* Seconds on a monotonic clock. */
/* Mean time of the kept run's Lloyd iterations (setup excluded). */
double cli_seconds_per_iteration(const strata_model_info *in);
double cli_now(void);

/* A model fitted with row weights (strata_model_info.weight_column): that
 * column of the data file, when it has one, becomes ds's row weights, so
 * that profile and report give each segment's share of the weight; a
 * note says so when the data lacks it.  Any other failure is returned. */
strata_status cli_attach_model_weights(const strata_model *model, const char *data, const char *location,
                                       strata_dataset *ds);

#endif
