/* The report's method section: what a method chose on its own, drawn —
 * Ward's dendrogram (its top levels, each cluster labelled with its size
 * and segment) and DBSCAN's k-distance curve with the eps that --eps auto
 * read from it (cli_report_method, declared in report_sections.h). */
#include "report_sections.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cli.h"
#include "svg_chart.h"

/* The drawn dendrogram ends in 2k clusters, at least DENDRO_LEAVES and at
 * most DENDRO_MAX_LEAVES (past that a page cannot show them apart; the cut
 * of a larger k then lies below the drawing and is not drawn). */
#define DENDRO_LEAVES 16
#define DENDRO_MAX_LEAVES 64

/* ---- Ward: the dendrogram's top levels ----
 *
 * The merges form a tree over m leaves (rows, or two-step's micro-clusters:
 * node i < m is leaf i, node m + j is merge j).  The drawing keeps the last
 * T merges, so it ends in T + 1 clusters drawn as leaves on the baseline
 * and labelled with their sizes; every merge is drawn at its height, with
 * the cut (into k, or at the distance threshold) as a dashed line.  A
 * drawn leaf lies inside one segment, named as the model numbers them:
 * the clusters of the cut in the order of their lowest leaf. */

typedef struct {
  const strata_model_info *in;
  size_t m;          /* leaves */
  size_t first;      /* the first merge drawn */
  double *size;      /* 2m-1: rows under each node */
  size_t *parent;    /* 2m-1: the merge node above, SIZE_MAX for the root */
  size_t *low;       /* 2m-1: the lowest leaf under each node */
  int *segment;      /* 2m-1: the segment of a node at or below the cut, else -1 */
  double *x;         /* 2m-1: horizontal place of drawn nodes */
  size_t nleaves;    /* drawn */
} dendro;

static size_t left_of(const dendro *t, size_t node) { return (size_t)t->in->merges[4 * (node - t->m)]; }
static size_t right_of(const dendro *t, size_t node) { return (size_t)t->in->merges[4 * (node - t->m) + 1]; }
static int drawn_merge(const dendro *t, size_t node) { return node >= t->m + t->first; }

/* Leaves in the order of a depth-first walk, left first: x = 0, 1, ...;
 * a merge in the middle of its two children. */
static void place(dendro *t, size_t root) {
  size_t *stack = cli_xcalloc(2 * t->m, sizeof *stack), top = 0;
  stack[top++] = root;
  while (top) {
    size_t v = stack[--top];
    if (!drawn_merge(t, v)) {
      t->x[v] = (double)t->nleaves++;
      continue;
    }
    stack[top++] = right_of(t, v);
    stack[top++] = left_of(t, v);
  }
  /* Merges in order: both children of merge j come before it. */
  for (size_t j = t->first; j + 1 < t->m; j++) {
    size_t v = t->m + j;
    t->x[v] = 0.5 * (t->x[left_of(t, v)] + t->x[right_of(t, v)]);
  }
  free(stack);
}

/* Sizes, lowest leaves, parents and the cut's segments of every node. */
static void build(dendro *t, size_t applied) {
  const strata_model_info *in = t->in;
  size_t m = t->m, nodes = 2 * m - 1;
  for (size_t i = 0; i < nodes; i++) t->parent[i] = SIZE_MAX, t->segment[i] = -1;
  for (size_t i = 0; i < m; i++) {
    t->size[i] = in->micro_sizes ? (double)in->micro_sizes[i] : 1.0;
    t->low[i] = i;
  }
  for (size_t j = 0; j + 1 < m; j++) {
    size_t v = m + j, a = left_of(t, v), b = right_of(t, v);
    t->size[v] = in->merges[4 * j + 3];
    t->low[v] = t->low[a] < t->low[b] ? t->low[a] : t->low[b];
    t->parent[a] = t->parent[b] = v;
  }
  /* The cut's clusters: nodes made by an applied merge (or leaves) whose
   * parent merge is not applied; numbered by their lowest leaf. */
  size_t *roots = cli_xcalloc(nodes, sizeof *roots), nr = 0;
  for (size_t v = 0; v < nodes; v++) {
    int made = v < m || v - m < applied;
    int above = t->parent[v] != SIZE_MAX && t->parent[v] - m < applied;
    if (made && !above) roots[nr++] = v;
  }
  for (size_t i = 0; i < nr; i++) {
    int rank = 0;
    for (size_t j = 0; j < nr; j++) rank += t->low[roots[j]] < t->low[roots[i]];
    t->segment[roots[i]] = rank;
  }
  /* Below a cut cluster, its segment (merges come after their children). */
  for (size_t v = nodes; v-- > 0;)
    if (t->segment[v] < 0 && t->parent[v] != SIZE_MAX && t->segment[t->parent[v]] >= 0 &&
        t->parent[v] - m < applied)
      t->segment[v] = t->segment[t->parent[v]];
  free(roots);
}

