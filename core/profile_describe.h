/* The words of a segment profile: which features set a segment apart and a
 * one-line plain-language description built from them. */
#ifndef STRATA_PROFILE_DESCRIBE_H
#define STRATA_PROFILE_DESCRIBE_H

#include <stddef.h>

#include "strata.h"

/* |z| from which a feature counts as setting a segment apart, and as "very". */
#define STRATA_PROFILE_NOTABLE_Z 0.5
#define STRATA_PROFILE_VERY_Z 1.0
/* Below this |z| a feature is never listed among the top features. */
#define STRATA_PROFILE_TOP_MIN_Z 0.1

/* Up to 3 feature indices of largest |z| (ties: lower index) with
 * |z| >= STRATA_PROFILE_TOP_MIN_Z, into top; returns how many. */
int strata_profile_top(const strata_feature_profile *f, size_t d, int top[3]);

/* The description of one segment from its top features: a comma-separated
 * list of phrases for those with |z| >= STRATA_PROFILE_NOTABLE_Z, or "close
 * to the average customer".  names: d feature names; group: d (-1 numeric,
 * else one-hot of a categorical column, name "column=category").  Returns a
 * malloc'ed string (NULL when out of memory). */
char *strata_profile_describe(const strata_feature_profile *f, const char *const *names,
                              const int *group, const int *top, int ntop);

/* The phrase for one feature at standardised difference z (> 0 above the
 * population), e.g. "older", "high income", "mostly North", into buf.
 * share: the feature's mean (a one-hot column's share).  used (may be
 * NULL): bit set of the customer concepts already phrased in this
 * description; a concept is phrased once, a repeat gets "high <name>". */
void strata_profile_phrase(const char *name, int onehot, double z, double share, unsigned *used,
                           char *buf, size_t size);

#endif
