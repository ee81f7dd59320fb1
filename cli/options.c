/* Parsing of option values: integers with ranges, sizes, lists, choices. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *const cli_scale_choices[] = {"zscore", "minmax", "none", "robust", NULL};
const char *const cli_transform_names[] = {"none", "log1p", "yeo-johnson", "clip", "age-days", NULL};
const char *const cli_missing_choices[] = {"error", "drop", "mean", "median", NULL};
const char *const cli_covariance_choices[] = {"full", "tied", "diag", "spherical", NULL};

const char *cli_scale_name(strata_scale s) {
  return (unsigned)s < 4 ? cli_scale_choices[s] : "?";
}
const char *cli_missing_name(strata_missing m) {
  return (unsigned)m < 4 ? cli_missing_choices[m] : "?";
}
const char *cli_init_name(strata_init i) {
  switch (i) {
    case STRATA_INIT_KMEANSPP: return "k-means++";
    case STRATA_INIT_RANDOM: return "random";
    case STRATA_INIT_GIVEN: return "file";
    case STRATA_INIT_KMEANS_PARALLEL: return "k-means||";
  }
  return "?";
}

static int is_blank(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return *s == '\0';
}

int cli_opt_int(const char *text, const char *what, long long min, long long max, long long *out,
                char *err, size_t errlen) {
  char *end = NULL;
  errno = 0;
  long long v = is_blank(text) ? 0 : strtoll(text, &end, 10);
  if (is_blank(text) || !end || *end != '\0' || isspace((unsigned char)text[0])) {
    snprintf(err, errlen, "%s: '%s' is not an integer", what, text);
    return 0;
  }
  if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
    snprintf(err, errlen, "%s must be at least %lld", what, min);
    return 0;
  }
  if (errno == ERANGE || v > max) {
    snprintf(err, errlen, "%s must be at most %lld", what, max);
    return 0;
  }
  *out = v;
  return 1;
}

int cli_opt_u64(const char *text, const char *what, uint64_t *out, char *err, size_t errlen) {
  if (!isdigit((unsigned char)text[0])) {
    snprintf(err, errlen, "%s: '%s' is not a non-negative integer", what, text);
    return 0;
  }
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (*end != '\0') {
    snprintf(err, errlen, "%s: '%s' is not a non-negative integer", what, text);
    return 0;
  }
  if (errno == ERANGE || v > UINT64_MAX) {
    snprintf(err, errlen, "%s: '%s' is too large (at most %llu)", what, text,
             (unsigned long long)UINT64_MAX);
    return 0;
  }
  *out = (uint64_t)v;
  return 1;
}

int cli_opt_double(const char *text, const char *what, double min, double *out, char *err,
                   size_t errlen) {
  char *end = NULL;
  errno = 0;
  double v = is_blank(text) ? 0.0 : strtod(text, &end);
  if (is_blank(text) || !end || *end != '\0' || isspace((unsigned char)text[0])) {
    snprintf(err, errlen, "%s: '%s' is not a number", what, text);
    return 0;
  }
  if (!isfinite(v) || errno == ERANGE) {
    snprintf(err, errlen, "%s: '%s' is not a finite number", what, text);
    return 0;
  }
  if (v < min) {
    snprintf(err, errlen, "%s must be at least %g", what, min);
    return 0;
  }
  *out = v;
  return 1;
}

int cli_opt_size(const char *text, const char *what, uint64_t *out, char *err, size_t errlen) {
  const char *p = text;
  if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) goto bad;
  char *end = NULL;
  errno = 0;
  double v = strtod(p, &end);
  if (errno == ERANGE || !isfinite(v) || v < 0.0) goto bad;
  p = end;
  double mult = 1.0;
  switch (toupper((unsigned char)*p)) {
    case 'K': mult = 1024.0; p++; break;
    case 'M': mult = 1024.0 * 1024.0; p++; break;
    case 'G': mult = 1024.0 * 1024.0 * 1024.0; p++; break;
    case 'T': mult = 1024.0 * 1024.0 * 1024.0 * 1024.0; p++; break;
    default: break;
  }
  if (mult > 1.0 && toupper((unsigned char)*p) == 'I') {
    p++;
    if (toupper((unsigned char)*p) != 'B') goto bad;
  }
  if (toupper((unsigned char)*p) == 'B') p++;
  if (*p != '\0') goto bad;
  double bytes = v * mult;
  if (bytes >= 18446744073709551616.0) { /* 2^64 */
    snprintf(err, errlen, "%s: '%s' is too large", what, text);
    return 0;
  }
  *out = (uint64_t)bytes;
  return 1;
bad:
  snprintf(err, errlen, "%s: '%s' is not a size (examples: 4096, 512M, 8G)", what, text);
  return 0;
}

int cli_opt_choice(const char *text, const char *what, const char *const *choices, int *index,
                   char *err, size_t errlen) {
  for (int i = 0; choices[i]; i++)
    if (strcmp(text, choices[i]) == 0) {
      *index = i;
      return 1;
    }
  /* Name the accepted values in the message. */
  size_t used = (size_t)snprintf(err, errlen, "%s: '%s' is not one of ", what, text);
  for (int i = 0; choices[i] && used < errlen; i++)
    used += (size_t)snprintf(err + used, errlen - used, "%s%s", i ? "|" : "", choices[i]);
  return 0;
}

int cli_opt_list(const char *text, const char *what, char ***items, size_t *n, char *err,
                 size_t errlen) {
  size_t cap = 1;
  for (const char *s = text; *s; s++) cap += *s == ',';
  char **v = cli_xcalloc(cap + 1, sizeof *v);
  size_t count = 0;
  const char *s = text;
  for (;;) {
    const char *comma = strchr(s, ',');
    const char *e = comma ? comma : s + strlen(s);
    const char *b = s;
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (b == e) {
      snprintf(err, errlen, "%s: empty name at position %zu in '%s'", what, count + 1, text);
      goto fail;
    }
    char *name = cli_xmalloc((size_t)(e - b) + 1);
    memcpy(name, b, (size_t)(e - b));
    name[e - b] = '\0';
    for (size_t i = 0; i < count; i++)
      if (strcmp(v[i], name) == 0) {
        snprintf(err, errlen, "%s: '%s' is listed twice", what, name);
        free(name);
        goto fail;
      }
    v[count++] = name;
    if (!comma) break;
    s = comma + 1;
  }
  *items = v;
  *n = count;
  return 1;
fail:
  cli_opt_list_free(v);
  return 0;
}

void cli_opt_list_free(char **items) {
  if (!items) return;
  for (char **p = items; *p; p++) free(*p);
  free(items);
}

int cli_opt_init(const char *text, strata_init *init, const char **file, char *err, size_t errlen) {
  *file = NULL;
  if (strcmp(text, "k-means++") == 0 || strcmp(text, "kmeans++") == 0) {
    *init = STRATA_INIT_KMEANSPP;
  } else if (strcmp(text, "k-means||") == 0 || strcmp(text, "kmeans||") == 0) {
    *init = STRATA_INIT_KMEANS_PARALLEL;
  } else if (strcmp(text, "random") == 0) {
    *init = STRATA_INIT_RANDOM;
  } else if (*text == '\0') {
    snprintf(err, errlen, "--init: expected k-means++, k-means||, random or a CSV file of centroids");
    return 0;
  } else {
    *init = STRATA_INIT_GIVEN;
    *file = text;
  }
  return 1;
}
