/* Internal HDF5 glue shared by the io/ files (implemented in io/h5_lock.c):
 * opening a file for reading with Strata's error messages, the text of
 * HDF5's own error for a detail string, and string reads that accept both
 * variable- and fixed-length strings.  Include after <hdf5.h>. */
#ifndef STRATA_IO_H5_UTIL_H
#define STRATA_IO_H5_UTIL_H

#include <hdf5.h>

#include "dataset.h"

/* Opens `path` read-only.  Fails with
 *   STRATA_ERR_NOT_FOUND "cannot open 'x.h5': No such file or directory"
 *   STRATA_ERR_FORMAT    "'x.h5' is not an HDF5 file"
 *   STRATA_ERR_FORMAT    "'x.h5' is truncated or corrupt: <HDF5's reason>"
 * path IN, file OUT (close with H5Fclose under the lock).  Takes the lock. */
strata_status strata_h5_open_read(const char *path, hid_t *file);

/* Reads the file in a child process first (io/h5_probe.c): STRATA_ERR_FORMAT
 * when that crashes HDF5, STRATA_OK otherwise (the real open then reports
 * any error HDF5 gives).  strata_h5_open_read calls it. */
strata_status strata_h5_probe(const char *path);

/* What the probe's child does before (or instead of) its walk: the
 * reader's own calls on the file opened as strata_h5_open_read opens it.
 * read returns its status with its detail recorded (strata_fail); it
 * leaves the file open.  then_walk 0: the reader reads all a command will
 * (a model), so no walk, and no memory of files read safely; 1: it makes
 * the open's calls (a table), then the walk reads the rest. */
typedef strata_status (*strata_h5_reader)(hid_t file, const char *path, void *ctx);
typedef struct {
  strata_h5_reader read;
  void *ctx;
  int then_walk;
} strata_h5_check;

/* strata_h5_probe with the child's reader first (check NULL: the walk
 * alone): STRATA_ERR_FORMAT when the child crashes or exhausts its memory
 * bound, the reader's own status and detail when it fails, else
 * STRATA_OK. */
strata_status strata_h5_probe_with(const char *path, const strata_h5_check *check);

/* strata_h5_open_read, its child check made with `check` (see
 * strata_h5_probe_with); NULL is strata_h5_open_read. */
strata_status strata_h5_open_read_checked(const char *path, hid_t *file, const strata_h5_check *check);

/* In a child made by fork while a thread held the lock: the lock made new
 * and free.  The recursive lock knows its owner by thread id, and the
 * child's one thread has another, so it would wait for ever on a lock its
 * parent's thread held (every table open took the 20 s time limit so). */
void strata_h5_lock_reset_in_child(void);

/* The error for a failed strata_h5_open_plain, from HDF5's error stack:
 * STRATA_ERR_IO when another process holds the file's lock, else
 * STRATA_ERR_FORMAT "'x.h5' is truncated or corrupt: <HDF5's reason>". */
strata_status strata_h5_open_failed(const char *path);

/* H5Fopen read-only with the access properties strata_h5_open_read uses
 * and no checks: for the probe's child.  Caller holds the lock. */
hid_t strata_h5_open_plain(const char *path);

/* Children started by strata_h5_probe in this process so far (for tests:
 * a file read safely before and unchanged for a while is not read again). */
size_t strata_h5_probes_run(void);
/* Of those, the children still busy at the time limit (killed, and the
 * open went on unchecked): tests expect none. */
size_t strata_h5_probes_timed_out(void);

/* Copies the most specific message of this thread's HDF5 error stack into
 * buf ("no error detail" when empty) and clears the stack.  Returns buf. */
const char *strata_h5_error_text(char *buf, size_t size);
/* 1 when the current HDF5 error came from the system (a failed read or
 * write: EIO, a lost mount), 0 when HDF5 found the file itself wrong (a
 * corrupt chunk or metadata, a file cut short): a runtime fault against bad
 * input.  Call before strata_h5_error_text, which clears the stack. */
int strata_h5_error_is_system(void);
/* 1 when the current HDF5 error is HDF5 failing to allocate memory (a
 * chunk buffer under `ulimit -v`): out of memory (exit 1), neither a system
 * fault nor a corrupt file.  Call before strata_h5_error_text. */
int strata_h5_error_is_nomem(void);

/* STRATA_ERR_FORMAT naming `what` of `path` when dset does not store what
 * it declares: a tiny file can declare 2^40 rows or 10×2^31 values in
 * chunks it never wrote, which HDF5 would hand out as fill values forever
 * (or allocate as one buffer).  Chunked: every chunk of the extent is
 * written, a chunk is at most 1 GiB, and an unfiltered chunk of numbers or
 * fixed-length strings stores exactly its shape's bytes (a deflated one
 * must inflate to them: strata_h5_read); contiguous: its storage is
 * allocated.  Call on open, before anything the declared size would need is
 * allocated, with the lock held. */
strata_status strata_h5_check_stored(const char *path, const char *what, hid_t dset, hid_t space);

/* H5Dread with the transfer defaults, for every dataset strata reads: a
 * deflated chunk of dset that does not inflate to its shape's bytes is a
 * read error (HDF5 1.10 would read past its buffer; io/h5_filtered.c).
 * Caller holds the lock. */
herr_t strata_h5_read(hid_t dset, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf);

/* The class of a numeric element type strata reads (H5T_INTEGER of 1 to 8
 * bytes, H5T_FLOAT as IEEE float32 or float64), else H5T_NO_CLASS.  HDF5 1.10 accepts a file
 * declaring a float of 2 GiB per element and sizes its conversion buffers
 * by it, so the size is checked before any read. */
H5T_class_t strata_h5_numeric_class(hid_t type);

/* Reads n strings from a dataset or attribute of any HDF5 string type
 * (variable or fixed length; a scalar holds one).  out OUT receives n
 * malloc'ed strings, freed by the caller.  Returns 0 on success, -1 when it
 * is not a string object of n elements or HDF5 fails, -2 when out of memory.
 * Caller holds the lock. */
int strata_h5_read_strings(hid_t obj, int is_attribute, size_t n, char **out);

/* The variable-length case of strata_h5_read_strings, reading the global
 * heap itself with every bound checked (io/h5_vlen.c: HDF5 1.10's own
 * reader crashes on a corrupt heap).  Same contract. */
int strata_h5_read_vlen_strings(hid_t obj, int is_attribute, size_t n, char **out);

/* Registers the conversion strata_h5_read_vlen_strings reads through; once,
 * when the lock is first set up. */
void strata_h5_vlen_register(void);

/* Writes a scalar attribute `name` on obj: *value in memory type mem_type,
 * stored as file_type.  Returns 0 or -1.  Caller holds the lock. */
int strata_h5_write_scalar(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value);

/* Writes a scalar variable-length UTF-8 string attribute (NULL writes "").
 * Returns 0 or -1.  Caller holds the lock. */
int strata_h5_write_string(hid_t obj, const char *name, const char *value);

/* A new variable-length UTF-8 string type (close with H5Tclose), or -1. */
hid_t strata_h5_utf8_type(void);

/* Closes an HDF5 id of any kind if it is valid; returns 0 or -1. */
int strata_h5_close(hid_t id);

#endif
