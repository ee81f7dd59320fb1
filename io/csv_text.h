/* Text handling of the CSV importer: UTF-8 validation, Latin-1 to UTF-8
 * transcoding, and the string hash of the dictionaries. */
#ifndef STRATA_IO_CSV_TEXT_H
#define STRATA_IO_CSV_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that breaks UTF-8 (an invalid or truncated
 * sequence, an overlong form, a surrogate, a code point beyond U+10FFFF) or
 * is NUL, which no HDF5 string can hold; n when all n bytes are valid. */
size_t csv_utf8_check(const char *p, size_t n);

/* Offset of the first NUL byte, n when none (Latin-1 text has no other
 * invalid bytes). */
size_t csv_nul_check(const char *p, size_t n);

/* Writes the UTF-8 form of n Latin-1 bytes to out (room for 2n bytes) and
 * returns its length. */
size_t csv_latin1_to_utf8(const char *p, size_t n, char *out);

/* 1 when some byte is >= 0x80. */
int csv_has_high_bytes(const char *p, size_t n);

/* A 64-bit hash of n bytes (not cryptographic; for hash tables). */
uint64_t csv_hash(const char *p, size_t n);

#endif
