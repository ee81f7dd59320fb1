/* Byte buffers (bytes.h). */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

void strata_wbuf_put(strata_wbuf *b, const void *v, size_t n) {
  if (b->failed) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, v, n);
  b->n += n;
}

int strata_rbuf_get(strata_rbuf *b, void *v, size_t n) {
  if (b->bad || n > b->n - b->at) {
    b->bad = 1;
    memset(v, 0, n);
    return 0;
  }
  memcpy(v, b->p + b->at, n);
  b->at += n;
  return 1;
}
