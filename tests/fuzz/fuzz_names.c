/* libFuzzer harness of the segment names file of `report`, `profile` and
 * `export --names FILE` (cli/segment_names.c), built from that source alone.
 * The input's first byte chooses the reader: b0 % 9 == 8 the model-free
 * one of export (segments 0..max), else the one for a model of
 * k = 1 + b0 % 8 segments; the rest is the file.  Oracles beyond the
 * sanitizers (leaks included):
 *  - a refusal is one non-empty line naming the file, free of control
 *    bytes (a field is shown with them as '?');
 *  - an acceptance gives k names, none holding a line break, none empty
 *    with a model (an unnamed segment is "Segment s"); and, for k up to
 *    4096, it is a fixed point: the names written back as "s,\"name\""
 *    lines read back the same.
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * corpus_names/ and regressions_names/, by tests/fuzz/CMakeLists.txt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_scratch.h"
#include "segment_names.h"

static void fail(const char *what) { fuzz_fail("fuzz_names", what); }

/* The reader's allocation helpers (cli/util.c holds the command's, which
 * exit on exhaustion). */
static void *checked(void *p) {
  if (!p) fail("out of memory");
  return p;
}
void *cli_xcalloc(size_t count, size_t size) { return checked(calloc(count ? count : 1, size ? size : 1)); }
void *cli_xrealloc(void *p, size_t n) { return checked(realloc(p, n ? n : 1)); }
char *cli_xstrdup(const char *s) { return checked(strdup(s)); }

/* The scratch file's path (fuzz_scratch.c), named in every message. */
static const char *path = "";

static void write_scratch(const void *data, size_t size) { path = fuzz_file_write(data, size, "names.csv"); }

static void check_refusal(const char *err) {
  if (!err[0]) fail("a refusal without a message");
  for (const char *p = err; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) fail("a control byte in the message");
  if (!strstr(err, path)) fail("a message that does not name the file");
}

static int load(int any, int *k, char ***names, char *err, size_t errlen) {
  return any ? cli_segment_names_load_any(path, names, k, err, errlen)
             : cli_segment_names_load(path, *k, NULL, names, err, errlen);
}

/* Writes the names back, one "s,\"name\"" line each (the empty ones of
 * the model-free reader left out: it reads them as unnamed), and reads
 * them again. */
static void check_round_trip(int any, int k, char **names) {
  size_t cap = 64, n = 0;
  for (int s = 0; s < k; s++) cap += strlen(names[s]) + 32;
  char *text = malloc(cap);
  if (!text) fail("out of memory in the harness");
  for (int s = 0; s < k; s++)
    if (names[s][0]) n += (size_t)snprintf(text + n, cap - n, "%d,\"%s\"\n", s, names[s]);
  write_scratch(text, n);
  free(text);
  char **again = NULL, err[1024] = "";
  int k2 = k;
  if (!load(any, &k2, &again, err, sizeof err)) {
    fprintf(stderr, "fuzz_names: the names written back are refused: %s\n", err);
    abort();
  }
  if (k2 != k) fail("the names written back give another k");
  for (int s = 0; s < k; s++)
    if (strcmp(again[s], names[s]) != 0) fail("the names written back read differently");
  cli_segment_names_free(again, k2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int any = data[0] % 9 == 8, k = 1 + data[0] % 8;
  write_scratch(data + 1, size - 1);
  char **names = NULL, err[1024] = "";
  if (!load(any, &k, &names, err, sizeof err)) {
    check_refusal(err);
    return 0;
  }
  if (!names || k < 1) fail("an acceptance without names");
  for (int s = 0; s < k; s++) {
    if (!names[s]) fail("a segment without a name");
    if (strchr(names[s], '\n')) fail("a name with a line break");
    if (!any && !names[s][0]) fail("an empty name accepted");
  }
  /* The model-free reader takes segments up to 2^20: writing a million
   * lines back and reading them under ASan passed the 10 s limit of the
   * run (regressions_names/segment_past_a_million.csv).  The read itself
   * is still checked above. */
  if (k <= 4096) check_round_trip(any, k, names);
  cli_segment_names_free(names, k);
  return 0;
}
