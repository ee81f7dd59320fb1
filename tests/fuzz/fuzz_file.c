/* See fuzz_file.h; the scratch files are fuzz_scratch.c's. */
#include "fuzz_file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library reads an HDF5 input in a child process first (io/h5_probe.c);
 * a memory error there is the library's to report (exit 2 naming the
 * file), not a crash of this input: the child must not run libFuzzer's
 * death callback, which would save the input as a crash artifact. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
static void in_child(void) {
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(NULL);
}

strata_ctx *fuzz_quiet_ctx(void) {
  static strata_ctx *ctx;
  if (!ctx) {
    pthread_atfork(NULL, NULL, in_child);
    if (!(ctx = strata_ctx_new())) fuzz_fail("fuzz_file", "no context");
    strata_ctx_set_log(ctx, NULL, NULL, STRATA_LOG_ERROR);
    strata_ctx_set_threads(ctx, 1);
  }
  return ctx;
}

void fuzz_check_status(strata_status st, const char *call) {
  /* FUZZ_VERBOSE=1 shows how far each input gets (is the seed corpus
   * reaching the fit and the assign?). */
  if (getenv("FUZZ_VERBOSE"))
    fprintf(stderr, "%s: %s%s%s\n", call, strata_status_name(st), st ? ": " : "", st ? strata_last_error() : "");
  if (st == STRATA_OK) return;
  const char *msg = strata_last_error();
  if (st == STRATA_ERR_INTERNAL) {
    fprintf(stderr, "%s: internal error: %s\n", call, msg ? msg : "(none)");
    abort();
  }
  if (st < 0 || st >= STRATA_STATUS_COUNT || !msg || !*msg || strchr(msg, '\n')) {
    fprintf(stderr, "%s: status %d without a one-line message: '%s'\n", call, (int)st, msg ? msg : "(null)");
    abort();
  }
}
