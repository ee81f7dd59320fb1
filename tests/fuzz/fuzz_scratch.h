/* What every file-reading fuzz harness shares, without the library: the
 * input as a file (the readers open by path), and the abort on a broken
 * invariant. */
#ifndef STRATA_FUZZ_SCRATCH_H
#define STRATA_FUZZ_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to this process's scratch file named `name` (under $TMPDIR,
 * else /tmp, with the pid) and returns its path; aborts if it cannot.  The
 * files are removed at exit. */
const char *fuzz_file_write(const uint8_t *data, size_t size, const char *name);

/* Aborts with the broken invariant. */
void fuzz_fail(const char *harness, const char *what);

#endif
