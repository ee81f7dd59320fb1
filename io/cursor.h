/* A streaming cursor over a dataset: {rows, pos, buffer}, with a prefetch
 * thread so that reading chunk i+1 overlaps compute on chunk i.
 * Memory held: two buffers of chunk_rows×cols floats, independent of n. */
#ifndef STRATA_IO_CURSOR_H
#define STRATA_IO_CURSOR_H

#include "strata.h"

typedef struct strata_cursor strata_cursor;

typedef struct {
  const float *data; /* rows×cols row-major, raw values (NaN = missing) */
  size_t row0;       /* index of the first row in the dataset */
  size_t rows;       /* 0 at the end */
  size_t cols;
} strata_chunk;

/* ds IN (borrowed; must outlive the cursor), chunk_rows > 0,
 * prefetch: 1 = read ahead in a background thread, 0 = read on demand.
 * out OUT. */
strata_status strata_cursor_open(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows, int prefetch,
                                 strata_cursor **out);

/* Returns the next chunk (chunk->rows == 0 after the last).  The chunk's
 * data stays valid until the next call to strata_cursor_next or close.
 * A read error is returned here, with the detail of the failing read. */
strata_status strata_cursor_next(strata_cursor *cur, strata_chunk *chunk);

/* Starts again from row 0 (for the next pass). */
strata_status strata_cursor_rewind(strata_cursor *cur);

/* Stops the prefetch thread and frees everything; accepts NULL. */
void strata_cursor_close(strata_cursor *cur);

#endif
