/* Parsing of option values shared by the subcommands.  Each parser returns
 * 1 on success and 0 on failure, with a one-line message in err that names
 * the option (`what`) and the offending text. */
#ifndef STRATA_CLI_OPTIONS_H
#define STRATA_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* Integer in [min, max].  Below min: "<what> must be at least <min>". */
int cli_opt_int(const char *text, const char *what, long long min, long long max, long long *out,
                char *err, size_t errlen);

/* Unsigned 64-bit integer (no sign, no suffix). */
int cli_opt_u64(const char *text, const char *what, uint64_t *out, char *err, size_t errlen);

/* Finite number >= min. */
int cli_opt_double(const char *text, const char *what, double min, double *out, char *err,
                   size_t errlen);

/* A byte size: a number with an optional binary suffix K, M, G, T (an
 * optional trailing "B" or "iB" is accepted, case does not matter):
 * "8G" = 8·2^30, "512M", "1.5G", "4096". */
int cli_opt_size(const char *text, const char *what, uint64_t *out, char *err, size_t errlen);

/* One of `choices` (NULL-terminated); *index receives its position. */
int cli_opt_choice(const char *text, const char *what, const char *const *choices, int *index,
                   char *err, size_t errlen);

/* A comma-separated list of names ("age,income"): surrounding blanks are
 * trimmed; empty names and repeated names are errors.  *items is a
 * NULL-terminated array of *n strings; free with cli_opt_list_free. */
int cli_opt_list(const char *text, const char *what, char ***items, size_t *n, char *err,
                 size_t errlen);
void cli_opt_list_free(char **items);

/* --init: "k-means++" (or "kmeans++"), "random", or a CSV file of
 * centroids.  *file is set to text for a file, NULL otherwise. */
int cli_opt_init(const char *text, strata_init *init, const char **file, char *err, size_t errlen);

/* Names of the enum values, as the options spell them. */
const char *cli_scale_name(strata_scale s);
const char *cli_missing_name(strata_missing m);
const char *cli_init_name(strata_init i);

extern const char *const cli_scale_choices[];   /* indexed by strata_scale */
extern const char *const cli_covariance_choices[]; /* indexed by strata_covariance */
extern const char *const cli_missing_choices[]; /* indexed by strata_missing */

#endif
