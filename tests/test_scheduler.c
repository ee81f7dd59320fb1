/* The scheduler (core/scheduler.h): backend names, explicit choices, the
 * auto decision (cost model for small jobs, calibration otherwise, CPU
 * OpenCL devices only on request, the margin), the reasons it gives, the
 * device listing, and — in a fresh process with OCL_ICD_VENDORS pointing at
 * an empty folder — what happens without any OpenCL platform.  The parts
 * that need an OpenCL device are skipped when there is none (the test then
 * reports skipped, or fails with CI=true). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ctx_pool.h"
#include "kernels.h"
#include "opencl.h"
#include "scheduler.h"

static char log_buf[8192];
static int warnings;

/* The context of every call here: `threads`, and the capture sink once a
 * child asked for it. */
static strata_ctx *sched;

static strata_ctx *sched_ctx(int threads) {
  if (!sched) sched = strata_ctx_new();
  CHECK_OK(strata_ctx_set_threads(sched, threads));
  return sched;
}

static void capture_log(strata_log_level level, const char *msg, void *user) {
  (void)user;
  if (level == STRATA_LOG_WARN) warnings++;
  size_t n = strlen(log_buf);
  snprintf(log_buf + n, sizeof log_buf - n, "%s\n", msg);
}

static float *sample_data(size_t rows, size_t d) {
  float *x = malloc(rows * d * sizeof *x);
  if (!x) exit(2);
  uint64_t s = 12345;
  for (size_t i = 0; i < rows * d; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(s >> 11) * 0x1.0p-53 * 4.0 - 2.0);
  }
  return x;
}

static int has_device(void) {
  for (size_t i = 0; i < strata_ocl_device_count(); i++)
    if (strata_ocl_table(i)) return 1;
  return 0;
}

static void test_names(void) {
  static const char *const good[] = {"auto", "ref", "cpu", "blas", "opencl", "opencl:0", "opencl:12"};
  static const char *const bad[] = {"opencl:", "opencl:x", "opencl:-1", "opencl:1x", "gpu", "", "OPENCL"};
  CHECK_OK(strata_scheduler_check_name(NULL));
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK_MSG(strata_scheduler_check_name(good[i]) == STRATA_OK, "'%s' rejected: %s", good[i], strata_last_error());
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK_MSG(strata_scheduler_check_name(bad[i]) == STRATA_ERR_USAGE, "'%s' accepted", bad[i]);
  strata_backend_choice c;
  CHECK(strata_scheduler_choose(sched_ctx(1), "nonsense", NULL, 0, 1000, 4, 3, &c) == STRATA_ERR_USAGE);
  CHECK_MSG(strstr(strata_last_error(), "opencl:N") != NULL, "error: %s", strata_last_error());
}

static void test_explicit_cpu(void) {
  strata_backend_choice c;
  CHECK_OK(strata_scheduler_choose(sched_ctx(1), "ref", NULL, 0, 100000000, 64, 512, &c));
  CHECK(c.kern == strata_kernels_ref() && c.fallback == NULL && !c.calibrated);
  CHECK(strcmp(c.name, "ref") == 0 && strstr(c.reason, "requested") != NULL);
  CHECK_OK(strata_scheduler_choose(sched_ctx(1), "cpu", NULL, 0, 10, 3, 2, &c));
  CHECK(c.kern == strata_kernels_for_shape("cpu", 3, 2));
}

static void test_auto_cost_model(void) {
  strata_backend_choice c;
  unsetenv("STRATA_AUTO_OPENCL_CPU");
  CHECK_OK(strata_scheduler_choose(sched_ctx(0), NULL, NULL, 0, 100000, 16, 8, &c));
  CHECK(c.kern == strata_kernels_for_shape("auto", 16, 8) && c.fallback == NULL && !c.calibrated);
  CHECK_MSG(strstr(c.reason, "cost model") != NULL, "reason: %s", c.reason);
}

