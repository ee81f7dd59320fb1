/* libFuzzer harness of the centroids file of `strata fit --init FILE`
 * (cli/centroids_csv.c), built from that source alone.  The input's first
 * two bytes choose the expected shape (k = 1 + b0 % 8 rows, d = 1 + b1 % 6
 * features, named as in NAMES below); the rest is the file.  Oracles beyond
 * the sanitizers (leaks included):
 *  - a refusal is one non-empty line naming the file, free of control
 *    bytes (a field is shown with them as '?'), and leaves *out unset;
 *  - an acceptance gives k x d finite values, and is a fixed point: the
 *    values written back with %.17g (under the same header, or none) read
 *    back bit for bit.
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * corpus_centroids/ and regressions_centroids/, by tests/fuzz/CMakeLists.txt. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centroids_csv.h"
#include "fuzz_scratch.h"

static const char *const NAMES[] = {"age", "income", "recency", "frequency", "spend", "tenure"};

static void fail(const char *what) { fuzz_fail("fuzz_centroids", what); }

/* The reader's only dependency outside libc (cli/util.c holds the
 * command's own, which exits on exhaustion). */
void *cli_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) fail("out of memory in cli_xrealloc");
  return q;
}

/* The scratch file's path (fuzz_scratch.c), named in every message. */
static const char *path = "";

static void write_scratch(const void *data, size_t size) { path = fuzz_file_write(data, size, "centroids.csv"); }

static void check_refusal(const char *err, const double *out) {
  if (out) fail("a refusal set the output");
  if (!err[0]) fail("a refusal without a message");
  for (const char *p = err; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) fail("a control byte in the message (one line, shown as typed)");
  if (!strstr(err, path)) fail("a message that does not name the file");
}

/* Writes the accepted values back as a CSV and reads it again: the reader
 * must give the same bits (strtod of %.17g is exact for finite doubles). */
static void check_round_trip(int k, size_t d, const double *v) {
  size_t cap = 64 + d * 16 + (size_t)k * d * 32, n = 0;
  char *text = malloc(cap);
  if (!text) fail("out of memory in the harness");
  if (k & 1)
    for (size_t j = 0; j < d; j++) n += (size_t)snprintf(text + n, cap - n, "%s%s", j ? "," : "", NAMES[j]);
  if (k & 1) text[n++] = '\n';
  for (int c = 0; c < k; c++)
    for (size_t j = 0; j < d; j++)
      n += (size_t)snprintf(text + n, cap - n, "%.17g%s", v[(size_t)c * d + j], j + 1 < d ? "," : "\n");
  write_scratch(text, n);
  free(text);
  double *again = NULL;
  char err[1024] = "";
  if (!cli_centroids_csv_read(path, k, d, NAMES, &again, err, sizeof err)) {
    fprintf(stderr, "fuzz_centroids: the values written back are refused: %s\n", err);
    abort();
  }
  if (memcmp(again, v, (size_t)k * d * sizeof *v) != 0) fail("the values written back read differently");
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int k = 1 + data[0] % 8;
  size_t d = 1 + (size_t)(data[1] % 6);
  write_scratch(data + 2, size - 2);
  double *out = NULL;
  char err[1024] = "";
  if (!cli_centroids_csv_read(path, k, d, NAMES, &out, err, sizeof err)) {
    check_refusal(err, out);
    return 0;
  }
  if (!out) fail("an acceptance without values");
  for (size_t i = 0; i < (size_t)k * d; i++)
    if (!isfinite(out[i])) fail("a non-finite value accepted");
  check_round_trip(k, d, out);
  free(out);
  return 0;
}
