/* Sorting float32 values by radix (LSD, a byte per pass): the profile sorts
 * every (segment, feature) column of every block for its quantile sketches,
 * and a comparison sort was most of its time. */
#ifndef STRATA_RADIX_SORT_H
#define STRATA_RADIX_SORT_H

#include <stddef.h>

/* Sorts n finite values ascending in place (-0 and +0 compare as their bit
 * patterns: -0 first; callers that care store +0).  tmp: n floats. */
void strata_radix_sort_floats(float *v, size_t n, float *tmp);

#endif
