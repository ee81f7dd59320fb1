/* See fuzz_file.h.  The scratch files are removed at exit; libFuzzer runs
 * one input at a time in one thread, so one path per name is enough. */
#include "fuzz_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 4

static char paths[MAX_FILES][512];

static void remove_files(void) {
  for (int i = 0; i < MAX_FILES; i++)
    if (paths[i][0]) unlink(paths[i]);
}

const char *fuzz_file_write(const uint8_t *data, size_t size, const char *name) {
  int slot = 0;
  const char *dir = getenv("TMPDIR");
  char want[512];
  snprintf(want, sizeof want, "%s/strata-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
  while (slot < MAX_FILES && paths[slot][0] && strcmp(paths[slot], want) != 0) slot++;
  if (slot == MAX_FILES) fuzz_fail("fuzz_file", "too many scratch files");
  if (!paths[slot][0]) {
    if (slot == 0) atexit(remove_files);
    snprintf(paths[slot], sizeof paths[slot], "%s", want);
  }
  int fd = open(paths[slot], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fuzz_fail("fuzz_file", "cannot create the scratch file");
  for (size_t done = 0; done < size;) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) fuzz_fail("fuzz_file", "cannot write the scratch file");
    done += (size_t)w;
  }
  close(fd);
  return paths[slot];
}

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

void fuzz_fail(const char *harness, const char *what) {
  fprintf(stderr, "%s: invariant broken: %s\n", harness, what);
  abort();
}
