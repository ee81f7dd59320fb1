/* Segment names for the report, profile and export: from a CSV file of
 * segment,name (`--names FILE`), else personas made of the profile's words
 * ("Older, high income, buys rarely"). */
#ifndef STRATA_CLI_SEGMENT_NAMES_H
#define STRATA_CLI_SEGMENT_NAMES_H

#include <stddef.h>

#include "strata.h"

/* Reads path: one line per segment, "segment,name" (a first line whose
 * segment is not a number is a header; a name may be in double quotes;
 * blank lines are skipped).  Segments are 0..k-1, each at most once; one
 * the file leaves out keeps fallback[s] (or "Segment s" when fallback is
 * NULL).  *names: k strings, free with cli_segment_names_free.  Returns 1,
 * or 0 with a one-line message in err. */
int cli_segment_names_load(const char *path, int k, const char *const *fallback, char ***names, char *err,
                           size_t errlen);

/* The same without a model (export): segments 0..max named in the file;
 * *k = max + 1; an unnamed one is "". */
int cli_segment_names_load_any(const char *path, char ***names, int *k, char *err, size_t errlen);

/* Personas from the profile: each segment's description with a capital
 * first letter. */
char **cli_segment_names_from_profile(const strata_profile *p);

void cli_segment_names_free(char **names, int k);

#endif
