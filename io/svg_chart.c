/* Inline SVG charts (io/svg_chart.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg_chart.h"

static const char *const PALETTE[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                      "#56B4E9", "#D55E00", "#F0E442", "#000000"};

const char *strata_svg_palette(size_t i) { return PALETTE[i % 8]; }

void strata_svg_diverging(double v, double limit, char buf[8]) {
  /* Blue (#2166AC) – white – red (#B2182B): the ColorBrewer RdBu ends, which
   * stay distinct under the common colour-vision deficiencies. */
  double t = (limit > 0 && isfinite(v)) ? v / limit : 0.0;
  if (t > 1) t = 1;
  if (t < -1) t = -1;
  double r, g, b;
  if (t >= 0) {
    r = 255 + t * (0xB2 - 255);
    g = 255 + t * (0x18 - 255);
    b = 255 + t * (0x2B - 255);
  } else {
    r = 255 - t * (0x21 - 255);
    g = 255 - t * (0x66 - 255);
    b = 255 - t * (0xAC - 255);
  }
  snprintf(buf, 8, "#%02X%02X%02X", (unsigned)lround(r), (unsigned)lround(g), (unsigned)lround(b));
}

static void open_svg(strata_html *h, const char *id, double w, double hgt, const char *title,
                     const char *desc) {
  strata_html_printf(h, "<figure>\n<svg viewBox=\"0 0 %.0f %.0f\" "
                        "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-labelledby=\"%s-t %s-d\">\n"
                        "<title id=\"%s-t\">", w, hgt, w, hgt, id, id, id);
  strata_html_text(h, title);
  strata_html_printf(h, "</title>\n<desc id=\"%s-d\">", id);
  strata_html_text(h, desc);
  strata_html_raw(h, "</desc>\n");
}

static void close_svg(strata_html *h, const char *caption) {
  strata_html_raw(h, "</svg>\n<figcaption>");
  strata_html_text(h, caption);
  strata_html_raw(h, "</figcaption>\n</figure>\n");
}

/* A range with a little room.  A flat one, or one narrower than its ticks
 * could step through (values a few ulps apart), is widened around its
 * values; one past +-DBL_MAX/8 is cut there, so that the span, the padding
 * and every coordinate stay finite (a sweep file of inertias -1e308 and
 * 1e308 made the tick loop run forever). */
static void range_of(const double *v, size_t n, double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i])) {
      if (v[i] < *lo) *lo = v[i];
      if (v[i] > *hi) *hi = v[i];
    }
  if (!isfinite(*lo)) *lo = 0, *hi = 1;
  const double cap = DBL_MAX / 8;
  *lo = fmax(*lo, -cap);
  *hi = fmin(*hi, cap);
  double span = *hi - *lo, mag = fmax(fabs(*lo), fabs(*hi));
  double pad = span > mag * 1e-9 ? span * 0.05 : mag > 0 ? mag * 0.1 : 1.0;
  *lo -= pad;
  *hi += pad;
}

/* A view narrower than range_of allows (or not finite) is not used. */
static int usable_view(double lo, double hi) {
  return isfinite(lo) && isfinite(hi) && hi - lo > fmax(fabs(lo), fabs(hi)) * 1e-9 && hi - lo < DBL_MAX / 2;
}

typedef struct {
  double x0, y0, w, h;      /* plot area in SVG units */
  double xlo, xhi, ylo, yhi; /* data ranges */
} frame;

/* A value far outside the range (a centroid beyond a scatter's view) is
 * drawn at most a plot's size outside it, and never at an infinite
 * coordinate. */
static double within(double v, double lo, double hi) {
  double span = hi - lo;
  return fmin(fmax(v, lo - span), hi + span);
}
static double fx(const frame *f, double x) {
  return f->x0 + (within(x, f->xlo, f->xhi) - f->xlo) / (f->xhi - f->xlo) * f->w;
}
static double fy(const frame *f, double y) {
  return f->y0 + f->h - (within(y, f->ylo, f->yhi) - f->ylo) / (f->yhi - f->ylo) * f->h;
}

/* A round tick step (1, 2 or 5 times a power of ten) giving four to ten
 * ticks over a span, so labels read 0, 0.5, 1 rather than 0.0341. */
enum { MAX_TICKS = 32 };

