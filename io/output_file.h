/* Outputs are written to a temporary name in the same directory and renamed
 * into place only when complete, so a reader never sees half a file. */
#ifndef STRATA_IO_OUTPUT_FILE_H
#define STRATA_IO_OUTPUT_FILE_H

#include "strata.h"

typedef struct {
  char *final_path; /* where it will be ("standard output" for "-") */
  char *tmp_path;   /* "<dir>/.<name>.tmp-<host>-<pid>-<n>"; NULL for "-" */
  int to_stdout;    /* "-": written straight to standard output */
} strata_output_file;

/* Checks that the directory of `path` is writable and picks a temporary name;
 * removes the temporary files of `path` that a dead run of this machine
 * left.  Returns STRATA_ERR_WRITE with a detail naming the path when the
 * directory is not writable. */
strata_status strata_output_begin(const char *path, strata_output_file *out);
/* strata_output_begin for a text output (CSV, JSON, a table, HTML): "-" is
 * standard output, written as it comes (a reader of a pipe cannot be
 * spared half an output), by strata_output_write_all or (a streamed
 * writer) on a duplicate of descriptor 1.  strata_output_begin refuses
 * "-": its callers write HDF5 files by name. */
strata_status strata_output_begin_text(const char *path, strata_output_file *out);
/* The path names standard output ("-"). */
int strata_output_is_stdout(const char *path);
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
