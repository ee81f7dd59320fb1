/* The scheduler (see scheduler.h): backend names, the auto decision (cost
 * model, then calibration on a slice of the data), and the reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "ctx.h"
#include "error.h"
#include "kernels.h"
#include "opencl.h"
#include "pass.h"
#include "scheduler.h"

/* The calibration slice: about this many distance terms (rows x k x d), so
 * that it costs tens of milliseconds on a CPU, within these row bounds. */
#define CAL_TERMS (1u << 25)
#define CAL_MIN_ROWS 4096
#define CAL_MAX_ROWS 65536

static const char *const NAMES_HELP = "auto, ref, cpu, blas, avx2, avx512, opencl, opencl:N";

/* "opencl:N" -> N; -1 if name is not of that form, -2 if N is malformed. */
static long opencl_index(const char *name) {
  if (strncmp(name, "opencl:", 7) != 0) return -1;
  const char *s = name + 7;
  if (!*s || strlen(s) > 6) return -2;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return -2;
  return strtol(s, NULL, 10);
}

static int is_auto(const char *name) { return !name || strcmp(name, "auto") == 0; }

strata_status strata_scheduler_check_name(const char *request) {
  if (is_auto(request) || strcmp(request, "opencl") == 0 || opencl_index(request) >= 0)
    return STRATA_OK;
  RETURN_IF(opencl_index(request) == -2, STRATA_ERR_USAGE,
            "backend '%s': expected opencl:N with N a device number from 'strata devices'", request);
  RETURN_IF(!strata_kernels_find(request), STRATA_ERR_USAGE,
            "unknown or unavailable backend '%s' (have: %s)", request, NAMES_HELP);
  return STRATA_OK;
}

static void set_table(strata_backend_choice *out, const strata_kernels *t) {
  out->kern = t;
  snprintf(out->name, sizeof out->name, "%s", t->name);
}

/* One warning per device per process, however many fits run. */
static int first_warning(size_t device) {
  static int warned[STRATA_OCL_MAX_DEVICES + 1];
  if (device > STRATA_OCL_MAX_DEVICES) device = STRATA_OCL_MAX_DEVICES;
  return __atomic_exchange_n(&warned[device], 1, __ATOMIC_RELAXED) == 0;
}

/* ---- explicit OpenCL ------------------------------------------------------- */

static strata_status choose_opencl(const strata_ctx *ctx, const char *request, size_t k,
                                   strata_backend_choice *out) {
  const strata_backend *dev;
  const size_t ndev = strata_backends(STRATA_BACKENDS_DEVICES, &dev);
  long idx = opencl_index(request);
  if (idx < 0) {
    /* Plain "opencl": the first usable GPU, else the first usable device. */
    for (int pass = 0; pass < 2 && idx < 0; pass++)
      for (size_t i = 0; i < ndev && idx < 0; i++) {
        const strata_ocl_device_info *in = strata_ocl_device((size_t)dev[i].device);
        if (in->usable && (pass == 1 || strcmp(in->type, "gpu") == 0)) idx = dev[i].device;
      }
    if (idx < 0)
      return strata_fail(STRATA_ERR_BACKEND, "--backend opencl: no usable OpenCL device (%s)",
                         ndev ? "every device listed by 'strata devices' is unusable"
                              : strata_ocl_discovery_note());
  }
  if ((size_t)idx >= ndev)
    return strata_fail(STRATA_ERR_BACKEND, "--backend %s: no OpenCL device %ld (%zu found%s%s)", request,
                       idx, ndev, ndev ? "" : ": ", ndev ? "" : strata_ocl_discovery_note());
  const strata_ocl_device_info *in = strata_ocl_device((size_t)idx);
  if (!in->usable)
    return strata_fail(STRATA_ERR_BACKEND, "--backend %s: OpenCL device %ld (%s) is not usable: %s",
                       request, idx, in->name, in->unusable_reason);
  strata_status st = strata_ocl_prepare(ctx, (size_t)idx, k);
  if (st != STRATA_OK) {
    char why[900]; /* the detail buffer is about to be rewritten */
    snprintf(why, sizeof why, "%s", strata_last_error());
    return strata_fail(st, "--backend %s: %s", request, why);
  }
  set_table(out, strata_ocl_table((size_t)idx));
  snprintf(out->reason, sizeof out->reason, "requested: OpenCL device %ld, %s (%s, %s)", idx, in->name,
           in->platform, in->driver);
  return STRATA_OK;
}

