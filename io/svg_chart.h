/* Inline SVG charts for the HTML report, appended to a strata_html
 * document: a horizontal bar chart, a line chart, a heat map on a diverging
 * scale and a scatter plot by group.  Every chart has role="img", a <title>
 * and a <desc> (its accessible name and description) and per-mark <title>s;
 * the colours are the Okabe–Ito palette (colour-blind safe) and a
 * blue–white–red diverging scale.  All text is escaped here.  `id` must be
 * unique within the document (letters, digits, '-'). */
#ifndef STRATA_IO_SVG_CHART_H
#define STRATA_IO_SVG_CHART_H

#include <stddef.h>

#include "html_writer.h"

/* Colour i of the categorical palette ("#0072B2"), cycling after 8. */
const char *strata_svg_palette(size_t i);
/* The diverging colour of v clamped to [-limit, limit] as "#rrggbb" into buf (8 bytes). */
void strata_svg_diverging(double v, double limit, char buf[8]);

/* n bars: labels[i] and values[i] >= 0, coloured by index.  value_text[i]
 * (may be NULL) is printed after the bar instead of the number. */
void strata_svg_bars(strata_html *h, const char *id, const char *title, const char *desc,
                     const char *const *labels, const double *values, const char *const *value_text,
                     size_t n);

/* y against x (n points, NaN y left out); the point at x == mark_x (NaN for
 * none) is drawn larger and labelled.  A dashed vertical line at x ==
 * rule_x (NaN for none) is labelled rule_label ("model: k = 5"). */
void strata_svg_line(strata_html *h, const char *id, const char *title, const char *desc,
                     const char *xlabel, const char *ylabel, const double *x, const double *y,
                     size_t n, double mark_x, double rule_x, const char *rule_label);

/* nrows×ncols values (row-major) on the diverging scale within ±limit; the
 * value is printed in each cell. */
void strata_svg_heatmap(strata_html *h, const char *id, const char *title, const char *desc,
                        const char *const *row_labels, size_t nrows, const char *const *col_labels,
                        size_t ncols, const double *values, double limit);

/* n points (x[i], y[i]) coloured by group[i] in 0..ngroups-1; the groups'
 * centres (cx, cy: ngroups, may be NULL) drawn as outlined crosses; a legend
 * of group_labels.  view: {xlo, xhi, ylo, yhi}, the region shown (points
 * outside it are left out, so a few outliers do not squash the rest), or
 * NULL for all of them. */
void strata_svg_scatter(strata_html *h, const char *id, const char *title, const char *desc,
                        const char *xlabel, const char *ylabel, const double *x, const double *y,
                        const int *group, size_t n, const char *const *group_labels, size_t ngroups,
                        const double *cx, const double *cy, const double *view);

#endif