static void test_auto_devices(void) {
  const size_t n = 10000000, d = 16, k = 64; /* 2nkd = 2e10: worth a look */
  float *x = sample_data(20000, d);
  strata_backend_choice c;
  /* Only CPU devices here (PoCL) or none: auto does not even try them. */
  unsetenv("STRATA_AUTO_OPENCL_CPU");
  CHECK_OK(strata_scheduler_choose(sched_ctx(0), "auto", x, 20000, n, d, k, &c));
  int gpu = 0;
  for (size_t i = 0; i < strata_ocl_device_count(); i++)
    gpu |= strcmp(strata_ocl_device(i)->type, "cpu") != 0 && strata_ocl_device(i)->usable;
  if (!gpu) {
    /* d = 16, k = 64: sgemm does not pay, so the one CPU candidate. */
    CHECK_MSG(c.kern == strata_kernels_for_shape("auto", d, k) && c.calibrated, "reason: %s", c.reason);
    CHECK_MSG(strstr(c.reason, "no OpenCL device to try") != NULL, "reason: %s", c.reason);
  }
  if (!has_device()) {
    check_unavailable("auto calibration against an OpenCL device (no OpenCL device: %s)",
                      strata_ocl_discovery_note());
    free(x);
    return;
  }
  setenv("STRATA_AUTO_OPENCL_CPU", "1", 1);
  setenv("STRATA_AUTO_MARGIN", "0", 1);
  CHECK_OK(strata_scheduler_choose(sched_ctx(0), "auto", x, 20000, n, d, k, &c));
  CHECK_MSG(c.calibrated && c.cpu_rows_per_second > 0 && c.device_rows_per_second > 0, "reason: %s", c.reason);
  CHECK_MSG(c.kern->run.run_open != NULL && c.fallback == strata_kernels_for_shape("auto", d, k),
            "margin 0 must choose the device: %s", c.reason);
  CHECK_MSG(strstr(c.reason, "sampled rows") != NULL, "reason: %s", c.reason);
  setenv("STRATA_AUTO_MARGIN", "1000", 1);
  CHECK_OK(strata_scheduler_choose(sched_ctx(0), "auto", NULL, 0, n, d, k, &c));
  CHECK_MSG(c.kern->run.run_open == NULL && c.fallback == NULL && c.calibrated, "reason: %s", c.reason);
  CHECK_MSG(strstr(c.reason, "generated rows") != NULL, "reason: %s", c.reason);
  unsetenv("STRATA_AUTO_MARGIN");
  unsetenv("STRATA_AUTO_OPENCL_CPU");
  free(x);
}

/* Above the cost model's threshold auto measures the direct kernels and
 * sgemm on the slice and keeps the cost model's pick unless the other is
 * more than 5% faster: with either made 1000x slower, the other is chosen. */
static void test_auto_cpu_choice(void) {
  const size_t n = 1000000, d = 128, k = 1024, rows = 8192;
  unsetenv("STRATA_AUTO_OPENCL_CPU");
  const strata_kernels *cand[2];
  const size_t nc = strata_kernels_cpu_candidates(d, k, cand);
  CHECK(nc == 2 && cand[0] == strata_kernels_for_shape("auto", d, k) && cand[1] != cand[0]);
  if (nc != 2) return;
  float *x = sample_data(rows, d);
  strata_backend_choice c;
  for (int slow = 0; slow < 2; slow++) {
    char env[64];
    snprintf(env, sizeof env, "%s:1000", cand[slow]->name);
    setenv("STRATA_SCHED_SLOWDOWN", env, 1);
    CHECK_OK(strata_scheduler_choose(sched_ctx(0), "auto", x, rows, n, d, k, &c));
    CHECK_MSG(c.kern == cand[!slow] && c.calibrated && c.cpu_rows_per_second > 0,
              "with %s slowed down, chose %s: %s", cand[slow]->name, c.name, c.reason);
    CHECK_MSG(strstr(c.reason, cand[0]->name) && strstr(c.reason, cand[1]->name), "reason: %s", c.reason);
  }
  unsetenv("STRATA_SCHED_SLOWDOWN");
  /* Below the threshold nothing is measured. */
  CHECK_OK(strata_scheduler_choose(sched_ctx(0), "auto", x, rows, 1000, d, k, &c));
  CHECK_MSG(c.kern == cand[0] && !c.calibrated, "reason: %s", c.reason);
  free(x);
}

