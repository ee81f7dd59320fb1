/* Status codes, their names and messages (from the one table in strata.h),
 * and the per-thread detail of the last failure. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

static _Thread_local char last_error[1024];

static const struct {
  const char *name;
  const char *message;
  int exit_code;
} status_info[STRATA_STATUS_COUNT] = {
#define STRATA_X_INFO(name, code, msg) {"STRATA_" #name, msg, code},
    STRATA_STATUS_TABLE(STRATA_X_INFO)
#undef STRATA_X_INFO
};

static int valid(strata_status st) { return (int)st >= 0 && st < STRATA_STATUS_COUNT; }

const char *strata_status_name(strata_status st) {
  return valid(st) ? status_info[st].name : "STRATA_UNKNOWN";
}
const char *strata_status_message(strata_status st) {
  return valid(st) ? status_info[st].message : "unknown status";
}
int strata_status_exit_code(strata_status st) { return valid(st) ? status_info[st].exit_code : 1; }
const char *strata_last_error(void) { return last_error; }
const char *strata_version(void) { return STRATA_VERSION_STRING; }

strata_status strata_check_size(size_t size, size_t known, const char *what) {
  if (size == known) return STRATA_OK;
  return strata_fail(STRATA_ERR_USAGE,
                     "%s: size %zu, this library knows %zu (fill it with %s_init first; "
                     "a program built against another strata.h?)",
                     what, size, known, what);
}

strata_status strata_fail(strata_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  /* One line: a detail never carries a newline into a log. */
  for (char *p = last_error; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  return st;
}
