/* The HTML document buffer (io/html_writer.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "html_writer.h"
#include "output_file.h"

void strata_html_init(strata_html *h) { memset(h, 0, sizeof *h); }

void strata_html_free(strata_html *h) {
  free(h->s);
  memset(h, 0, sizeof *h);
}

static int reserve(strata_html *h, size_t more) {
  if (h->oom) return 0;
  if (h->len + more + 1 <= h->cap) return 1;
  size_t cap = h->cap ? h->cap : 4096;
  while (cap < h->len + more + 1) cap *= 2;
  char *s = realloc(h->s, cap);
  if (!s) {
    h->oom = 1;
    return 0;
  }
  h->s = s;
  h->cap = cap;
  return 1;
}

static void append(strata_html *h, const char *s, size_t n) {
  if (!reserve(h, n)) return;
  memcpy(h->s + h->len, s, n);
  h->len += n;
  h->s[h->len] = '\0';
}

void strata_html_raw(strata_html *h, const char *markup) { append(h, markup, strlen(markup)); }

static char *vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

void strata_html_printf(strata_html *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  if (!s) {
    h->oom = 1;
    return;
  }
  strata_html_raw(h, s);
  free(s);
}

void strata_html_text(strata_html *h, const char *text) {
  if (!text) return;
  for (const char *p = text; *p; p++) {
    switch (*p) {
      case '&': strata_html_raw(h, "&amp;"); break;
      case '<': strata_html_raw(h, "&lt;"); break;
      case '>': strata_html_raw(h, "&gt;"); break;
      case '"': strata_html_raw(h, "&quot;"); break;
      case '\'': strata_html_raw(h, "&#39;"); break;
      default: append(h, p, 1);
    }
  }
}

void strata_html_textf(strata_html *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  if (!s) {
    h->oom = 1;
    return;
  }
  strata_html_text(h, s);
  free(s);
}

/* System font stacks only: the page must not fetch anything. */
static const char *const CSS =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0;line-height:1.45}"
    "main{max-width:1120px;margin:0 auto;padding:24px}"
    "h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.3em;margin-top:1.8em;border-bottom:2px solid #ddd;"
    "padding-bottom:.2em}h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f2f2f2}td.l,th.l{text-align:left}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}"
    "figure{margin:1em 0}figcaption{font-size:.9em;color:#444}"
    "svg{max-width:100%;height:auto}svg text{font-family:inherit;fill:#1a1a1a}"
    ".note{color:#555;font-size:.9em}.flag{color:#a3210a;font-weight:600}"
    ".ok{color:#1b6b2f}.grid{display:flex;flex-wrap:wrap;gap:16px}"
    ".swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #888;vertical-align:middle;"
    "margin-right:.3em}"
    "dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 16px}dl.meta dt{font-weight:600}"
    "dl.meta dd{margin:0}";

void strata_html_begin(strata_html *h, const char *title) {
  strata_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  strata_html_text(h, title);
  strata_html_raw(h, "</title>\n<style>");
  strata_html_raw(h, CSS);
  strata_html_raw(h, "</style>\n</head>\n<body>\n<main>\n");
}

void strata_html_end(strata_html *h) { strata_html_raw(h, "</main>\n</body>\n</html>\n"); }

strata_status strata_html_save(const strata_html *h, const char *path) {
  RETURN_IF(h->oom, STRATA_ERR_NOMEM, "out of memory building '%s'", path);
  strata_output_file out;
  FORWARD_IF_ERROR(strata_output_begin_text(path, &out));
  strata_status st = strata_output_write_all(&out, h->s ? h->s : "", h->len);
  if (st != STRATA_OK) {
    strata_output_abort(&out);
    return st;
  }
  return strata_output_commit(&out);
}