static double nice_step(double span) {
  if (!(span > 0) || !isfinite(span)) return 1.0;
  double raw = span / 5.0, p = pow(10.0, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

static void axes(strata_html *h, const frame *f, const char *xlabel, const char *ylabel, int integer_x) {
  strata_html_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                        "stroke=\"#999\"/>\n", f->x0, f->y0, f->w, f->h);
  double ys = nice_step(f->yhi - f->ylo), xs = nice_step(f->xhi - f->xlo);
  /* Ticks by index, at most MAX_TICKS: a sum that stops growing (a step
   * below the values' ulp) cannot loop. */
  double y0 = ceil(f->ylo / ys) * ys, x0 = ceil(f->xlo / xs) * xs;
  for (int t = 0; t < MAX_TICKS && y0 + t * ys <= f->yhi; t++) {
    double yv = y0 + t * ys;
    double py = fy(f, yv), v = fabs(yv) < ys * 1e-9 ? 0.0 : yv;
    strata_html_printf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
                       f->x0, py, f->x0 + f->w, py);
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n",
                       f->x0 - 4, py + 4, v);
  }
  for (int t = 0; !integer_x && t < MAX_TICKS && x0 + t * xs <= f->xhi; t++) {
    double xv = x0 + t * xs, v = fabs(xv) < xs * 1e-9 ? 0.0 : xv;
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.4g</text>\n",
                       fx(f, xv), f->y0 + f->h + 14, v);
  }
  strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">",
                     f->x0 + f->w / 2, f->y0 + f->h + 32);
  strata_html_text(h, xlabel);
  strata_html_printf(h, "</text>\n<text x=\"12\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 12 %.1f)\">", f->y0 + f->h / 2, f->y0 + f->h / 2);
  strata_html_text(h, ylabel);
  strata_html_raw(h, "</text>\n");
}

void strata_svg_bars(strata_html *h, const char *id, const char *title, const char *desc,
                     const char *const *labels, const double *values, const char *const *value_text,
                     size_t n) {
  /* Room for the longest label (segment names can be long). */
  double label_w = 150, bar_w = 520, row = 26, top = 10;
  for (size_t i = 0; i < n; i++) label_w = fmax(label_w, 7.0 * (double)strlen(labels[i]) + 16);
  double width = label_w + bar_w + 170, height = top * 2 + row * (double)n;
  double vmax = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(values[i]) && values[i] > vmax) vmax = values[i];
  if (vmax <= 0) vmax = 1;
  open_svg(h, id, width, height, title, desc);
  for (size_t i = 0; i < n; i++) {
    double y = top + row * (double)i, w = isfinite(values[i]) && values[i] > 0 ? values[i] / vmax * bar_w : 0;
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">",
                       label_w - 8, y + row * 0.65);
    strata_html_text(h, labels[i]);
    strata_html_printf(h, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                          "<title>", label_w, y + 3, w, row - 6, strata_svg_palette(i));
    strata_html_text(h, labels[i]);
    strata_html_raw(h, ": ");
    if (value_text) strata_html_text(h, value_text[i]); else strata_html_textf(h, "%.6g", values[i]);
    strata_html_printf(h, "</title></rect>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
                       label_w + w + 6, y + row * 0.65);
    if (value_text) strata_html_text(h, value_text[i]); else strata_html_textf(h, "%.6g", values[i]);
    strata_html_raw(h, "</text>\n");
  }
  close_svg(h, title);
}

void strata_svg_line(strata_html *h, const char *id, const char *title, const char *desc,
                     const char *xlabel, const char *ylabel, const double *x, const double *y,
                     size_t n, double mark_x, double rule_x, const char *rule_label) {
  frame f = {.x0 = 78, .y0 = 24, .w = 420, .h = 220};
  range_of(x, n, &f.xlo, &f.xhi);
  range_of(y, n, &f.ylo, &f.yhi);
  open_svg(h, id, f.x0 + f.w + 20, f.y0 + f.h + 44, title, desc);
  axes(h, &f, xlabel, ylabel, 1);
  if (isfinite(rule_x) && rule_x >= f.xlo && rule_x <= f.xhi) {
    double px = fx(&f, rule_x);
    strata_html_printf(h, "<g class=\"model-k\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#009E73\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                          "style=\"fill:#00734F\">",
                       px, f.y0, px, f.y0 + f.h, px, f.y0 - 8);
    strata_html_text(h, rule_label ? rule_label : "");
    strata_html_raw(h, "</text></g>\n");
  }
  for (size_t i = 0; i < n; i++)
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.6g</text>\n",
                       fx(&f, x[i]), f.y0 + f.h + 14, x[i]);
  strata_html_raw(h, "<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"");
  for (size_t i = 0; i < n; i++)
    if (isfinite(y[i])) strata_html_printf(h, "%.1f,%.1f ", fx(&f, x[i]), fy(&f, y[i]));
  strata_html_raw(h, "\"/>\n");
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(y[i])) continue;
    int mark = x[i] == mark_x;
    strata_html_printf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>",
                       fx(&f, x[i]), fy(&f, y[i]), mark ? 7 : 4, mark ? "#D55E00" : "#0072B2");
    strata_html_textf(h, "%s %.6g: %s %.6g", xlabel, x[i], ylabel, y[i]);
    strata_html_raw(h, "</title></circle>\n");
  }
  close_svg(h, title);
}

