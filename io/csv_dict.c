/* String dictionary (io/csv_dict.h): linear probing over a power-of-two
 * table kept at most 3/4 full (probes mostly stay in one cache line).  A slot holds the code and 32 bits of its
 * hash, so a probe of a large table (an id-like column with millions of
 * distinct strings) costs one cache miss, and mismatches are rejected
 * before any string is touched. */
#include "csv_dict.h"

#include <stdlib.h>
#include <string.h>

#include "csv_text.h"

void csv_dict_init(csv_dict *d) { memset(d, 0, sizeof *d); }

void csv_dict_free(csv_dict *d) {
  free(d->arena);
  free(d->offset);
  free(d->slot);
  memset(d, 0, sizeof *d);
}

static int rebuild(csv_dict *d, size_t nslots) {
  uint64_t *slot = calloc(nslots, sizeof *slot);
  if (!slot) return -1;
  size_t mask = nslots - 1;
  for (size_t i = 0; i < d->nslots; i++) {
    uint64_t v = d->slot[i];
    if (!v) continue;
    size_t k = (size_t)(v >> 32) & mask;
    while (slot[k]) k = (k + 1) & mask;
    slot[k] = v;
  }
  free(d->slot);
  d->slot = slot;
  d->nslots = nslots;
  return 0;
}

static int reserve(csv_dict *d, size_t bytes) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 256;
    uint64_t *off = realloc(d->offset, cap * sizeof *off);
    if (!off) return -1;
    d->offset = off;
    d->cap = cap;
  }
  if (d->arena_cap - d->arena_len < bytes) {
    size_t cap = d->arena_cap ? d->arena_cap : 4096;
    while (cap - d->arena_len < bytes) cap *= 2;
    char *a = realloc(d->arena, cap);
    if (!a) return -1;
    d->arena = a;
    d->arena_cap = cap;
  }
  if (4 * (d->n + 1) > 3 * d->nslots && rebuild(d, d->nslots ? 2 * d->nslots : 1024) != 0) return -1;
  return 0;
}

int64_t csv_dict_intern(csv_dict *d, const char *s, size_t n) {
  const uint64_t h = csv_hash(s, n) >> 32;
  if (d->nslots) {
    size_t mask = d->nslots - 1;
    for (size_t i = h & mask; d->slot[i]; i = (i + 1) & mask) {
      uint64_t v = d->slot[i];
      if ((v >> 32) != h) continue;
      size_t c = (size_t)(v & 0xFFFFFFFFu) - 1;
      size_t end = c + 1 < d->n ? d->offset[c + 1] : d->arena_len;
      if (end - d->offset[c] - 1 == n && memcmp(d->arena + d->offset[c], s, n) == 0) return (int64_t)c;
    }
  }
  if (d->n >= CSV_DICT_MAX) return -2;
  if (reserve(d, n + 1) != 0) return -1;
  size_t c = d->n++;
  d->offset[c] = d->arena_len;
  if (n) memcpy(d->arena + d->arena_len, s, n);
  d->arena[d->arena_len + n] = '\0';
  d->arena_len += n + 1;
  size_t mask = d->nslots - 1, i = h & mask;
  while (d->slot[i]) i = (i + 1) & mask;
  d->slot[i] = (h << 32) | (uint64_t)(c + 1);
  return (int64_t)c;
}
