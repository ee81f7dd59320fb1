/* The column writer of the CSV importer: the sink of io/csv_engine.h that
 * writes the table as columnar HDF5 (layout in io/table_format.h and
 * docs/FORMAT.md) under a temporary name (io/output_file.h).
 *
 * Chunks are compressed (byte shuffle + deflate, HDF5's own filters, so any
 * HDF5 reader decompresses them) by a pool of threads and written with
 * H5Dwrite_chunk from the calling thread, which alone calls HDF5.  Memory:
 * at most 2 x threads + 2 chunks in flight. */
#ifndef STRATA_IO_CSV_WRITER_H
#define STRATA_IO_CSV_WRITER_H

#include "csv_engine.h"
#include "strata.h"

typedef struct csv_writer csv_writer;

/* path IN: the HDF5 file to write; group IN: the group of the columns
 * (NULL or "/" = the root; intermediate groups are created); level: deflate
 * level 1-9; threads: compression threads, 0 = one per core, 1 = compress
 * on the calling thread.  out OUT. */
strata_status csv_writer_open(const char *path, const char *group, int level, int threads, csv_writer **out);

/* The sink that feeds w (csv_engine_run). */
csv_sink csv_writer_sink(csv_writer *w);

/* Writes what is left, sets the row count and the attributes of t's
 * columns, closes the file and renames it into place.  source IN: the CSV
 * file's name, recorded in the group.  Frees w in every case. */
strata_status csv_writer_commit(csv_writer *w, const csv_table *t, const char *source);

/* Removes the temporary file and frees w; accepts NULL. */
void csv_writer_abort(csv_writer *w);

#endif