static void test_explicit_opencl(void) {
  strata_backend_choice c;
  CHECK(strata_scheduler_choose(sched_ctx(1), "opencl:99", NULL, 0, 1000, 4, 3, &c) == STRATA_ERR_BACKEND);
  CHECK_MSG(strstr(strata_last_error(), "no OpenCL device 99") != NULL, "error: %s", strata_last_error());
  if (!has_device()) {
    check_unavailable("explicit --backend opencl (no OpenCL device)");
    return;
  }
  CHECK_OK(strata_scheduler_choose(sched_ctx(1), "opencl", NULL, 0, 1000, 4, 3, &c));
  CHECK(c.kern->run.run_open != NULL && c.fallback == NULL && strncmp(c.name, "opencl:", 7) == 0);
  CHECK_OK(strata_scheduler_choose(sched_ctx(1), "opencl:0", NULL, 0, 1000, 4, 3, &c));
  CHECK(c.kern == strata_ocl_table(0));
}

static void test_measure_and_list(void) {
  double rate = 0.0;
  CHECK_OK(strata_scheduler_measure(NULL, strata_kernels_ref(), NULL, 5000, 7, 5, 5000, 1, &rate));
  CHECK(rate > 0.0);
  strata_device_desc *list = NULL;
  size_t n = 0;
  CHECK_OK(strata_devices_list(sched_ctx(1), 16, 8, 0, &list, &n));
  CHECK(n == 1 + strata_ocl_device_count());
  CHECK(n >= 1 && strcmp(list[0].kind, "cpu") == 0 && list[0].usable && list[0].rows_per_second == 0.0);
  for (size_t i = 1; i < n; i++) CHECK(strcmp(list[i].kind, "opencl") == 0 && list[i].global_mem > 0);
  strata_devices_free(list);
  CHECK(strata_devices_list(sched_ctx(1), 0, 8, 0, &list, &n) == STRATA_ERR_USAGE);
}

/* The reason given: no platform installed, or a build without OpenCL. */
static int says_no_platform(const char *s) {
  return strstr(s, "no OpenCL platform") != NULL || strstr(s, "no OpenCL support") != NULL;
}

/* Without a platform: explicit opencl fails with the reason, auto uses the
 * CPU and says so at info level, not as a warning. */
static int child_no_platform(void) {
  strata_ctx_set_log(sched_ctx(1), capture_log, NULL, STRATA_LOG_DEBUG);
  strata_backend_choice c;
  CHECK(strata_scheduler_choose(sched_ctx(1), "opencl", NULL, 0, 1000, 4, 3, &c) == STRATA_ERR_BACKEND);
  CHECK_MSG(says_no_platform(strata_last_error()), "error: %s", strata_last_error());
  CHECK_OK(strata_scheduler_choose(sched_ctx(1), NULL, NULL, 0, 10000000, 16, 64, &c));
  CHECK(c.kern == strata_kernels_for_shape("auto", 16, 64) && c.fallback == NULL);
  CHECK_MSG(says_no_platform(c.reason), "reason: %s", c.reason);
  CHECK_MSG(warnings == 0, "warnings:\n%s", log_buf);
  return check_report();
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "no-platform") == 0) return child_no_platform();
  const char *base = getenv("STRATA_TEST_TMP");
  char dir[512], cache[600];
  snprintf(dir, sizeof dir, "%s/test_scheduler.%ld", base && *base ? base : "/tmp", (long)getpid());
  mkdir(dir, 0755);
  snprintf(cache, sizeof cache, "%s/cache", dir);
  setenv("STRATA_OPENCL_CACHE", cache, 1);
  test_names();
  test_explicit_cpu();
  test_auto_cost_model();
  test_auto_devices();
  test_auto_cpu_choice();
  test_explicit_opencl();
  test_measure_and_list();
  /* A fresh process: the OpenCL loader reads OCL_ICD_VENDORS once. */
  char empty[600];
  snprintf(empty, sizeof empty, "%s/no-icd", dir);
  mkdir(empty, 0755);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    setenv("OCL_ICD_VENDORS", empty, 1);
    execl(argv[0], argv[0], "no-platform", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  CHECK_MSG(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "no-platform child failed");
  int rc = check_report();
  if (rc != 1) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  }
  return rc;
}
