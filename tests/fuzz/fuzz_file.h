/* What the HDF5 fuzz harnesses share: the input as a file (fuzz_scratch.h:
 * the library opens tables and models by path, through the same checks a
 * command runs, the file size against what the file declares included), a
 * quiet context, and the oracle on a status. */
#ifndef STRATA_FUZZ_FILE_H
#define STRATA_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz_scratch.h"
#include "strata.h"

/* A single-threaded context that logs nothing (warnings are not findings). */
strata_ctx *fuzz_quiet_ctx(void);

/* A library call on any input may fail, but only with a status that names
 * the input or the system (exit 1 or 2), never STRATA_ERR_INTERNAL, and
 * always with a one-line message. */
void fuzz_check_status(strata_status st, const char *call);

#endif
