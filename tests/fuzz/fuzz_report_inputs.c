/* libFuzzer harness of the JSON inputs of `strata report` (--sweep,
 * --stability, --drift: cli/report_json.c) and of the sections drawn from
 * them (cli/report_extra.c), over the library.  The input's first byte
 * chooses the kind (b0 % 3) and, for the drawing, the model's k
 * (1 + b0 / 3 % 8) and whether segments have names (b0 & 0x80); the rest
 * is the file.  Oracles beyond the sanitizers (leaks included):
 *  - a refusal is one non-empty line naming the file, free of control
 *    bytes, and returns no tree;
 *  - an accepted file is drawn: the page holds no non-finite number (a
 *    "nan" or "inf" token, in a cell or a chart scaled by an overflowing
 *    range; the file's own strings are upper-cased first) and no unescaped
 *    text from the file ("<script").
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer) or, as a replay of
 * corpus_report/ and regressions_report/, by tests/fuzz/CMakeLists.txt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_scratch.h"
#include "html_writer.h"
#include "report_json.h"
#include "report_sections.h"

static void fail(const char *what) { fuzz_fail("fuzz_report_inputs", what); }

/* The scratch file's path (fuzz_scratch.c), named in every message. */
static const char *path = "";

static void write_scratch(const void *data, size_t size) { path = fuzz_file_write(data, size, "report.json"); }

static void check_refusal(const char *err, const cJSON *tree, const cJSON *root) {
  if (tree || root) fail("a refusal returned a tree");
  if (!err[0]) fail("a refusal without a message");
  for (const char *p = err; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) fail("a control byte in the message");
  if (!strstr(err, path)) fail("a message that does not name the file");
}

/* Text from the file can say "nan" or "inf"; upper-casing its n and i
 * leaves such a token in the page only from a number printed by us. */
static void upcase_strings(cJSON *node) {
  for (; node; node = node->next) {
    if (cJSON_IsString(node) && node->valuestring)
      for (char *p = node->valuestring; *p; p++)
        if (*p == 'n' || *p == 'i') *p = (char)(*p - 'a' + 'A');
    upcase_strings(node->child);
  }
}

static int is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

static void check_html(const strata_html *h) {
  if (h->oom) fail("out of memory drawing the report");
  if (!h->s) return;
  static const char *const bad[] = {"nan", "inf"};
  for (size_t b = 0; b < 2; b++)
    for (const char *p = h->s; (p = memmem(p, h->len - (size_t)(p - h->s), bad[b], 3)) != NULL; p += 3) {
      if ((p > h->s && is_word(p[-1])) || (p + 3 < h->s + h->len && is_word(p[3]))) continue;
      size_t at = (size_t)(p - h->s);
      fprintf(stderr, "fuzz_report_inputs: near byte %zu: %.100s\n", at, h->s + (at > 50 ? at - 50 : 0));
      fail("a non-finite number in the page");
    }
  if (memmem(h->s, h->len, "<script", 7)) fail("unescaped text from the file in the page");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  cli_report_input kind = (cli_report_input)(data[0] % 3);
  int k = 1 + data[0] / 3 % 8;
  write_scratch(data + 1, size - 1);
  cJSON *root = NULL;
  char err[1024] = "";
  cJSON *tree = cli_report_read(path, kind, &root, err, sizeof err);
  if (!tree) {
    check_refusal(err, tree, root);
    return 0;
  }
  upcase_strings(root);
  static const char *const names[8] = {"Young savers", "Loyal <b>big</b> spenders", "", "Lapsed",
                                       "New & curious", "Bargain hunters", "Seg \"7\"", "Premium"};
  strata_model_info info;
  memset(&info, 0, sizeof info);
  info.k = k;
  cli_report r;
  memset(&r, 0, sizeof r);
  r.info = &info;
  r.names = data[0] & 0x80 ? names : NULL;
  r.sweep_path = r.stability_path = r.drift_path = path;
  strata_html h;
  strata_html_init(&h);
  if (kind == CLI_REPORT_SWEEP) {
    r.sweep = tree;
    cli_report_sweep(&h, &r);
  } else if (kind == CLI_REPORT_STABILITY) {
    r.stability = tree;
    cli_report_stability(&h, &r);
  } else {
    r.drift = tree;
    cli_report_drift(&h, &r);
  }
  check_html(&h);
  strata_html_free(&h);
  cJSON_Delete(root);
  return 0;
}
