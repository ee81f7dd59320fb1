/* The context (ctx.h): defaults, setters, the log sink and cancellation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

static const char *const level_names[] = {"error", "warning", "info", "debug"};

static void stderr_sink(strata_log_level level, const char *msg, void *user) {
  (void)user;
  fprintf(stderr, "strata: %s: %s\n", level_names[level], msg);
}

static const strata_ctx defaults = {
    .threads = 0, .log_fn = stderr_sink, .log_user = NULL, .log_max = STRATA_LOG_WARN,
    .cancel = 0, .backend = "auto", .comm = NULL, .parent = NULL};

const strata_ctx *strata_ctx_or_default(const strata_ctx *ctx) { return ctx ? ctx : &defaults; }

strata_ctx *strata_ctx_new(void) {
  strata_ctx *c = malloc(sizeof *c);
  if (!c) {
    strata_fail(STRATA_ERR_NOMEM, "out of memory creating a context");
    return NULL;
  }
  strata_ctx_derive(NULL, 0, c);
  return c;
}

void strata_ctx_free(strata_ctx *ctx) { free(ctx); }

strata_status strata_ctx_set_threads(strata_ctx *ctx, int threads) {
  RETURN_IF(!ctx, STRATA_ERR_USAGE, "strata_ctx_set_threads: ctx is NULL");
  RETURN_IF(threads < 0, STRATA_ERR_USAGE, "threads must be >= 0 (got %d)", threads);
  ctx->threads = threads;
  return STRATA_OK;
}

int strata_ctx_threads(const strata_ctx *ctx) { return strata_ctx_or_default(ctx)->threads; }

void strata_ctx_set_log(strata_ctx *ctx, strata_log_fn fn, void *user, strata_log_level max_level) {
  if (!ctx) return;
  ctx->log_fn = fn ? fn : stderr_sink;
  ctx->log_user = user;
  ctx->log_max = max_level;
}

strata_status strata_ctx_set_backend(strata_ctx *ctx, const char *name) {
  RETURN_IF(!ctx, STRATA_ERR_USAGE, "strata_ctx_set_backend: ctx is NULL");
  if (!name) name = "auto";
  RETURN_IF(strlen(name) >= sizeof ctx->backend, STRATA_ERR_USAGE, "backend name '%.40s...' is too long",
            name);
  snprintf(ctx->backend, sizeof ctx->backend, "%s", name);
  return STRATA_OK;
}

const char *strata_ctx_backend(const strata_ctx *ctx) { return strata_ctx_or_default(ctx)->backend; }

void strata_ctx_set_comm(strata_ctx *ctx, const strata_comm *comm) {
  if (ctx) ctx->comm = comm;
}

const strata_comm *strata_ctx_comm(const strata_ctx *ctx) { return strata_ctx_or_default(ctx)->comm; }

void strata_ctx_cancel(strata_ctx *ctx) {
  if (ctx) ctx->cancel = 1;
}

int strata_ctx_cancelled(const strata_ctx *ctx) {
  for (; ctx; ctx = ctx->parent)
    if (ctx->cancel) return 1;
  return 0;
}

void strata_ctx_request_checkpoint(strata_ctx *ctx) {
  if (ctx) ctx->checkpoint = 1;
}

int strata_ctx_checkpoint_requested(const strata_ctx *ctx) {
  for (; ctx; ctx = ctx->parent)
    if (ctx->checkpoint) return 1;
  return 0;
}

void strata_ctx_derive(const strata_ctx *ctx, int threads, strata_ctx *out) {
  const strata_ctx *c = strata_ctx_or_default(ctx);
  out->threads = threads;
  out->log_fn = c->log_fn;
  out->log_user = c->log_user;
  out->log_max = c->log_max;
  out->cancel = 0;
  out->checkpoint = 0;
  memcpy(out->backend, c->backend, sizeof out->backend);
  out->comm = c->comm;
  out->parent = ctx;
}

void strata_log(const strata_ctx *ctx, strata_log_level level, const char *fmt, ...) {
  const strata_ctx *c = strata_ctx_or_default(ctx);
  if (level > c->log_max) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  c->log_fn(level, buf, c->log_user);
}

strata_status strata_check_cancel(const strata_ctx *ctx) {
  return strata_ctx_cancelled(ctx) ? strata_fail(STRATA_ERR_CANCELLED, "cancelled by request") : STRATA_OK;
}
