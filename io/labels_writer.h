/* The labels file: an HDF5 file with `segment` (int32) and `distance`
 * (float32) columns in input row order, written chunk by chunk; on request
 * also `probability` (rows×k float32). */
#ifndef STRATA_IO_LABELS_WRITER_H
#define STRATA_IO_LABELS_WRITER_H

#include "output_file.h"
#include "strata.h"

typedef struct strata_labels_writer strata_labels_writer;

/* The caller's arrays a fit's labels go to instead of a file
 * (strata_fit_memory): segment rows int32, distance rows float32 or NULL. */
typedef struct {
  int32_t *segment;
  float *distance;
} strata_labels_memory;

/* path IN, rows: total rows that will be written, out OUT.
 * The file is created under a temporary name (io/output_file.h). */
strata_status strata_labels_writer_open(const char *path, size_t rows, strata_labels_writer **out);
/* The same sink over the caller's arrays (a binding's NumPy buffers):
 * segment OUT rows int32, distance OUT rows float32 or NULL; no file, and
 * commit only checks that every row was written.  out OUT. */
strata_status strata_labels_writer_memory(size_t rows, int32_t *segment, float *distance,
                                          strata_labels_writer **out);
/* strata_labels_writer_memory that also takes a mixture's probabilities
 * (strata_labels_writer_write_probabilities) into probability OUT, rows×k
 * float32 row-major; probability NULL: none (k ignored, as plain memory). */
strata_status strata_labels_writer_memory_soft(size_t rows, size_t k, int32_t *segment, float *distance,
                                               float *probability, strata_labels_writer **out);
/* strata_labels_writer_open, and a third dataset `probability` (rows×k
 * float32): each row's probability of each segment (a Gaussian mixture's
 * responsibilities; NaN for dropped rows), written with
 * strata_labels_writer_write_probabilities.  k = 0: none (plain open). */
strata_status strata_labels_writer_open_soft(const char *path, size_t rows, size_t k, strata_labels_writer **out);
/* The k of open_soft (0 without probabilities). */
size_t strata_labels_writer_soft(const strata_labels_writer *w);
/* rows×k probabilities of rows [row0, row0+rows), row-major. */
strata_status strata_labels_writer_write_probabilities(strata_labels_writer *w, size_t row0, size_t rows,
                                                       const float *prob);
/* Several ranks (comm, NULL or one rank = strata_labels_writer_open): rank
 * 0 creates the file; every rank writes its own rows [first, end), which
 * another rank keeps in memory.  strata_labels_writer_finish is then a
 * collective: the parts go to rank 0, which writes them, and every rank
 * returns the same status; only rank 0 hands over a file (*out empty on the
 * others). */
strata_status strata_labels_writer_open_ranks(const char *path, size_t rows, const strata_comm *comm, size_t first,
                                              size_t end, strata_labels_writer **out);
/* The same with k per-segment probabilities per row (k = 0: none), as
 * strata_labels_writer_open_soft. */
strata_status strata_labels_writer_open_ranks_soft(const char *path, size_t rows, size_t k, const strata_comm *comm,
                                                   size_t first, size_t end, strata_labels_writer **out);
/* Writes rows [row0, row0+rows). segment IN, distance IN (Euclidean distance
 * to the segment centroid, not squared; NaN for dropped rows).  Chunks may
 * come in any order, but each row must be written exactly once before commit.
 * Takes the HDF5 lock, so it may run while a cursor prefetches. */
strata_status strata_labels_writer_write(strata_labels_writer *w, size_t row0, size_t rows,
                                         const int32_t *segment, const float *distance);
/* Closes and renames into place.  Frees w in every case.  A file with rows
 * never written is not committed (STRATA_ERR_INTERNAL, file removed). */
strata_status strata_labels_writer_commit(strata_labels_writer *w);
/* Two-phase variant of commit for outputs put in place together (labels and
 * model): closes the file and checks every row was written, then hands its
 * temporary file over in *out for the caller to strata_output_commit or
 * strata_output_abort.  Frees w in every case; on failure the temporary
 * file is already removed and *out is empty.  out OUT. */
strata_status strata_labels_writer_finish(strata_labels_writer *w, strata_output_file *out);
/* Closes, removes the temporary file, frees w; accepts NULL. */
void strata_labels_writer_abort(strata_labels_writer *w);

#endif
