/* Plain-text tables with aligned, wrapped columns. */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

struct cli_table {
  size_t ncols, nkey, nrows, rowcap;
  char **heading;
  int *left;
  char **cells; /* nrows × ncols, NULL = empty */
};

cli_table *cli_table_new(size_t ncols, size_t nkey) {
  cli_table *t = cli_xcalloc(1, sizeof *t);
  t->ncols = ncols;
  t->nkey = nkey < ncols ? nkey : ncols;
  t->heading = cli_xcalloc(ncols, sizeof *t->heading);
  t->left = cli_xcalloc(ncols, sizeof *t->left);
  return t;
}

void cli_table_free(cli_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
  for (size_t j = 0; j < t->ncols; j++) free(t->heading[j]);
  free(t->cells);
  free(t->heading);
  free(t->left);
  free(t);
}

void cli_table_column(cli_table *t, size_t col, const char *heading, int left) {
  free(t->heading[col]);
  t->heading[col] = cli_xstrdup(heading);
  t->left[col] = left;
}

size_t cli_table_add_row(cli_table *t) {
  if (t->nrows == t->rowcap) {
    t->rowcap = t->rowcap ? 2 * t->rowcap : 16;
    t->cells = cli_xrealloc(t->cells, t->rowcap * t->ncols * sizeof *t->cells);
  }
  memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof *t->cells);
  return t->nrows++;
}

void cli_table_cell(cli_table *t, size_t col, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char **cell = &t->cells[(t->nrows - 1) * t->ncols + col];
  free(*cell);
  *cell = cli_xstrdup(buf);
}

static const char *text_of(const char *s) { return s ? s : ""; }

/* Display width of UTF-8 text: code points, not bytes (no wide glyphs). */
static size_t display_width(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static void put_cell(FILE *f, const char *s, size_t width, int left) {
  size_t w = display_width(s);
  size_t pad = width > w ? width - w : 0;
  if (left) fprintf(f, "%s%*s", s, (int)pad, "");
  else fprintf(f, "%*s%s", (int)pad, "", s);
}

static void print_line(const cli_table *t, FILE *f, const char *indent, const size_t *w, const size_t *cols,
                       size_t ncols, size_t row) {
  /* row == SIZE_MAX: headings. Trailing blanks of a left-aligned last cell are cut. */
  fputs(indent, f);
  for (size_t i = 0; i < ncols; i++) {
    size_t j = cols[i];
    const char *s = row == (size_t)-1 ? text_of(t->heading[j]) : text_of(t->cells[row * t->ncols + j]);
    /* An empty left-aligned last cell (a note column without a note) ends
     * the line before its separator. */
    if (i + 1 == ncols && t->left[j] && !*s) break;
    if (i) fputs("  ", f);
    if (i + 1 == ncols && t->left[j]) fputs(s, f);
    else put_cell(f, s, w[j], t->left[j]);
  }
  fputc('\n', f);
}

void cli_table_print(const cli_table *t, FILE *f, size_t width, const char *indent) {
  size_t *w = cli_xcalloc(t->ncols, sizeof *w);
  for (size_t j = 0; j < t->ncols; j++) {
    w[j] = display_width(text_of(t->heading[j]));
    for (size_t r = 0; r < t->nrows; r++) {
      size_t cw = display_width(text_of(t->cells[r * t->ncols + j]));
      if (cw > w[j]) w[j] = cw;
    }
  }
  size_t keyw = strlen(indent);
  for (size_t j = 0; j < t->nkey; j++) keyw += w[j] + (j ? 2 : 0);
  size_t *cols = cli_xcalloc(t->ncols, sizeof *cols);
  size_t next = t->nkey;
  int block = 0;
  do {
    /* One block: the key columns, then as many others as fit (at least one). */
    size_t n = 0, used = keyw;
    for (size_t j = 0; j < t->nkey; j++) cols[n++] = j;
    size_t first = next;
    while (next < t->ncols) {
      size_t add = w[next] + (n ? 2 : 0);
      if (width && next > first && used + add > width) break;
      cols[n++] = next++;
      used += add;
    }
    if (block++) fputc('\n', f);
    print_line(t, f, indent, w, cols, n, (size_t)-1);
    for (size_t r = 0; r < t->nrows; r++) print_line(t, f, indent, w, cols, n, r);
  } while (next < t->ncols);
  free(cols);
  free(w);
}

size_t cli_output_width(FILE *f) {
  struct winsize ws;
  if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  const char *env = getenv("COLUMNS");
  if (env) {
    long v = strtol(env, NULL, 10);
    if (v >= 40 && v <= 10000) return (size_t)v;
  }
  return 100;
}
