/* The log callback: warnings go to stderr unless the application installs
 * its own sink. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

static const char *const level_names[] = {"error", "warning", "info", "debug"};

static void default_sink(strata_log_level level, const char *msg, void *user) {
  (void)user;
  fprintf(stderr, "strata: %s: %s\n", level_names[level], msg);
}

static strata_log_fn sink = default_sink;
static void *sink_user = NULL;
static strata_log_level sink_max = STRATA_LOG_WARN;

void strata_set_log(strata_log_fn fn, void *user, strata_log_level max_level) {
  sink = fn ? fn : default_sink;
  sink_user = user;
  sink_max = max_level;
}

void strata_log(strata_log_level level, const char *fmt, ...) {
  if (level > sink_max) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  sink(level, buf, sink_user);
}
