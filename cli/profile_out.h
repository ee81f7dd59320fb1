/* `strata profile` output: the human table, Markdown and CSV renderings of
 * a strata_profile (the JSON one is cli_json_profile in json_out.h). */
#ifndef STRATA_CLI_PROFILE_OUT_H
#define STRATA_CLI_PROFILE_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "strata.h"

/* Where the profile came from, for the headings. */
typedef struct {
  const char *model, *data;
  const char *const *names; /* k segment names (--names), or NULL */
} cli_profile_source;

/* Aligned text tables within `width` columns (0 = no limit). */
void cli_profile_text(FILE *f, const strata_profile *p, const cli_profile_source *src, size_t width);
/* The same content as GitHub-flavoured Markdown. */
void cli_profile_markdown(FILE *f, const strata_profile *p, const cli_profile_source *src);
/* One RFC 4180 line per (segment, feature), the population first as segment
 * "all": segment,size,share,feature,column,category,count,mean,std,min,max,
 * median,z,top,description.  Numbers in the shortest form that reads back. */
/* With names (k, or NULL): a last column `name` (empty for "all"). */
void cli_profile_csv(FILE *f, const strata_profile *p, const char *const *names);

#endif
