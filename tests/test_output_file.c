/* Outputs replace regular files only: a FIFO is refused and left as it
 * is, a symbolic link is written through to its target (and still points
 * at it), a dangling link is refused, a regular file is replaced; stale
 * temporary files of dead runs are removed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "io_fixture.h"
#include "output_file.h"

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static int has_text(const char *path, const char *text) {
  char buf[64] = {0};
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* The directory of path (a static buffer). */
static const char *fixture_dir(const char *path) {
  static char dir[1024];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  else snprintf(dir, sizeof dir, ".");
  return dir;
}

static strata_status write_output(const char *path, const char *text) {
  strata_output_file out;
  strata_status st = strata_output_begin(path, &out);
  if (st != STRATA_OK) return st;
  st = strata_output_write_all(&out, text, strlen(text));
  if (st == STRATA_OK) st = strata_output_commit(&out);
  else strata_output_abort(&out);
  return st;
}

int main(void) {
  /* A regular file is replaced. */
  const char *plain = fx_path("out_plain.txt");
  write_text(plain, "old");
  CHECK_OK(write_output(plain, "new"));
  CHECK(has_text(plain, "new"));

  /* A FIFO is refused, and stays a FIFO. */
  const char *fifo = fx_path("out_fifo");
  unlink(fifo);
  CHECK(mkfifo(fifo, 0600) == 0);
  CHECK(write_output(fifo, "new") == STRATA_ERR_USAGE);
  CHECK_MSG(strstr(strata_last_error(), "is a FIFO") != NULL, "%s", strata_last_error());
  struct stat sb;
  CHECK(lstat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode));
  unlink(fifo);

  /* A symbolic link: the target gets the output, the link stays a link. */
  const char *target = fx_path("out_target.txt"), *link = fx_path("out_link.txt");
  write_text(target, "old");
  unlink(link);
  CHECK(symlink(target, link) == 0);
  CHECK_OK(write_output(link, "new"));
  CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode));
  CHECK(has_text(target, "new"));

  /* A link to nothing is refused; nothing is created. */
  const char *gone = fx_path("out_gone.txt"), *dangling = fx_path("out_dangling.txt");
  unlink(gone);
  unlink(dangling);
  CHECK(symlink(gone, dangling) == 0);
  CHECK(write_output(dangling, "new") == STRATA_ERR_USAGE);
  CHECK_MSG(strstr(strata_last_error(), "does not exist") != NULL, "%s", strata_last_error());
  CHECK(access(gone, F_OK) != 0 && errno == ENOENT);
  unlink(dangling);
  unlink(link);

  /* Temporary files a dead run of this machine left are removed when the
   * same output is written again; a live run's and another host's stay. */
  char host[256];
  CHECK(gethostname(host, sizeof host) == 0);
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status;
  waitpid(child, &status, 0); /* now a pid that no process has */
  const char *out = fx_path("out_stale.h5");
  char dead[1200], live[1200], other[1200];
  snprintf(dead, sizeof dead, "%s/.out_stale.h5.tmp-%s-%ld-7", fixture_dir(out), host, (long)child);
  snprintf(live, sizeof live, "%s/.out_stale.h5.tmp-%s-%ld-9", fixture_dir(out), host, (long)getppid());
  snprintf(other, sizeof other, "%s/.out_stale.h5.tmp-elsewhere.example-%ld-7", fixture_dir(out), (long)child);
  write_text(dead, "x");
  write_text(live, "x");
  write_text(other, "x");
  CHECK_OK(write_output(out, "new"));
  CHECK(has_text(out, "new"));
  CHECK(access(dead, F_OK) != 0);
  CHECK(access(live, F_OK) == 0 && access(other, F_OK) == 0);
  unlink(live);
  unlink(other);
  return check_report();
}