static void section_dendrogram(strata_html *h, const cli_report *r) {
  const strata_model_info *in = r->info;
  size_t m = (size_t)in->n_merges + 1, k = (size_t)in->k;
  if (m < 2) return;
  size_t want = 2 * k > DENDRO_LEAVES ? 2 * k : DENDRO_LEAVES;
  if (want > DENDRO_MAX_LEAVES) want = DENDRO_MAX_LEAVES;
  size_t leaves = want < m ? want : m, nodes = 2 * m - 1;
  dendro t = {.in = in, .m = m, .first = m - leaves};
  t.size = cli_xcalloc(nodes, sizeof *t.size);
  t.parent = cli_xcalloc(nodes, sizeof *t.parent);
  t.low = cli_xcalloc(nodes, sizeof *t.low);
  t.segment = cli_xcalloc(nodes, sizeof *t.segment);
  t.x = cli_xcalloc(nodes, sizeof *t.x);
  size_t applied = k < m ? m - k : 0;
  build(&t, applied);
  place(&t, nodes - 1);
  const double *z = in->merges;
  double top = z[4 * (m - 2) + 2] > 0 ? z[4 * (m - 2) + 2] : 1.0;
  double x0 = 70, y0 = 16, w = 40.0 * (double)t.nleaves < 560 ? 560 : 40.0 * (double)t.nleaves, hh = 260;
#define PX(v) (x0 + w * ((v) + 0.5) / (double)t.nleaves)
#define PY(v) (y0 + hh * (1.0 - (v) / top))
  /* The cut is drawn where it falls inside the drawing. */
  int cut_drawn = applied >= t.first;
  double cut = in->distance_threshold > 0 ? in->distance_threshold
               : applied == 0              ? 0.0
               : applied + 1 < m           ? 0.5 * (z[4 * (applied - 1) + 2] + z[4 * applied + 2])
                                           : z[4 * (applied - 1) + 2];
  strata_html_raw(h, "<section aria-labelledby=\"dendrogram\">\n<h2 id=\"dendrogram\">Dendrogram</h2>\n<p>");
  if (in->micro_sizes)
    strata_html_textf(h, "Two-step Ward: the rows were streamed into %d micro-clusters (k-means), and Ward's "
                         "linkage joined those, weighted by their sizes. ", in->n_micro);
  strata_html_textf(h, "The last %zu of the %zu merges (height = Ward's merge distance, scipy's convention, in "
                       "scaled units); each cluster at the bottom shows its rows and its segment.", leaves - 1, m - 1);
  if (cut_drawn) strata_html_textf(h, " The dashed line is the cut into %zu segments.", k);
  else strata_html_textf(h, " The cut into %zu segments lies below the merges drawn.", k);
  strata_html_raw(h, "</p>\n<figure>\n");
  strata_html_printf(h, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                        "aria-labelledby=\"chart-dendro-t chart-dendro-d\">\n<title id=\"chart-dendro-t\">",
                     x0 + w + 20, y0 + hh + 70, x0 + w + 20, y0 + hh + 70);
  strata_html_text(h, "Top of the Ward dendrogram");
  strata_html_raw(h, "</title>\n<desc id=\"chart-dendro-d\">");
  strata_html_textf(h, "Tree of the last %zu merges; leaves labelled with their size in rows and segment.",
                    leaves - 1);
  strata_html_raw(h, "</desc>\n");
  /* axis: heights */
  strata_html_printf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", x0 - 8, y0,
                     x0 - 8, y0 + hh);
  for (int i = 0; i <= 4; i++) {
    double v = top * i / 4.0;
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n",
                       x0 - 12, PY(v) + 4, v);
  }
  for (size_t j = t.first; j + 1 < m; j++) {
    size_t v = m + j, a = left_of(&t, v), b = right_of(&t, v);
    double hv = z[4 * j + 2];
    double ha = drawn_merge(&t, a) ? z[4 * (a - m) + 2] : 0.0, hb = drawn_merge(&t, b) ? z[4 * (b - m) + 2] : 0.0;
    strata_html_printf(h, "<path d=\"M%.1f %.1fV%.1fH%.1fV%.1f\" fill=\"none\" stroke=\"#0072B2\" "
                          "stroke-width=\"1.5\"><title>",
                       PX(t.x[a]), PY(ha), PY(hv), PX(t.x[b]), PY(hb));
    strata_html_textf(h, "merge of %.0f rows at height %.6g", t.size[v], hv);
    strata_html_raw(h, "</title></path>\n");
  }
  for (size_t v = 0; v < nodes; v++) {
    if (drawn_merge(&t, v) || t.parent[v] == SIZE_MAX || !drawn_merge(&t, t.parent[v])) continue;
    double px = PX(t.x[v]);
    const char *colour = t.segment[v] >= 0 ? strata_svg_palette((size_t)t.segment[v]) : "#888";
    strata_html_printf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>", px, PY(0.0), colour);
    if (t.segment[v] >= 0) strata_html_textf(h, "Segment %d: ", t.segment[v]);
    strata_html_textf(h, "%.0f rows", t.size[v]);
    strata_html_printf(h, "</title></circle>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
                          "transform=\"rotate(-45 %.1f %.1f)\">",
                       px, PY(0.0) + 16, px, PY(0.0) + 16);
    if (t.segment[v] >= 0) strata_html_textf(h, "S%d · ", t.segment[v]);
    strata_html_textf(h, "%.0f", t.size[v]);
    strata_html_raw(h, "</text>\n");
  }
  if (cut_drawn && cut > 0)
    strata_html_printf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#D55E00\" "
                          "stroke-dasharray=\"6 4\"><title>cut at height %.6g</title></line>\n",
                       x0, PY(cut), x0 + w, PY(cut), cut);
