/* A tiny test harness: CHECK records a failure with file and line and goes
 * on; main() returns check_report() so ctest sees the outcome. */
#ifndef STRATA_TEST_CHECK_H
#define STRATA_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures_ = 0;
static int check_count_ = 0;

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

static inline int check_report(void) {
  printf("%d checks, %d failed\n", check_count_, check_failures_);
  return check_failures_ ? 1 : 0;
}

#endif
