/* Internal error and logging helpers shared by every module. */
#ifndef STRATA_ERROR_H
#define STRATA_ERROR_H

#include "strata.h"

#if defined(__GNUC__)
#define STRATA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define STRATA_PRINTF(a, b)
#endif

/* Records a one-line detail for the calling thread and returns st, so that
 * callers can write `return strata_fail(STRATA_ERR_COLUMN, "column '%s' ...", n);` */
strata_status strata_fail(strata_status st, const char *fmt, ...) STRATA_PRINTF(2, 3);

/* STRATA_OK when a parameters struct's `size` field (strata.h conventions)
 * is the size of the layout this library knows, else STRATA_ERR_USAGE
 * naming the struct: `what` is its type name. */
strata_status strata_check_size(size_t size, size_t known, const char *what);

#define RETURN_IF(cond, st, ...) \
  do { if (cond) return strata_fail((st), __VA_ARGS__); } while (0)

/* Passes an error up unchanged (its detail is already recorded). */
#define FORWARD_IF_ERROR(expr) \
  do { strata_status fwd_st_ = (expr); if (fwd_st_ != STRATA_OK) return fwd_st_; } while (0)

/* Same, but jumps to a cleanup label with `st` holding the status. */
#define GOTO_IF_ERROR(st, expr, label) \
  do { (st) = (expr); if ((st) != STRATA_OK) goto label; } while (0)

#endif
