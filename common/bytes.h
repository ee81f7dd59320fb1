/* Byte buffers for strata's own binary messages (the checkpoint file,
 * the quantile sketches sent between MPI ranks): a growable writer that
 * remembers a failed allocation, and a bounded reader that remembers a
 * read past its end (then returns zeros), so that encoders and decoders
 * check once at the end instead of after every field.  Native byte order:
 * the bytes stay on the machine (or the cluster) that wrote them. */
#ifndef STRATA_BYTES_H
#define STRATA_BYTES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  unsigned char *p; /* malloc'd */
  size_t n, cap;
  int failed;       /* an allocation failed: p holds what came before */
} strata_wbuf;

typedef struct {
  const unsigned char *p;
  size_t n, at;
  int bad;          /* a read went past n */
} strata_rbuf;

void strata_wbuf_put(strata_wbuf *b, const void *v, size_t n);
static inline void strata_wbuf_put_u32(strata_wbuf *b, uint32_t v) { strata_wbuf_put(b, &v, sizeof v); }
static inline void strata_wbuf_put_u64(strata_wbuf *b, uint64_t v) { strata_wbuf_put(b, &v, sizeof v); }

/* Copies n bytes into v and returns 1, or marks b bad, zeroes v, returns 0. */
int strata_rbuf_get(strata_rbuf *b, void *v, size_t n);
static inline uint32_t strata_rbuf_u32(strata_rbuf *b) {
  uint32_t v;
  strata_rbuf_get(b, &v, sizeof v);
  return v;
}
static inline uint64_t strata_rbuf_u64(strata_rbuf *b) {
  uint64_t v;
  strata_rbuf_get(b, &v, sizeof v);
  return v;
}
/* Bytes left to read. */
static inline size_t strata_rbuf_left(const strata_rbuf *b) { return b->bad ? 0 : b->n - b->at; }

#endif