/* ---- auto ------------------------------------------------------------------ */

/* Devices auto may use: GPUs and accelerators (and OpenCL CPU devices when
 * STRATA_AUTO_OPENCL_CPU=1).  Returns how many were put in idx. */
static size_t candidates(size_t *idx, char *skipped, size_t skipped_size) {
  const char *env = getenv("STRATA_AUTO_OPENCL_CPU");
  const int with_cpu = env && strcmp(env, "1") == 0;
  const strata_backend *dev;
  const size_t ndev = strata_backends(STRATA_BACKENDS_DEVICES, &dev);
  size_t n = 0;
  skipped[0] = '\0';
  for (size_t b = 0; b < ndev && n < STRATA_OCL_MAX_DEVICES; b++) {
    const size_t i = (size_t)dev[b].device;
    const strata_ocl_device_info *in = strata_ocl_device(i);
    int cpu_type = strcmp(in->type, "cpu") == 0;
    if (in->usable && (!cpu_type || with_cpu)) {
      idx[n++] = i;
      continue;
    }
    size_t len = strlen(skipped);
    snprintf(skipped + len, skipped_size - len, "%sopencl:%zu is %s", len ? ", " : "", i,
             !in->usable ? in->unusable_reason : "a CPU device (STRATA_AUTO_OPENCL_CPU=1 includes it)");
  }
  return n;
}

/* STRATA_SCHED_DEVICE_MARGIN, or STRATA_AUTO_MARGIN when it is a number >= 0. */
static double device_margin(const strata_ctx *ctx) {
  const char *s = getenv("STRATA_AUTO_MARGIN");
  if (s && *s) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (end && *end == '\0' && v >= 0.0 && v < 1e6) return v;
    strata_log(ctx, STRATA_LOG_WARN, "STRATA_AUTO_MARGIN='%s' is not a number >= 0; ignored", s);
  }
  return STRATA_SCHED_DEVICE_MARGIN;
}

/* STRATA_SCHED_SLOWDOWN=NAME:F divides the measured rate of the table NAME
 * by F: a candidate made artificially slow, for the tests of the choice. */
static double slowdown(const strata_kernels *t) {
  const char *s = getenv("STRATA_SCHED_SLOWDOWN");
  const size_t n = strlen(t->name);
  if (!s || strncmp(s, t->name, n) != 0 || s[n] != ':') return 1.0;
  const double f = strtod(s + n + 1, NULL);
  return f > 0.0 ? f : 1.0;
}

static strata_status measure(const strata_ctx *ctx, const strata_kernels *t, const float *x, size_t rows, size_t d,
                             size_t k, uint64_t n, int threads, double *rate) {
  FORWARD_IF_ERROR(strata_scheduler_measure(ctx, t, x, rows, d, k, n, threads, rate));
  *rate /= slowdown(t);
  return STRATA_OK;
}

/* The CPU table by measurement: the cost model's pick unless the other CPU
 * path measures more than STRATA_SCHED_CPU_MARGIN faster on the slice.  The
 * two give the same bits (kernels.h), so the choice changes only the time. */
static strata_status choose_cpu(const strata_ctx *ctx, const float *x, size_t rows, size_t d, size_t k, uint64_t n,
                                int threads, const strata_kernels **cpu, double *cpu_rate, char *note,
                                size_t note_size) {
  const strata_kernels *cand[2];
  const size_t nc = strata_kernels_cpu_candidates(d, k, cand);
  double rate[2] = {0.0, 0.0};
  for (size_t i = 0; i < nc; i++) FORWARD_IF_ERROR(measure(ctx, cand[i], x, rows, d, k, n, threads, &rate[i]));
  if (nc == 1) {
    *cpu = cand[0];
    *cpu_rate = rate[0];
    snprintf(note, note_size, "%s %.3g rows/s; sgemm does not pay at this k*d", cand[0]->name, rate[0]);
    return STRATA_OK;
  }
  const int other = rate[1] > STRATA_SCHED_CPU_MARGIN * rate[0];
  *cpu = cand[other];
  *cpu_rate = rate[other];
  snprintf(note, note_size, "%s %.3g rows/s, %s %.3g rows/s", cand[other]->name, rate[other], cand[!other]->name,
           rate[!other]);
  return STRATA_OK;
}

