/* Output path checks made before any work starts. */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Splits path into a directory ("." when none) and a base name; both freshly
 * allocated. */
static void split(const char *path, char **dir, char **base) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    *dir = cli_xstrdup(".");
    *base = cli_xstrdup(path);
    return;
  }
  size_t n = (size_t)(slash - path);
  if (n == 0) n = 1; /* "/name" lives in "/" */
  *dir = cli_xmalloc(n + 1);
  memcpy(*dir, path, n);
  (*dir)[n] = '\0';
  *base = cli_xstrdup(slash + 1);
}

int cli_output_path_ok(const char *path, const char *what, char *err, size_t errlen) {
  if (!*path) {
    snprintf(err, errlen, "cannot write %s: empty file name", what);
    return 0;
  }
  if (strcmp(path, "-") == 0) {
    snprintf(err, errlen, "cannot write the %s to standard output ('-'): it is an HDF5 file; name a file", what);
    return 0;
  }
  char *dir, *base;
  split(path, &dir, &base);
  int ok = 0;
  struct stat st;
  if (*base == '\0') {
    snprintf(err, errlen, "cannot write %s '%s': the path names a directory", what, path);
  } else if (stat(dir, &st) != 0) {
    snprintf(err, errlen, "cannot write %s '%s': directory '%s': %s", what, path, dir, strerror(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "cannot write %s '%s': '%s' is not a directory", what, path, dir);
  } else if (access(dir, W_OK | X_OK) != 0) {
    snprintf(err, errlen, "cannot write %s '%s': directory '%s': %s", what, path, dir, strerror(errno));
  } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "cannot write %s '%s': it is a directory", what, path);
  } else {
    ok = 1;
  }
  free(dir);
  free(base);
  return ok;
}

/* realpath of the directory + "/" + base name, or NULL. */
static char *canonical(const char *path) {
  char *dir, *base;
  split(path, &dir, &base);
  char *rdir = realpath(dir, NULL);
  char *out = NULL;
  if (rdir) {
    size_t n = strlen(rdir) + strlen(base) + 2;
    out = cli_xmalloc(n);
    snprintf(out, n, "%s/%s", rdir, base);
    free(rdir);
  }
  free(dir);
  free(base);
  return out;
}

int cli_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) == 0 && stat(b, &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  char *ca = canonical(a), *cb = canonical(b);
  int same = ca && cb ? strcmp(ca, cb) == 0 : strcmp(a, b) == 0;
  free(ca);
  free(cb);
  return same;
}

int cli_text_output_path_ok(const char *path, const char *what, char *err, size_t errlen) {
  return strcmp(path, "-") == 0 || cli_output_path_ok(path, what, err, errlen);
}

int cli_output_refusal(const char *path) { return strcmp(path, "-") == 0 ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME; }
