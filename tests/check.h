/* A tiny test harness: CHECK records a failure with file and line and goes
 * on; main() returns check_report() so ctest sees the outcome: 0 passed,
 * 1 failed (a failed check, or no check at all: a test that checked nothing
 * proves nothing), 77 skipped (ctest's SKIP_RETURN_CODE, set on every test
 * by tests/CMakeLists.txt).  A part that cannot run here says why with
 * check_skip() or check_unavailable(); the test then reports skipped unless
 * a check failed. */
#ifndef STRATA_TEST_CHECK_H
#define STRATA_TEST_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_ = 0;
static int check_count_ = 0;
static int check_skips_ = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    check_count_++;                                                          \
    if (!(cond)) {                                                           \
      check_failures_++;                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_MSG(cond, ...)                                                 \
  do {                                                                       \
    check_count_++;                                                          \
    if (!(cond)) {                                                           \
      check_failures_++;                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                          \
      fputc('\n', stderr);                                                   \
    }                                                                        \
  } while (0)

/* Status must be STRATA_OK; prints the library's detail otherwise. */
#define CHECK_OK(expr)                                                       \
  do {                                                                       \
    strata_status st_ = (expr);                                              \
    CHECK_MSG(st_ == STRATA_OK, "%s: %s", strata_status_name(st_), strata_last_error()); \
  } while (0)

#define CHECK_NEAR(a, b, rel)                                                \
  do {                                                                       \
    double a_ = (a), b_ = (b);                                               \
    CHECK_MSG(fabs(a_ - b_) <= (rel) * fmax(1e-300, fmax(fabs(a_), fabs(b_))), \
              "%.17g vs %.17g", a_, b_);                                     \
  } while (0)

/* The exit status ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define CHECK_SKIP_STATUS 77

/* Whether this is a CI run (CI set to anything but "", "0" or "false"), where
 * every prerequisite of a cross-check is installed on purpose.  The same rule
 * as ci_run() in tests/cli_lib.sh. */
static inline int check_in_ci(void) {
  const char *ci = getenv("CI");
  return ci && *ci && strcmp(ci, "0") != 0 && strcmp(ci, "false") != 0;
}

static inline void check_vskip_(int ci_fails, const char *fmt, va_list ap) {
  int fail = ci_fails && check_in_ci();
  fputs(fail ? "FAIL (CI=true: CI must provide this): " : "SKIPPED: ", fail ? stderr : stdout);
  vfprintf(fail ? stderr : stdout, fmt, ap);
  fputc('\n', fail ? stderr : stdout);
  if (fail) {
    check_count_++;
    check_failures_++;
  } else {
    check_skips_++;
  }
}

/* check_skip("why", ...): part of the test cannot run on this machine (an
 * ISA it lacks); the test reports skipped, in CI too. */
static inline void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void check_skip(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  check_vskip_(0, fmt, ap);
  va_end(ap);
}

/* check_unavailable("why", ...): a prerequisite of part of the test is
 * missing (an OpenCL device).  The test reports skipped, or with CI=true
 * fails: a cross-check that silently did not run is no check. */
static inline void check_unavailable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void check_unavailable(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  check_vskip_(1, fmt, ap);
  va_end(ap);
}

static inline int check_report(void) {
  printf("%d checks, %d failed, %d parts skipped\n", check_count_, check_failures_, check_skips_);
  if (check_failures_) return 1;
  if (check_skips_) return CHECK_SKIP_STATUS;
  if (check_count_ == 0) {
    fprintf(stderr, "FAIL: the test ran no check\n");
    return 1;
  }
  return 0;
}

#endif
