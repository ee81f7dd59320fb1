/* A self-contained HTML document built in memory: escaping of every string
 * that comes from data or a model, the document skeleton with its inline
 * CSS (no script, no font, no URL), and the save through io/output_file.h. */
#ifndef STRATA_IO_HTML_WRITER_H
#define STRATA_IO_HTML_WRITER_H

#include <stddef.h>

#include "strata.h"

#if defined(__GNUC__)
#define STRATA_HTML_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define STRATA_HTML_PRINTF(a, b)
#endif

typedef struct {
  char *s;
  size_t len, cap;
  int oom; /* set once an append failed; checked by strata_html_save */
} strata_html;

void strata_html_init(strata_html *h);
void strata_html_free(strata_html *h);

/* Markup, appended as is: never pass text from data here. */
void strata_html_raw(strata_html *h, const char *markup);
void strata_html_printf(strata_html *h, const char *fmt, ...) STRATA_HTML_PRINTF(2, 3);
/* Text or an attribute value, escaped (& < > " '); NULL appends nothing. */
void strata_html_text(strata_html *h, const char *text);
/* Escaped printf: the whole formatted result is escaped. */
void strata_html_textf(strata_html *h, const char *fmt, ...) STRATA_HTML_PRINTF(2, 3);

/* <!DOCTYPE html> ... <body><main>, with the title (escaped) and the CSS. */
void strata_html_begin(strata_html *h, const char *title);
/* </main></body></html>. */
void strata_html_end(strata_html *h);

/* Writes the document to path under a temporary name, renamed into place.
 * STRATA_ERR_NOMEM when building it ran out of memory. */
strata_status strata_html_save(const strata_html *h, const char *path);

#endif
