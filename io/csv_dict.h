/* The dictionary of a categorical column: each distinct string once, its
 * code the order of first appearance (0, 1, ...).  Strings live in one
 * growing arena, NUL-terminated; an open-addressing table of codes finds
 * them.  Memory is the distinct strings plus 24-40 bytes each, whatever
 * the number of rows. */
#ifndef STRATA_IO_CSV_DICT_H
#define STRATA_IO_CSV_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *arena;
  size_t arena_len, arena_cap;
  uint64_t *offset; /* code -> arena offset */
  size_t n, cap;
  uint64_t *slot;   /* (hash high 32 bits << 32) | (code + 1); 0 = empty; nslots a power of two */
  size_t nslots;
} csv_dict;

/* Largest dictionary: codes are int32 and -1 is the missing code. */
#define CSV_DICT_MAX ((size_t)INT32_MAX)

void csv_dict_init(csv_dict *d);
void csv_dict_free(csv_dict *d);

/* The code of s[0..n) (no NUL inside), adding it when new.  Returns the
 * code, -1 when out of memory, -2 when the dictionary is full. */
int64_t csv_dict_intern(csv_dict *d, const char *s, size_t n);

/* The string of a code (NUL-terminated), valid until the next intern. */
static inline const char *csv_dict_string(const csv_dict *d, size_t code) { return d->arena + d->offset[code]; }

#endif
