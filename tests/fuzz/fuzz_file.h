/* What the HDF5 fuzz harnesses share: the input as a file (the library
 * opens tables and models by path, through the same checks a command
 * runs, the file size against what the file declares included), a quiet
 * context, and the oracle on a status. */
#ifndef STRATA_FUZZ_FILE_H
#define STRATA_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* Writes data to this process's scratch file named `name` (under $TMPDIR,
 * else /tmp, with the pid) and returns its path; aborts if it cannot. */
const char *fuzz_file_write(const uint8_t *data, size_t size, const char *name);

/* A single-threaded context that logs nothing (warnings are not findings). */
strata_ctx *fuzz_quiet_ctx(void);

/* A library call on any input may fail, but only with a status that names
 * the input or the system (exit 1 or 2), never STRATA_ERR_INTERNAL, and
 * always with a one-line message. */
void fuzz_check_status(strata_status st, const char *call);

/* Aborts with the broken invariant. */
void fuzz_fail(const char *harness, const char *what);

#endif
