/* Diagnostics of the `strata` command: the one error line, warnings, and the
 * sink that receives the library's log messages.
 *
 * Contract with job scripts: a failing command prints exactly one line
 * "strata: error: <detail>" on stderr and exits non-zero (1 runtime,
 * 2 bad usage or bad input).  Warnings are "strata: warning: <detail>". */
#ifndef STRATA_CLI_DIAG_H
#define STRATA_CLI_DIAG_H

#include <getopt.h>

#include "strata.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

typedef enum { CLI_QUIET = -1, CLI_NORMAL = 0, CLI_VERBOSE = 1, CLI_DEBUG = 2 } cli_verbosity;

/* Installs ctx's log sink for this verbosity: quiet drops warnings,
 * normal shows warnings, verbose adds info, debug adds debug messages. */
void cli_diag_init(strata_ctx *ctx, cli_verbosity v);

/* Prints "strata: error: <msg>" and returns exit_code. */
int cli_error(int exit_code, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Usage error in subcommand `cmd` (NULL for the top level): prints
 * "strata: error: <msg> (try 'strata [cmd] --help')" and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* A library failure: prints strata_last_error() (or the status message
 * when the detail is empty) and returns strata_status_exit_code(st). */
int cli_status_error(strata_status st);

/* Prints "strata: warning: <msg>" unless quiet. */
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Prints "strata: note: <msg>" unless quiet. */
void cli_note(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Reports a getopt_long failure: c is the '?' or ':' it returned; argv,
 * longopts as passed to it. Returns 2. */
int cli_getopt_error(const char *cmd, int c, char *const *argv, const struct option *longopts);

#endif
