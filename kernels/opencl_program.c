/* Building the OpenCL program for one device and tuning: from the disk cache
 * when an entry matches (device, driver, options, source), else from the
 * embedded source, storing the binary for next time.  A build failure
 * reports the first lines of the build log on one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "opencl_internal.h"

/* Some drivers (PoCL) print compiler diagnostics on the process's stderr
 * as well as in the build log; the log is what we report (one line), so
 * stderr is pointed at /dev/null for the duration of a build.  One build
 * at a time process-wide, so the saved descriptor is never mixed up. */
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

static int quiet_stderr_begin(void) {
  pthread_mutex_lock(&stderr_lock);
  fflush(stderr);
  int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved >= 0 && null >= 0) dup2(null, STDERR_FILENO);
  if (null >= 0) close(null);
  return saved;
}

static void quiet_stderr_end(int saved) {
  if (saved >= 0) {
    dup2(saved, STDERR_FILENO);
    close(saved);
  }
  pthread_mutex_unlock(&stderr_lock);
}

static cl_int build_quietly(cl_program p, cl_device_id dev, const char *options) {
  int saved = quiet_stderr_begin();
  cl_int err = clBuildProgram(p, 1, &dev, options, NULL, NULL);
  quiet_stderr_end(saved);
  return err;
}

/* The first lines of a build log, joined with " | " on one line (errors are
 * one line on the command line), at most size - 1 characters. */
static void log_head(const char *log, char *buf, size_t size) {
  size_t n = 0, lines = 0;
  buf[0] = '\0';
  for (const char *p = log; *p && lines < 6 && n + 4 < size; lines++) {
    while (*p == '\n' || *p == '\r') p++;
    if (!*p) break;
    if (n) n += (size_t)snprintf(buf + n, size - n, " | ");
    while (*p && *p != '\n' && *p != '\r' && n + 1 < size) buf[n++] = *p == '\t' ? ' ' : *p, p++;
    buf[n] = '\0';
    while (*p && *p != '\n') p++; /* the rest of a line that did not fit */
  }
  if (!buf[0]) snprintf(buf, size, "(empty build log)");
}

static strata_status build_failed(ocl_device *dev, cl_program p, cl_int err, const char *options) {
  size_t len = 0;
  char *log = NULL;
  if (clGetProgramBuildInfo(p, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) == CL_SUCCESS && len) {
    log = malloc(len + 1);
    if (log && clGetProgramBuildInfo(p, dev->id, CL_PROGRAM_BUILD_LOG, len, log, NULL) == CL_SUCCESS)
      log[len] = '\0';
    else if (log) log[0] = '\0';
  }
  char head[600];
  log_head(log ? log : "", head, sizeof head);
  free(log);
  return strata_fail(STRATA_ERR_BACKEND,
                     "OpenCL program build failed on device %d (%s) with options '%s': "
                     "clBuildProgram: %s (%d); build log: %s",
                     dev->info.index, dev->info.name, options, ocl_error_name(err), (int)err, head);
}

/* The built binary into the cache; any failure just skips the cache. */
static void store_binary(const strata_ctx *ctx, cl_program p, const char *key) {
  size_t size = 0;
  if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || !size)
    return;
  unsigned char *bin = malloc(size);
  unsigned char *bins[1] = {bin};
  if (bin && clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS)
    ocl_cache_store(ctx, key, bin, size);
  free(bin);
}

/* A program from a cached binary, or NULL (no entry, stale or unreadable). */
static cl_program from_cache(const strata_ctx *ctx, ocl_device *dev, const char *key, const char *options) {
  size_t size = 0;
  unsigned char *bin = ocl_cache_load(ctx, key, &size);
  if (!bin) return NULL;
  const unsigned char *bins[1] = {bin};
  cl_int status = CL_SUCCESS, err = CL_SUCCESS;
  cl_program p = clCreateProgramWithBinary(dev->ctx, 1, &dev->id, &size, bins, &status, &err);
  free(bin);
  if (err == CL_SUCCESS && status == CL_SUCCESS &&
      build_quietly(p, dev->id, options) == CL_SUCCESS)
    return p;
  if (p && err == CL_SUCCESS) clReleaseProgram(p);
  strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program cache entry %s rejected; rebuilding", key);
  return NULL;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

strata_status ocl_program_build(const strata_ctx *ctx, ocl_device *dev, const ocl_tuning *tune, ocl_program *out) {
  memset(out, 0, sizeof *out);
  out->tune = *tune;
  ocl_tuning_options(tune, out->options, sizeof out->options);
  char key[33];
  ocl_cache_key(dev, out->options, key);
  double t0 = seconds_now();
  out->program = from_cache(ctx, dev, key, out->options);
  if (out->program) {
    strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program for device %d loaded from the cache in %.3f s",
               dev->info.index, seconds_now() - t0);
    return STRATA_OK;
  }
  cl_int err;
  const char *src = strata_opencl_source;
  const size_t len = strata_opencl_source_len;
  cl_program p = clCreateProgramWithSource(dev->ctx, 1, &src, &len, &err);
  OCL_TRY(err, "clCreateProgramWithSource");
  err = build_quietly(p, dev->id, out->options);
  if (err != CL_SUCCESS) {
    strata_status st = build_failed(dev, p, err, out->options);
    clReleaseProgram(p);
    return st;
  }
  strata_log(ctx, STRATA_LOG_INFO, "OpenCL program built for device %d (%s) in %.2f s: %s",
             dev->info.index, dev->info.name, seconds_now() - t0, out->options);
  store_binary(ctx, p, key);
  out->program = p;
  return STRATA_OK;
}