/* A label cut into lines of at most WRAP characters, after '_', ' ', '=',
 * '-', '.' or '/' where one falls in the line, else at WRAP; at most
 * WRAP_LINES lines (the last ends in "..." when the label is longer). */
enum { WRAP = 16, WRAP_LINES = 3 };

static size_t wrap_label(const char *s, size_t start[WRAP_LINES], size_t len[WRAP_LINES], int *cut) {
  size_t n = strlen(s), at = 0, lines = 0;
  *cut = 0;
  while (at < n && lines < WRAP_LINES) {
    size_t take = n - at;
    if (take > WRAP) {
      take = WRAP;
      for (size_t i = WRAP; i > WRAP / 2; i--)
        if (strchr("_ =-./", s[at + i - 1])) { take = i; break; }
    }
    start[lines] = at;
    len[lines++] = take;
    at += take;
  }
  *cut = at < n;
  return lines;
}

/* Column labels of a heat map, each wrapped and turned 45 degrees; the full
 * label is in its <title>. */
static void column_label(strata_html *h, double x, double y, const char *label) {
  size_t start[WRAP_LINES], len[WRAP_LINES];
  int cut;
  size_t lines = wrap_label(label, start, len, &cut);
  strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" transform=\"rotate(-45 %.1f %.1f)\">"
                        "<title>", x, y, x, y);
  strata_html_text(h, label);
  strata_html_raw(h, "</title>");
  for (size_t i = 0; i < lines; i++) {
    /* The last line sits on the cell; earlier ones stack above it. */
    char part[WRAP + 4];
    memcpy(part, label + start[i], len[i]);
    strcpy(part + len[i], cut && i + 1 == lines ? "..." : "");
    strata_html_printf(h, "<tspan x=\"%.1f\" dy=\"%s\">", x,
                       i == 0 ? (lines > 1 ? (lines == 2 ? "-1.1em" : "-2.2em") : "0") : "1.1em");
    strata_html_text(h, part);
    strata_html_raw(h, "</tspan>");
  }
  strata_html_raw(h, "</text>\n");
}

void strata_svg_heatmap(strata_html *h, const char *id, const char *title, const char *desc,
                        const char *const *row_labels, size_t nrows, const char *const *col_labels,
                        size_t ncols, const double *values, double limit) {
  /* Room for the longest wrapped column label (about 6.5 units a character
   * at 11 px, turned 45 degrees, plus its stacked lines) and row label. */
  size_t longest = 0, lines_max = 1, row_longest = 0;
  for (size_t j = 0; j < ncols; j++) {
    size_t start[WRAP_LINES], len[WRAP_LINES];
    int cut;
    size_t lines = wrap_label(col_labels[j], start, len, &cut);
    for (size_t i = 0; i < lines; i++)
      if (len[i] + (cut ? 3 : 0) > longest) longest = len[i] + (cut ? 3 : 0);
    if (lines > lines_max) lines_max = lines;
  }
  for (size_t i = 0; i < nrows; i++)
    if (strlen(row_labels[i]) > row_longest) row_longest = strlen(row_labels[i]);
  double reach = 6.5 * (double)longest * 0.7071 + 13.0 * (double)lines_max;
  double left = fmax(110, 7.0 * (double)row_longest + 16), top = fmax(60, reach + 16), cw = ncols > 12 ? 48 : 64,
         ch = 30;
  double width = left + cw * (double)ncols + fmax(110, reach), height = top + ch * (double)nrows + 50;
  open_svg(h, id, width, height, title, desc);
  for (size_t j = 0; j < ncols; j++) column_label(h, left + cw * ((double)j + 0.5), top - 6, col_labels[j]);
  for (size_t i = 0; i < nrows; i++) {
    double y = top + ch * (double)i;
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">", left - 6, y + ch * 0.65);
    strata_html_text(h, row_labels[i]);
    strata_html_raw(h, "</text>\n");
    for (size_t j = 0; j < ncols; j++) {
      double v = values[i * ncols + j];
      char fill[8];
      strata_svg_diverging(v, limit, fill);
      double t = limit > 0 ? fabs(v) / limit : 0;
      strata_html_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                            "stroke=\"#fff\"><title>", left + cw * (double)j, y, cw, ch, fill);
      strata_html_text(h, row_labels[i]);
      strata_html_raw(h, ", ");
      strata_html_text(h, col_labels[j]);
      strata_html_textf(h, ": %+.2f", v);
      strata_html_printf(h, "</title></rect>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                            "text-anchor=\"middle\" style=\"fill:%s\">%+.2f</text>\n",
                         left + cw * ((double)j + 0.5), y + ch * 0.62, t > 0.6 ? "#fff" : "#1a1a1a", v);
    }
  }
  /* The legend: the scale's ends and middle. */
  double ly = top + ch * (double)nrows + 16;
  for (int s = 0; s <= 20; s++) {
    char fill[8];
    strata_svg_diverging(-limit + 2 * limit * s / 20.0, limit, fill);
    strata_html_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"12\" fill=\"%s\"/>\n",
                       left + 10.0 * s, ly, fill);
  }
  strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%+.1f</text>\n"
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">0</text>\n"
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%+.1f</text>\n",
                     left + 5, ly + 26, -limit, left + 105, ly + 26, left + 205, ly + 26, limit);
  close_svg(h, title);
}

