/* The context every entry point takes (strata.h): threads, the log sink,
 * the cancellation flag, the backend choice and the communicator slot.
 * Its layout is private to the library; below core/, io/ and kernels/
 * because all of them log and poll cancellation through it.
 *
 * NULL stands for the defaults everywhere a ctx is taken: all threads,
 * warnings to stderr, backend "auto", one process, never cancelled.  The
 * defaults are a constant, so the library holds no mutable global state
 * beyond hardware discovered once (CPU features, OpenCL devices). */
#ifndef STRATA_CTX_H
#define STRATA_CTX_H

#include <signal.h>

#include "error.h"

#define STRATA_CTX_BACKEND_MAX 64

struct strata_ctx {
  int threads;                 /* 0 = all available */
  strata_log_fn log_fn;        /* never NULL */
  void *log_user;
  strata_log_level log_max;
  volatile sig_atomic_t cancel; /* set from a signal handler; never cleared */
  volatile sig_atomic_t checkpoint; /* strata_ctx_request_checkpoint; never cleared */
  char backend[STRATA_CTX_BACKEND_MAX];
  const strata_comm *comm;     /* NULL = one process */
  const strata_ctx *parent;    /* a derived ctx is cancelled with its parent */
};

/* ctx, or the constant defaults when ctx is NULL. */
const strata_ctx *strata_ctx_or_default(const strata_ctx *ctx);

/* *out = ctx with another thread count (0 = all), cancelled whenever ctx
 * is: for work split into pieces that each take fewer threads. */
void strata_ctx_derive(const strata_ctx *ctx, int threads, strata_ctx *out);

/* Emits through ctx's log sink when level is at most its max_level. */
void strata_log(const strata_ctx *ctx, strata_log_level level, const char *fmt, ...) STRATA_PRINTF(3, 4);

/* STRATA_ERR_CANCELLED (with its detail) once strata_ctx_cancel(ctx) was
 * called, else STRATA_OK.  Long loops poll it between chunks or items and
 * unwind; outputs are removed as on any failure. */
strata_status strata_check_cancel(const strata_ctx *ctx);

#endif