#undef PX
#undef PY
  strata_html_raw(h, "</svg>\n<figcaption>");
  strata_html_text(h, "Top of the Ward dendrogram, leaves labelled with segment and rows");
  strata_html_raw(h, "</figcaption>\n</figure>\n</section>\n");
  free(t.size); free(t.parent); free(t.low); free(t.segment); free(t.x);
}

/* ---- DBSCAN: the k-distance curve behind --eps auto ---- */

static void section_kdist(strata_html *h, const cli_report *r) {
  const strata_model_info *in = r->info;
  size_t n = (size_t)in->n_kdist;
  if (n < 2) return;
  const double *v = in->kdist;
  double top = v[n - 1] > in->eps ? v[n - 1] : in->eps;
  if (!(top > 0)) top = 1.0;
  double x0 = 70, y0 = 16, w = 480, hh = 220;
#define PX(i) (x0 + w * (double)(i) / (double)(n - 1))
#define PY(y) (y0 + hh * (1.0 - (y) / top))
  strata_html_raw(h, "<section aria-labelledby=\"kdist\">\n<h2 id=\"kdist\">Choosing eps</h2>\n<p>");
  strata_html_textf(h, "eps = %.6g (scaled units) is the knee of the %d-distance curve: each of %llu sampled rows' "
                       "distance to its %d-th nearest row (itself included), sorted. Rows left of the knee are "
                       "core points; the knee is the point farthest below the chord from the first to the last.",
                    in->eps, in->min_samples, (unsigned long long)in->kdist_sample, in->min_samples);
  strata_html_raw(h, "</p>\n<figure>\n");
  strata_html_printf(h, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                        "aria-labelledby=\"chart-kdist-t chart-kdist-d\">\n<title id=\"chart-kdist-t\">",
                     x0 + w + 20, y0 + hh + 40, x0 + w + 20, y0 + hh + 40);
  strata_html_text(h, "Sorted k-distances and the chosen eps");
  strata_html_raw(h, "</title>\n<desc id=\"chart-kdist-d\">");
  strata_html_textf(h, "Line of %zu points of the sorted k-distance curve; a dashed line at eps %.6g.", n, in->eps);
  strata_html_raw(h, "</desc>\n");
  for (int i = 0; i <= 4; i++) {
    double y = top * i / 4.0;
    strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n",
                       x0 - 6, PY(y) + 4, y);
  }
  strata_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">",
                     x0 + w / 2, y0 + hh + 30);
  strata_html_text(h, "sampled rows, by k-distance");
  strata_html_raw(h, "</text>\n<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"");
  for (size_t i = 0; i < n; i++) strata_html_printf(h, "%.1f,%.1f ", PX(i), PY(v[i]));
  strata_html_raw(h, "\"/>\n");
  strata_html_printf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#D55E00\" "
                        "stroke-dasharray=\"6 4\"><title>eps %.6g</title></line>\n",
                     x0, PY(in->eps), x0 + w, PY(in->eps), in->eps);
#undef PX
#undef PY
  strata_html_raw(h, "</svg>\n<figcaption>");
  strata_html_text(h, "The k-distance curve (k = min_samples) and eps at its knee");
  strata_html_raw(h, "</figcaption>\n</figure>\n</section>\n");
}

void cli_report_method(strata_html *h, const cli_report *r) {
  if (r->info->merges) section_dendrogram(h, r);
  if (r->info->kdist) section_kdist(h, r);
}