/* Eight colours tell eight segments apart; beyond them the marker's shape
 * changes too (circle, square, triangle, diamond), so segment 0 and 8 never
 * look the same. */
static void marker(strata_html *h, double x, double y, double r, size_t g, const char *extra) {
  const char *fill = strata_svg_palette(g);
  switch ((g / 8) % 4) {
    case 0:
      strata_html_printf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"%s/>\n", x, y, r, fill, extra);
      break;
    case 1:
      strata_html_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>\n", x - r,
                         y - r, 2 * r, 2 * r, fill, extra);
      break;
    case 2:
      strata_html_printf(h, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s/>\n", x, y - 1.3 * r,
                         x + 1.2 * r, y + r, x - 1.2 * r, y + r, fill, extra);
      break;
    default:
      strata_html_printf(h, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s/>\n", x,
                         y - 1.4 * r, x + 1.4 * r, y, x, y + 1.4 * r, x - 1.4 * r, y, fill, extra);
  }
}

void strata_svg_scatter(strata_html *h, const char *id, const char *title, const char *desc,
                        const char *xlabel, const char *ylabel, const double *x, const double *y,
                        const int *group, size_t n, const char *const *group_labels, size_t ngroups,
                        const double *cx, const double *cy, const double *view) {
  frame f = {.x0 = 78, .y0 = 12, .w = 640, .h = 480};
  range_of(x, n, &f.xlo, &f.xhi);
  range_of(y, n, &f.ylo, &f.yhi);
  if (view && usable_view(view[0], view[1]) && usable_view(view[2], view[3]))
    f.xlo = view[0], f.xhi = view[1], f.ylo = view[2], f.yhi = view[3];
  double legend_x = f.x0 + f.w + 24, legend_w = 170;
  for (size_t g = 0; g < ngroups; g++) legend_w = fmax(legend_w, 7.0 * (double)strlen(group_labels[g]) + 30);
  open_svg(h, id, legend_x + legend_w, f.y0 + f.h + 44, title, desc);
  axes(h, &f, xlabel, ylabel, 0);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]) || !isfinite(y[i])) continue;
    if (x[i] < f.xlo || x[i] > f.xhi || y[i] < f.ylo || y[i] > f.yhi) continue;
    size_t g = group && group[i] >= 0 ? (size_t)group[i] : 0;
    marker(h, fx(&f, x[i]), fy(&f, y[i]), 2.2, g, " fill-opacity=\"0.6\"");
  }
  for (size_t g = 0; cx && cy && g < ngroups; g++) {
    double px = fx(&f, cx[g]), py = fy(&f, cy[g]);
    strata_html_raw(h, "<g><title>");
    strata_html_text(h, group_labels[g]);
    strata_html_textf(h, " centroid (%.3g, %.3g)", cx[g], cy[g]);
    strata_html_printf(h, "</title><path d=\"M%.1f %.1fh16M%.1f %.1fv16\" stroke=\"#fff\" stroke-width=\"6\"/>"
                          "<path d=\"M%.1f %.1fh16M%.1f %.1fv16\" stroke=\"%s\" stroke-width=\"3\"/></g>\n",
                       px - 8, py, px, py - 8, px - 8, py, px, py - 8, strata_svg_palette(g));
  }
  for (size_t g = 0; g < ngroups; g++) {
    double ly = f.y0 + 10 + 20.0 * (double)g;
    marker(h, legend_x + 6, ly + 6, 5, g, "");
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", legend_x + 18, ly + 10);
    strata_html_text(h, group_labels[g]);
    strata_html_raw(h, "</text>\n");
  }
  close_svg(h, title);
}
