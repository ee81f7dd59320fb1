/* Diagnostics: the one error line, warnings, the library log sink. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

static cli_verbosity verbosity = CLI_NORMAL;

/* Every line this command writes to stderr goes through here, so that a
 * progress bar being drawn is cleared first and the line stays whole. */
static void emit(const char *kind, const char *fmt, va_list ap) {
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  /* A detail is one line: fold any newline a message might carry. */
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  flockfile(stderr);
  cli_progress_clear();
  fprintf(stderr, "strata: %s: %s\n", kind, msg);
  fflush(stderr);
  funlockfile(stderr);
}

static void emit_plain(const char *kind, const char *fmt, ...) CLI_PRINTF(2, 3);
static void emit_plain(const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(kind, fmt, ap);
  va_end(ap);
}

/* A command that fits many times (stability, sweep) would repeat the same
 * warning about the same data once per fit: each distinct warning is shown
 * once.  The last few are remembered, which covers those repeats. */
static int seen_before(const char *msg) {
  enum { REMEMBER = 16, LEN = 256 };
  static char seen[REMEMBER][LEN];
  static int next;
  for (int i = 0; i < REMEMBER; i++)
    if (seen[i][0] && strncmp(seen[i], msg, LEN - 1) == 0) return 1;
  snprintf(seen[next], LEN, "%s", msg);
  next = (next + 1) % REMEMBER;
  return 0;
}

static void log_sink(strata_log_level level, const char *msg, void *user) {
  (void)user;
  switch (level) {
    case STRATA_LOG_WARN:
      if (verbosity >= CLI_NORMAL) {
        flockfile(stderr); /* the library may log from several threads; the lock is recursive */
        if (!seen_before(msg)) emit_plain("warning", "%s", msg);
        funlockfile(stderr);
      }
      break;
    case STRATA_LOG_INFO:
      if (verbosity >= CLI_VERBOSE) emit_plain("info", "%s", msg);
      break;
    case STRATA_LOG_DEBUG:
      if (verbosity >= CLI_DEBUG) emit_plain("debug", "%s", msg);
      break;
    case STRATA_LOG_ERROR:
    default:
      /* Failures reach the user through the status the call returns, as the
       * one error line; a logged error is context for that line, shown only
       * when asked for so that the error stays a single line otherwise. */
      if (verbosity >= CLI_VERBOSE) emit_plain("info", "%s", msg);
      break;
  }
}

void cli_diag_init(strata_ctx *ctx, cli_verbosity v) {
  verbosity = v;
  strata_log_level max = v >= CLI_DEBUG     ? STRATA_LOG_DEBUG
                         : v >= CLI_VERBOSE ? STRATA_LOG_INFO
                                            : STRATA_LOG_WARN;
  strata_ctx_set_log(ctx, log_sink, NULL, max);
}

int cli_error(int exit_code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("error", fmt, ap);
  va_end(ap);
  return exit_code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (cmd)
    emit_plain("error", "%s (try 'strata %s --help')", msg, cmd);
  else
    emit_plain("error", "%s (try 'strata --help')", msg);
  return 2;
}

int cli_status_error(strata_status st) {
  const char *detail = strata_last_error();
  if (!detail || !*detail) detail = strata_status_message(st);
  emit_plain("error", "%s", detail);
  int code = strata_status_exit_code(st);
  return code ? code : 1; /* a status reported as an error is never success */
}

void cli_warn(const char *fmt, ...) {
  if (verbosity < CLI_NORMAL) return;
  va_list ap;
  va_start(ap, fmt);
  emit("warning", fmt, ap);
  va_end(ap);
}

void cli_note(const char *fmt, ...) {
  if (verbosity < CLI_NORMAL) return;
  va_list ap;
  va_start(ap, fmt);
  emit("note", fmt, ap);
  va_end(ap);
}

/* The name of an option as the user wrote it, without any "=value". */
static int written_len(const char *arg) { return (int)strcspn(arg, "="); }

int cli_getopt_error(const char *cmd, int c, char *const *argv, const struct option *longopts) {
  /* After a long option getopt has always moved past it, so argv[optind-1]
   * is that option as written; within a cluster of short options ("-qz")
   * it may not have, so short options are named from optopt. */
  const char *arg = optind > 0 ? argv[optind - 1] : "";
  if (!arg) arg = "";
  int is_long = strncmp(arg, "--", 2) == 0;
  if (c == ':') {
    if (is_long) return cli_usage_error(cmd, "option '%.*s' requires a value", written_len(arg), arg);
    for (const struct option *o = longopts; o && o->name; o++)
      if (o->val == optopt)
        return cli_usage_error(cmd, "option '-%c' (--%s) requires a value", optopt, o->name);
    return cli_usage_error(cmd, "option '-%c' requires a value", optopt);
  }
  if (optopt == 0) return cli_usage_error(cmd, "unknown or ambiguous option '%.*s'", written_len(arg), arg);
  for (const struct option *o = longopts; o && o->name; o++)
    if (o->val == optopt) /* a known option: the long form was given a value */
      return cli_usage_error(cmd, "option '--%s' does not take a value", o->name);
  if (optopt > 32 && optopt < 127) return cli_usage_error(cmd, "unknown option '-%c'", optopt);
  return cli_usage_error(cmd, "unknown option '%s'", arg);
}
