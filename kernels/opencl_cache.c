/* The on-disk cache of built OpenCL programs.
 *
 * A program binary is valid for one device, driver, set of build options and
 * source, so the key hashes all of them.  Entries are written to a temporary
 * name and renamed, so a reader never sees half a file, and two processes
 * building the same program at once both succeed.  Every failure here is
 * silent (a debug log line): the cache only saves build time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opencl_internal.h"

#define CACHE_MAGIC "STRATA-OPENCL-PROGRAM-1\n"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* Hashes s and its terminating zero, so that ("ab", "c") != ("a", "bc"). */
static uint64_t fnv1a_str(uint64_t h, const char *s) { return fnv1a(h, s, strlen(s) + 1); }

void ocl_cache_key(const ocl_device *dev, const char *options, char key[33]) {
  /* Two 64-bit FNV-1a hashes from different offsets: 128 bits of key. */
  uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  for (int i = 0; i < 2; i++) {
    const strata_ocl_device_info *in = &dev->info;
    h[i] = fnv1a_str(h[i], in->platform);
    h[i] = fnv1a_str(h[i], in->platform_version);
    h[i] = fnv1a_str(h[i], in->name);
    h[i] = fnv1a_str(h[i], in->vendor);
    h[i] = fnv1a_str(h[i], in->driver);
    h[i] = fnv1a_str(h[i], in->version);
    h[i] = fnv1a_str(h[i], options);
    h[i] = fnv1a(h[i], strata_opencl_source, strata_opencl_source_len);
  }
  snprintf(key, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* mkdir -p; 0 on success. */
static int make_dirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int bad = mkdir(path, 0755) != 0 && errno != EEXIST;
    *p = '/';
    if (bad) return -1;
  }
  return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The cache directory (created), or 0 when disabled or unusable. */
static int cache_dir(char *buf, size_t size) {
  const char *env = getenv("STRATA_OPENCL_CACHE");
  int n;
  if (env && strcmp(env, "off") == 0) return 0;
  if (env && *env) {
    n = snprintf(buf, size, "%s", env);
  } else {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) n = snprintf(buf, size, "%s/strata/opencl", xdg);
    else if (home && *home) n = snprintf(buf, size, "%s/.cache/strata/opencl", home);
    else return 0;
  }
  if (n <= 0 || (size_t)n >= size) return 0;
  return make_dirs(buf) == 0;
}

unsigned char *ocl_cache_load(const strata_ctx *ctx, const char *key, size_t *size) {
  char dir[1024], path[1200];
  *size = 0;
  if (!cache_dir(dir, sizeof dir)) return NULL;
  snprintf(path, sizeof path, "%s/%s.bin", dir, key);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *data = NULL;
  char head[sizeof CACHE_MAGIC + 33];
  const size_t head_len = strlen(CACHE_MAGIC) + 32;
  long end = -1;
  if (fread(head, 1, head_len, f) == head_len && memcmp(head, CACHE_MAGIC, strlen(CACHE_MAGIC)) == 0 &&
      memcmp(head + strlen(CACHE_MAGIC), key, 32) == 0 && fseek(f, 0, SEEK_END) == 0 &&
      (end = ftell(f)) > (long)head_len && fseek(f, (long)head_len, SEEK_SET) == 0) {
    size_t n = (size_t)end - head_len;
    data = malloc(n);
    if (data && fread(data, 1, n, f) == n) {
      *size = n;
    } else {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program cache %s: %s", data ? "hit" : "unreadable entry", path);
  return data;
}

void ocl_cache_store(const strata_ctx *ctx, const char *key, const unsigned char *data, size_t size) {
  char dir[1024], path[1200], tmp[1300];
  if (!cache_dir(dir, sizeof dir)) return;
  snprintf(path, sizeof path, "%s/%s.bin", dir, key);
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program cache not writable (%s): %s", dir, strerror(errno));
    return;
  }
  int ok = fwrite(CACHE_MAGIC, 1, strlen(CACHE_MAGIC), f) == strlen(CACHE_MAGIC) &&
           fwrite(key, 1, 32, f) == 32 && fwrite(data, 1, size, f) == size;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program cache: could not write %s", path);
    return;
  }
  strata_log(ctx, STRATA_LOG_DEBUG, "OpenCL program cached: %s", path);
}
