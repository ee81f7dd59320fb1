/* Replays files through the fuzz harness (fuzz_csv.c) without libFuzzer:
 * every file named, and every file of every directory named.  The ctest
 * csv_fuzz_replay runs it over tests/fuzz/corpus and tests/fuzz/regressions,
 * so the ASan+UBSan build of scripts/test.sh checks the parser on them. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: a harness that defines it is set up by it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t k;
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) {
      uint8_t *b = realloc(buf, cap *= 2);
      if (!b) {
        free(buf);
        buf = NULL;
      } else {
        buf = b;
      }
    }
  }
  fclose(f);
  if (!buf) return 1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0, failures = 0;
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (int a = 1; a < argc; a++) {
    struct stat sb;
    if (stat(argv[a], &sb) != 0) {
      fprintf(stderr, "replay: no such file or directory: %s\n", argv[a]);
      return 1;
    }
    if (!S_ISDIR(sb.st_mode)) {
      failures += replay_file(argv[a]);
      files++;
      continue;
    }
    DIR *d = opendir(argv[a]);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
      failures += replay_file(path);
      files++;
    }
    if (d) closedir(d);
  }
  printf("replayed %d files, %d unreadable\n", files, failures);
  return failures ? 1 : 0;
}
