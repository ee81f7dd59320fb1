/* `strata explain` output: a rule as one line of text (shared by the text
 * rendering, the JSON and the HTML report) and the text rendering (the JSON
 * one is cli_json_explain in json_out.h). */
#ifndef STRATA_CLI_EXPLAIN_OUT_H
#define STRATA_CLI_EXPLAIN_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "strata.h"

/* A threshold as an analyst reads it: the shortest decimal form, thousands
 * separated ("1,200", "0.35", "-12.5"). */
void cli_explain_number(double v, char *buf, size_t cap);

/* Rule r's conditions joined by " and " ("spend > 1,200 and visits <= 3";
 * a one-hot column reads "region is north" / "region is not north"; a
 * range "100 < spend <= 500"); "every customer" for a rule without one.
 * html: "≤" and HTML-escaped names.  Returns buf. */
char *cli_explain_rule_text(const strata_explanation *e, const strata_explain_rule *r, int html, char *buf,
                            size_t cap);

/* Per segment: its rows, the share the rules place in it and its rules,
 * each with the rows it covers and how many of them are in the segment;
 * the overall fidelity first.  names: k segment names or NULL. */
void cli_explain_text(FILE *f, const strata_explanation *e, const char *model, const char *data,
                      const char *const *names);

#endif
