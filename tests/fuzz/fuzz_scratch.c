/* See fuzz_scratch.h.  libFuzzer runs one input at a time in one thread,
 * so one path per name is enough. */
#include "fuzz_scratch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 4

static char paths[MAX_FILES][512];

static void remove_files(void) {
  for (int i = 0; i < MAX_FILES; i++)
    if (paths[i][0]) unlink(paths[i]);
}

const char *fuzz_file_write(const uint8_t *data, size_t size, const char *name) {
  int slot = 0;
  const char *dir = getenv("TMPDIR");
  char want[512];
  snprintf(want, sizeof want, "%s/strata-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
  while (slot < MAX_FILES && paths[slot][0] && strcmp(paths[slot], want) != 0) slot++;
  if (slot == MAX_FILES) fuzz_fail("fuzz_file", "too many scratch files");
  if (!paths[slot][0]) {
    if (slot == 0) atexit(remove_files);
    snprintf(paths[slot], sizeof paths[slot], "%s", want);
  }
  int fd = open(paths[slot], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fuzz_fail("fuzz_file", "cannot create the scratch file");
  for (size_t done = 0; done < size;) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) fuzz_fail("fuzz_file", "cannot write the scratch file");
    done += (size_t)w;
  }
  close(fd);
  return paths[slot];
}

void fuzz_fail(const char *harness, const char *what) {
  fprintf(stderr, "%s: invariant broken: %s\n", harness, what);
  abort();
}
