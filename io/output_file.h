/* Outputs are written to a temporary name in the same directory and renamed
 * into place only when complete, so a reader never sees half a file. */
#ifndef STRATA_IO_OUTPUT_FILE_H
#define STRATA_IO_OUTPUT_FILE_H

#include "strata.h"

typedef struct {
  char *final_path; /* where it will be */
  char *tmp_path;   /* "<dir>/.<name>.tmp-<host>-<pid>-<n>" */
} strata_output_file;

/* Checks that the directory of `path` is writable and picks a temporary name;
 * removes the temporary files of `path` that a dead run of this machine
 * left.  Returns STRATA_ERR_WRITE with a detail naming the path when the
 * directory is not writable. */
strata_status strata_output_begin(const char *path, strata_output_file *out);
/* Writes all `size` bytes of data as the whole content of tmp_path (for
 * outputs built in memory).  STRATA_ERR_WRITE naming final_path with the
 * system's reason ("No space left on device") when it cannot. */
strata_status strata_output_write_all(strata_output_file *f, const void *data, size_t size);
/* fsyncs and renames tmp_path onto final_path; frees the names.  On failure
 * (STRATA_ERR_WRITE) the temporary file is removed as by strata_output_abort. */
strata_status strata_output_commit(strata_output_file *f);
/* Removes tmp_path if present; frees the names; safe to call twice. */
void strata_output_abort(strata_output_file *f);

#endif
