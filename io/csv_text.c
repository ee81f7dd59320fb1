/* UTF-8 validation, Latin-1 transcoding and hashing (io/csv_text.h).
 * Customer text is mostly ASCII, so each function skips 8 ASCII bytes at a
 * time before looking at single bytes. */
#include "csv_text.h"

#include <string.h>

#define HIGH_BITS 0x8080808080808080ull

static uint64_t load64(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Nonzero when one of the 8 bytes of v is zero. */
static uint64_t has_zero_byte(uint64_t v) { return (v - 0x0101010101010101ull) & ~v & HIGH_BITS; }

int csv_has_high_bytes(const char *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (load64(p + i) & HIGH_BITS) return 1;
  for (; i < n; i++)
    if ((unsigned char)p[i] >= 0x80) return 1;
  return 0;
}

size_t csv_nul_check(const char *p, size_t n) {
  const char *z = memchr(p, '\0', n);
  return z ? (size_t)(z - p) : n;
}

size_t csv_utf8_check(const char *p, size_t n) {
  const unsigned char *s = (const unsigned char *)p;
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t v = load64(p + i);
      if (!(v & HIGH_BITS) && !has_zero_byte(v)) {
        i += 8;
        continue;
      }
    }
    unsigned c = s[i];
    if (c == 0) return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07, min = 0x10000;
    else return i;
    if (n - i < len) return i;
    for (size_t k = 1; k < len; k++) {
      unsigned cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

size_t csv_latin1_to_utf8(const char *p, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x80) {
      out[o++] = (char)c;
    } else {
      out[o++] = (char)(0xC0 | (c >> 6));
      out[o++] = (char)(0x80 | (c & 0x3F));
    }
  }
  return o;
}

/* A multiply-xorshift hash over 8-byte words: fast on the short strings of
 * categorical columns and well mixed in the high bits the tables use. */
static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint64_t csv_hash(const char *p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0x100000001B3ull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load64(p + i)) * 0x87c37b91114253d5ull, h ^= h >> 29;
  uint64_t tail = 0;
  if (n > i) memcpy(&tail, p + i, n - i);
  return mix(h ^ tail);
}