static strata_status choose_auto(const strata_ctx *ctx, const float *sample, size_t sample_rows, uint64_t n,
                                 size_t d, size_t k, int threads, strata_backend_choice *out) {
  const strata_kernels *cpu = strata_kernels_for_shape("auto", d, k);
  set_table(out, cpu);
  const double flops = 2.0 * (double)n * (double)k * (double)d;
  if (flops < STRATA_SCHED_MIN_FLOPS) {
    snprintf(out->reason, sizeof out->reason,
             "auto: CPU by cost model (2nkd = %.3g flops per pass, below %.3g: too small for a device to pay back "
             "its start-up)",
             flops, STRATA_SCHED_MIN_FLOPS);
    return STRATA_OK;
  }

  /* The calibration slice: the front of the sample (already a random draw
   * of rows), or generated data when there is none. */
  size_t rows = CAL_TERMS / (k * d);
  rows = rows < CAL_MIN_ROWS ? CAL_MIN_ROWS : rows > CAL_MAX_ROWS ? CAL_MAX_ROWS : rows;
  const float *x = NULL;
  if (sample && sample_rows > 0) {
    x = sample;
    if (rows > sample_rows) rows = sample_rows;
  }
  const char *what = x ? "sampled" : "generated";
  double cpu_rate = 0.0;
  char cpu_note[160];
  FORWARD_IF_ERROR(choose_cpu(ctx, x, rows, d, k, n, threads, &cpu, &cpu_rate, cpu_note, sizeof cpu_note));
  set_table(out, cpu);
  out->calibrated = 1;
  out->cpu_rows_per_second = cpu_rate;

  size_t idx[STRATA_OCL_MAX_DEVICES];
  char skipped[400];
  const size_t nc = candidates(idx, skipped, sizeof skipped);
  if (nc == 0) {
    const char *why = strata_ocl_device_count() ? skipped : strata_ocl_discovery_note();
    snprintf(out->reason, sizeof out->reason,
             "auto: CPU (%s) measured on %zu %s rows (d = %zu, k = %zu: %s); no OpenCL device to try: %s",
             cpu->name, rows, what, d, k, cpu_note, why);
    /* No OpenCL build, no platform installed, or only CPU devices: that is
     * the machine's configuration, not a fault (a warning on every nightly
     * run of a CPU server would teach people to ignore warnings).  A driver
     * that is installed but fails to list its devices is a fault. */
    const int fault = strata_ocl_built() && strata_ocl_device_count() == 0 &&
                      !strstr(why, "CL_PLATFORM_NOT_FOUND_KHR");
    if (first_warning(STRATA_OCL_MAX_DEVICES))
      strata_log(ctx, fault ? STRATA_LOG_WARN : STRATA_LOG_INFO,
                 "auto: no OpenCL device to try (%s); using the CPU", why);
    return STRATA_OK;
  }

  double best_rate = 0.0;
  const strata_kernels *best = NULL;
  char tried[256] = "";
  for (size_t c = 0; c < nc; c++) {
    const size_t i = idx[c];
    const strata_ocl_device_info *in = strata_ocl_device(i);
    double rate = 0.0;
    strata_status st = strata_ocl_prepare(ctx, i, k);
    if (st == STRATA_OK) st = measure(ctx, strata_ocl_table(i), x, rows, d, k, n, threads, &rate);
    if (st != STRATA_OK) {
      if (first_warning(i))
        strata_log(ctx, STRATA_LOG_WARN, "auto: OpenCL device %zu (%s) cannot be used: %s; using the CPU", i,
                   in->name, strata_last_error());
      continue;
    }
    size_t len = strlen(tried);
    snprintf(tried + len, sizeof tried - len, "%sopencl:%zu %.3g", len ? ", " : "", i, rate);
    if (rate > best_rate) {
      best_rate = rate;
      best = strata_ocl_table(i);
    }
  }
  if (!best) {
    snprintf(out->reason, sizeof out->reason, "auto: CPU (%s, measured: %s; no OpenCL device could run this job)",
             cpu->name, cpu_note);
    return STRATA_OK;
  }
  out->device_rows_per_second = best_rate;
  const double margin = device_margin(ctx);
  if (best_rate > margin * cpu_rate) {
    set_table(out, best);
    out->fallback = cpu;
    snprintf(out->reason, sizeof out->reason,
             "auto: %s measured %.3g rows/s against %.3g for the CPU (%s) on %zu %s rows "
             "(d = %zu, k = %zu)",
             best->name, best_rate, cpu_rate, cpu->name, rows, what, d, k);
  } else {
    snprintf(out->reason, sizeof out->reason,
             "auto: CPU (%s) measured on %zu %s rows (d = %zu, k = %zu: %s), OpenCL %s rows/s; a device "
             "must be %.2fx faster",
             cpu->name, rows, what, d, k, cpu_note, tried, margin);
  }
  return STRATA_OK;
}

