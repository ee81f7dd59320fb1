/* `strata explain` rendering: rules as text (explain_out.h). */
#include "explain_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void cli_explain_number(double v, char *buf, size_t cap) {
  char raw[64];
  /* Thresholds are round decimals (strata_explain picks the roundest
   * number between two data values): 15 digits give them back exactly. */
  snprintf(raw, sizeof raw, "%.15g", v);
  const char *p = raw;
  size_t o = 0;
  if (*p == '-') buf[o++] = *p++;
  size_t digits = strspn(p, "0123456789");
  int plain = strchr(raw, 'e') == NULL;
  for (size_t i = 0; i < digits && o + 2 < cap; i++) {
    buf[o++] = p[i];
    size_t left = digits - i - 1;
    if (plain && left > 0 && left % 3 == 0) buf[o++] = ',';
  }
  snprintf(buf + o, cap > o ? cap - o : 0, "%s", p + digits);
}

/* Appends to buf at *o, truncating at cap. */
static void put(char *buf, size_t cap, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (*o + n >= cap) n = cap > *o + 1 ? cap - *o - 1 : 0;
  memcpy(buf + *o, s, n);
  *o += n;
  buf[*o] = '\0';
}

static void put_name(char *buf, size_t cap, size_t *o, const char *s, size_t len, int html) {
  for (size_t i = 0; i < len; i++) {
    char c[2] = {s[i], '\0'};
    const char *e = c;
    if (html && s[i] == '<') e = "&lt;";
    else if (html && s[i] == '>') e = "&gt;";
    else if (html && s[i] == '&') e = "&amp;";
    else if (html && s[i] == '"') e = "&quot;";
    put(buf, cap, o, e);
  }
}

/* The terms of rule r on the one-hot columns of categorical column g as one
 * condition: "region is South" when the rule asks for a category (the
 * others it excludes follow from it), else "region is not North or East". */
static void put_category(const strata_explanation *e, const strata_explain_rule *r, int g, int html, char *buf,
                         size_t cap, size_t *o) {
  const char *first = NULL;
  int positive = -1, negatives = 0;
  for (int i = 0; i < r->nterms; i++) {
    const strata_explain_term *t = &r->terms[i];
    if (e->feature_group[t->feature] != g) continue;
    if (!first) first = e->features[t->feature];
    if (isfinite(t->lo) && t->lo >= 0) positive = t->feature;
    else negatives++;
  }
  const char *eq = strchr(first, '=');
  put_name(buf, cap, o, first, (size_t)(eq - first), html);
  if (positive >= 0) {
    const char *name = e->features[positive];
    put(buf, cap, o, " is ");
    put_name(buf, cap, o, strchr(name, '=') + 1, strlen(strchr(name, '=') + 1), html);
    return;
  }
  put(buf, cap, o, " is not ");
  int done = 0;
  for (int i = 0; i < r->nterms; i++) {
    const char *name = e->features[r->terms[i].feature];
    if (e->feature_group[r->terms[i].feature] != g) continue;
    if (done++) put(buf, cap, o, done == negatives ? " or " : ", ");
    put_name(buf, cap, o, strchr(name, '=') + 1, strlen(strchr(name, '=') + 1), html);
  }
}

/* 1 when a term before index i is on a one-hot column of group g. */
static int group_seen(const strata_explanation *e, const strata_explain_rule *r, int i, int g) {
  for (int h = 0; h < i; h++)
    if (e->feature_group[r->terms[h].feature] == g) return 1;
  return 0;
}

char *cli_explain_rule_text(const strata_explanation *e, const strata_explain_rule *r, int html, char *buf,
                            size_t cap) {
  size_t o = 0;
  buf[0] = '\0';
  const char *le = html ? " &le; " : " <= ";
  const char *lt = html ? " &lt; " : " < ";
  const char *gt = html ? " &gt; " : " > ";
  if (r->nterms == 0) put(buf, cap, &o, "every customer");
  int n = 0;
  for (int i = 0; i < r->nterms; i++) {
    const strata_explain_term *t = &r->terms[i];
    const char *name = e->features[t->feature];
    int g = e->feature_group[t->feature];
    int onehot = g >= 0 && strchr(name, '=');
    if (onehot && group_seen(e, r, i, g)) continue;
    if (n++) put(buf, cap, &o, " and ");
    if (onehot) {
      /* 0 or 1: a cut below 1 asks whether it is this category. */
      put_category(e, r, g, html, buf, cap, &o);
      continue;
    }
    char lo[64], hi[64];
    cli_explain_number(t->lo, lo, sizeof lo);
    cli_explain_number(t->hi, hi, sizeof hi);
    if (isfinite(t->lo) && isfinite(t->hi)) {
      put(buf, cap, &o, lo);
      put(buf, cap, &o, lt);
      put_name(buf, cap, &o, name, strlen(name), html);
      put(buf, cap, &o, le);
      put(buf, cap, &o, hi);
    } else {
      put_name(buf, cap, &o, name, strlen(name), html);
      put(buf, cap, &o, isfinite(t->hi) ? le : gt);
      put(buf, cap, &o, isfinite(t->hi) ? hi : lo);
    }
  }
  return buf;
}

void cli_explain_text(FILE *f, const strata_explanation *e, const char *model, const char *data,
                      const char *const *names) {
  fprintf(f, "Segments of %s in %s as rules (a tree of depth %d on %" PRIu64 " rows", model, data, e->depth,
          e->rows);
  if (e->rows_skipped) fprintf(f, "; %" PRIu64 " rows without a segment or a value left out", e->rows_skipped);
  fprintf(f, ")\n");
  if (e->labels) fprintf(f, "Segments from %s.\n", e->labels);
  fprintf(f, "Fidelity: the rules place %.1f%% of the customers in their own segment.\n\n", 100.0 * e->fidelity);
  char text[2048];
  for (int c = 0; c < e->k; c++) {
    if (names && names[c]) fprintf(f, "segment %d, %s", c, names[c]);
    else fprintf(f, "segment %d", c);
    fprintf(f, " (%" PRIu64 " rows", e->segment_rows[c]);
    if (e->segment_rows[c]) fprintf(f, "; the rules place %.1f%% of them here", 100.0 * e->segment_fidelity[c]);
    fprintf(f, ")\n");
    int any = 0;
    for (int i = 0; i < e->nrules; i++) {
      const strata_explain_rule *r = &e->rules[i];
      if (r->segment != c) continue;
      any = 1;
      fprintf(f, "  %s -> segment %d\n", cli_explain_rule_text(e, r, 0, text, sizeof text), c);
      fprintf(f, "      %" PRIu64 " rows, %.1f%% of them in segment %d\n", r->rows,
              r->rows ? 100.0 * (double)r->correct / (double)r->rows : 0.0, c);
    }
    if (!any) fprintf(f, "  no rule: at depth %d the tree places no customer here\n", e->depth);
  }
}
