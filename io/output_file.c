/* Temporary-name-then-rename outputs (io/output_file.h).
 *
 * The temporary file is created (O_EXCL) already in begin: that is the only
 * writability check that tells the truth (permissions, read-only mounts,
 * ACLs, quotas on inodes), and it reserves the name against a concurrent
 * job writing the same output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "output_file.h"

/* Distinguishes the temporary files of several outputs of one process. */
static atomic_uint tmp_counter;

#define TMP_ATTEMPTS 64

static strata_status cannot_write(const char *path, int err) {
  return strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", path, strerror(err));
}

/* This machine's name as temporary names carry it ('/' cannot be in a
 * file name). */
static void host_name(char *buf, size_t size) {
  if (gethostname(buf, size) != 0 || !buf[0]) snprintf(buf, size, "localhost");
  buf[size - 1] = '\0';
  for (char *c = buf; *c; c++)
    if (*c == '/') *c = '_';
}

/* Removes "<dir>/.<base>.tmp-<host>-<pid>-<n>" left by a run of this
 * machine that died (SIGKILL, a power cut) before it could clean up: the
 * host in the name keeps a job on another node of a shared file system
 * safe, and a live pid keeps a concurrent run's file. */
static void remove_stale(const char *path, const char *host) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  const char *base = slash ? slash + 1 : path;
  char prefix[1024];
  int plen = snprintf(prefix, sizeof prefix, ".%s.tmp-%s-", base, host);
  DIR *d = dir && plen > 0 && (size_t)plen < sizeof prefix ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, (size_t)plen) != 0) continue;
    char *end = NULL;
    long pid = strtol(e->d_name + plen, &end, 10);
    if (pid <= 0 || !end || *end != '-' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) continue;
    char full[4096];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, e->d_name) < sizeof full) unlink(full);
  }
  if (d) closedir(d);
  free(dir);
}

/* "<dir>/.<name>.tmp-<host>-<pid>-<n>", created empty; *err gets errno on
 * failure. */
static char *create_tmp(const char *path, int *err) {
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  const char *base = slash ? slash + 1 : path;
  char host[256];
  host_name(host, sizeof host);
  remove_stale(path, host);
  size_t size = strlen(path) + strlen(host) + 64;
  char *tmp = malloc(size);
  if (!tmp) {
    *err = ENOMEM;
    return NULL;
  }
  for (int attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
    unsigned n = atomic_fetch_add(&tmp_counter, 1u);
    snprintf(tmp, size, "%.*s.%s.tmp-%s-%ld-%u", dir_len, path, base, host, (long)getpid(), n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      close(fd);
      return tmp;
    }
    if (errno != EEXIST) break;
  }
  *err = errno;
  free(tmp);
  return NULL;
}

int strata_output_is_stdout(const char *path) { return path && strcmp(path, "-") == 0; }

strata_status strata_output_begin_text(const char *path, strata_output_file *out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_output_begin: out is NULL");
  if (!strata_output_is_stdout(path)) return strata_output_begin(path, out);
  out->tmp_path = NULL;
  out->to_stdout = 1;
  out->final_path = strdup("standard output");
  RETURN_IF(!out->final_path, STRATA_ERR_NOMEM, "out of memory");
  /* What the caller printed before through stdio comes first. */
  RETURN_IF(fflush(stdout) != 0, STRATA_ERR_WRITE, "cannot write to standard output: %s", strerror(errno));
  return STRATA_OK;
}

strata_status strata_output_begin(const char *path, strata_output_file *out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_output_begin: out is NULL");
  out->final_path = out->tmp_path = NULL;
  out->to_stdout = 0;
  RETURN_IF(!path || !*path, STRATA_ERR_USAGE, "no output file name");
  RETURN_IF(strata_output_is_stdout(path), STRATA_ERR_USAGE,
            "output '-' (standard output) is for text outputs only; this one is an HDF5 file: name a file");

  struct stat sb;
  size_t len = strlen(path);
  if (path[len - 1] == '/' || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
    return cannot_write(path, EISDIR);

  /* Only a regular file is ever replaced: renaming onto a FIFO, a socket or
   * a device node (as root, /dev/null) would replace it with a file.  A
   * symbolic link is written through: its target gets the output, and the
   * link keeps pointing at it. */
  char *target = NULL;
  if (lstat(path, &sb) == 0) {
    if (S_ISLNK(sb.st_mode)) {
      target = realpath(path, NULL);
      RETURN_IF(!target && errno == ENOENT, STRATA_ERR_USAGE,
                "output '%s' is a symbolic link to a file that does not exist", path);
      if (!target) return cannot_write(path, errno);
      if (stat(target, &sb) != 0) sb.st_mode = S_IFREG; /* gone since: a new file */
    }
    if (!S_ISREG(sb.st_mode)) {
      const char *what = S_ISFIFO(sb.st_mode)  ? "a FIFO"
                         : S_ISSOCK(sb.st_mode) ? "a socket"
                         : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                         : S_ISDIR(sb.st_mode)  ? "a directory"
                                                : "not a regular file";
      free(target);
      return strata_fail(STRATA_ERR_USAGE, "output '%s' is %s; strata writes regular files only", path, what);
    }
  }
  const char *final_path = target ? target : path;

  int err = 0;
  out->tmp_path = create_tmp(final_path, &err);
  if (!out->tmp_path) {
    free(target);
    return cannot_write(path, err);
  }
  out->final_path = target ? target : strdup(path);
  if (!out->final_path) {
    strata_output_abort(out);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory writing '%s'", path);
  }
  return STRATA_OK;
}

strata_status strata_output_write_all(strata_output_file *f, const void *data, size_t size) {
  RETURN_IF(!f || (!f->tmp_path && !f->to_stdout) || (size && !data), STRATA_ERR_USAGE,
            "strata_output_write_all: bad argument");
  int fd = f->to_stdout ? dup(STDOUT_FILENO) : open(f->tmp_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return cannot_write(f->final_path, errno);
  const char *p = data;
  int err = 0;
  while (size > 0 && !err) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) {
      p += n;
      size -= (size_t)n;
    }
  }
  if (close(fd) != 0 && !err && errno != EINTR) err = errno;
  return err ? cannot_write(f->final_path, err) : STRATA_OK;
}

/* Makes the rename itself survive a crash; best effort, as some file
 * systems cannot fsync a directory. */
static void sync_directory(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

strata_status strata_output_commit(strata_output_file *f) {
  if (f && f->to_stdout) {
    strata_output_abort(f);
    return STRATA_OK;
  }
  RETURN_IF(!f || !f->tmp_path || !f->final_path, STRATA_ERR_USAGE,
            "strata_output_commit: no output in progress");
  int err = 0;
  int fd = open(f->tmp_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
  } else {
    /* EINVAL/EROFS: the file system has nothing to sync, not a failure. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) err = errno;
    if (close(fd) != 0 && !err && errno != EINTR) err = errno;
  }
  if (!err && rename(f->tmp_path, f->final_path) != 0) err = errno;
  if (err) {
    strata_status st = cannot_write(f->final_path, err);
    strata_output_abort(f);
    return st;
  }
  sync_directory(f->final_path);
  free(f->tmp_path);
  free(f->final_path);
  f->tmp_path = f->final_path = NULL;
  return STRATA_OK;
}

void strata_output_abort(strata_output_file *f) {
  if (!f) return;
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->final_path);
  f->tmp_path = f->final_path = NULL;
  f->to_stdout = 0;
}