strata_status strata_scheduler_choose(const strata_ctx *ctx, const char *request, const float *sample,
                                      size_t sample_rows, uint64_t n, size_t d, size_t k,
                                      strata_backend_choice *out) {
  memset(out, 0, sizeof *out);
  FORWARD_IF_ERROR(strata_scheduler_check_name(request));
  RETURN_IF(d == 0 || k == 0, STRATA_ERR_USAGE, "the scheduler needs d and k >= 1");
  if (is_auto(request)) {
    FORWARD_IF_ERROR(choose_auto(ctx, sample, sample_rows, n, d, k, strata_threads_resolve(strata_ctx_threads(ctx)), out));
  } else if (strncmp(request, "opencl", 6) == 0) {
    FORWARD_IF_ERROR(choose_opencl(ctx, request, k, out));
  } else {
    set_table(out, strata_kernels_for_shape(request, d, k));
    snprintf(out->reason, sizeof out->reason, "requested: %s", request);
  }
  strata_log(ctx, STRATA_LOG_INFO, "backend %s: %s", out->name, out->reason);
  return STRATA_OK;
}

/* Several ranks run one table: rank 0's choice ("auto" measures, and
 * measurements differ between processes) is every rank's.  A device run
 * keeps its partials on the device (core/lloyd_device.c) and is not
 * combined across ranks yet: refused rather than wrong. */
strata_status strata_scheduler_agree(const strata_ctx *ctx, size_t d, size_t k, strata_backend_choice *choice) {
  const strata_comm *comm = strata_ctx_comm(ctx);
  if (strata_comm_size(comm) == 1) return STRATA_OK;
  char name[sizeof choice->name], reason[sizeof choice->reason];
  memcpy(name, choice->name, sizeof name);
  memcpy(reason, choice->reason, sizeof reason);
  FORWARD_IF_ERROR(strata_comm_bcast(comm, name, sizeof name, 0));
  FORWARD_IF_ERROR(strata_comm_bcast(comm, reason, sizeof reason, 0));
  RETURN_IF(choice->kern->run.run_open || strncmp(name, "opencl", 6) == 0, STRATA_ERR_USAGE,
            "backend %s: device backends do not run across MPI ranks yet (%d ranks); use --backend cpu",
            name, strata_comm_size(comm));
  if (strcmp(name, choice->name) != 0) {
    const strata_kernels *kern = strata_kernels_for_shape(name, d, k);
    RETURN_IF(!kern || strcmp(kern->name, name) != 0, STRATA_ERR_BACKEND,
              "rank %d cannot run backend %s, which rank 0 chose", strata_comm_rank(comm), name);
    choice->kern = kern;
    choice->fallback = NULL;
    memcpy(choice->name, name, sizeof name);
  }
  memcpy(choice->reason, reason, sizeof reason);
  return STRATA_OK;
}
