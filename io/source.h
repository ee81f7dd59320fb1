/* Data sources: where the rows of a dataset come from.
 *
 * A source is a table of `rows` rows and `cols` columns that reads any rows
 * [row0, row0+n) of any chosen columns as row-major float32.  Each kind
 * fills an ops table (a vtable) and embeds `strata_source` as its first
 * member, so the passes, the cursor and strata_dataset (a thin handle over
 * one source) never know which kind they read:
 *
 *   strata_source_h5_open    an HDF5 group of 1-D columns, or one 2-D n×d
 *                            dataset (names from its "columns" attribute)
 *   strata_source_strided    a borrowed array: pointer, rows, cols, row and
 *                            column strides in elements, float32 or float64;
 *                            nothing copied (what a binding hands in)
 *   strata_source_rows       rows [first, end) of another source (what an
 *                            MPI rank reads); reads only those rows
 *   strata_source_onehot     a transform: the columns of another source,
 *                            then categorical columns expanded one-hot
 *
 * A new kind (a Parquet file, a socket) is one ops table and one
 * constructor; nothing else changes. */
#ifndef STRATA_IO_SOURCE_H
#define STRATA_IO_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* What a column holds.  Imported tables (io/table_format.h) mark text
 * columns categorical: int32 codes, -1 missing, with a dictionary
 * (io/categorical.h reads both).  Every other column is numeric. */
typedef enum { STRATA_COL_NUMERIC = 0, STRATA_COL_CATEGORICAL = 1 } strata_col_kind;

/* Where the rows live; what a transform may be stacked on depends on it
 * (one-hot needs the columnar layout, whose categorical columns it reads). */
typedef enum { STRATA_LAYOUT_COLUMNS, STRATA_LAYOUT_MATRIX, STRATA_LAYOUT_MEMORY } strata_layout;

/* One column as a source describes it; every string is owned by the source. */
typedef struct {
  const char *name;
  const char *type;     /* storage type: "int8".."uint64", "float32", "float64", "one-hot" */
  const char *stype;    /* @strata_type of an imported column, NULL when the file does not say */
  strata_col_kind kind;
  int is_id;            /* @strata_role = "id" */
  int group;            /* -1, or the one-hot group this column expands */
  const char *category; /* one-hot: the category this column is 1 for; else NULL */
} strata_source_col;

typedef struct strata_source strata_source;

/* The path of rows held in memory (strata_source_strided). */
#define STRATA_MEMORY_PATH "(memory)"

typedef struct {
  const char *kind; /* "hdf5-columns", "hdf5-matrix", "strided", "rows", "one-hot" */
  /* Rows [row0, row0+rows) of columns pick[0..npick) (indices into the
   * source's columns, any order) into out, row-major rows×npick, float32,
   * NaN = missing.  pick NULL: every column in order (npick == cols).
   * The range is checked by strata_source_read before the call and rows > 0.
   * Calls from several threads at once must be safe (a source with shared
   * buffers serialises them itself). */
  strata_status (*read)(strata_source *s, size_t row0, size_t rows, const size_t *pick, size_t npick,
                        float *out);
  /* A recommended chunk length (see strata_source_recommend_chunk). */
  size_t (*recommend_chunk)(const strata_source *s, size_t multiple, size_t target_bytes);
  /* Rows read so far whose category was not in a one-hot expansion; NULL
   * when the kind never has any. */
  uint64_t (*unknown_categories)(const strata_source *s);
  /* Frees everything the source owns (never what it borrows). */
  void (*close)(strata_source *s);
} strata_source_ops;

/* The description every kind fills at open time; read-only afterwards. */
struct strata_source {
  const strata_source_ops *ops;
  size_t rows, cols;
  const strata_source_col *col; /* cols entries */
  const char *path;             /* for messages: the file, or "(memory)" */
  const char *location;         /* resolved group or dataset, "" in memory */
  strata_layout layout;
  size_t file_chunk_rows;       /* the file's chunk length along rows (largest column), 0 if none */
  size_t groups;                /* one-hot groups */
  const char *const *group_names;
};

/* Checks the range (STRATA_ERR_USAGE naming the source's path), then reads
 * (see strata_source_ops.read).  rows == 0 reads nothing.  s IN, out OUT. */
strata_status strata_source_read(strata_source *s, size_t row0, size_t rows, const size_t *pick, size_t npick,
                                 float *out);
/* Closes s; accepts NULL. */
void strata_source_close(strata_source *s);

/* A recommended chunk length: a multiple of `multiple` (> 0) and, where the
 * file is chunked, of the file's chunk rows when that stays near
 * `target_bytes` of float32 data (their least common multiple within twice
 * the target).  Never more than needed to cover the source (rounded up to
 * `multiple`), never less than `multiple`.  target_bytes 0 means 8 MiB. */
size_t strata_source_recommend_chunk(const strata_source *s, size_t multiple, size_t target_bytes);
/* The rule above for `cols` columns of `rows` rows stored in chunks of
 * file_chunk_rows (0: not chunked); what most kinds' ops point at. */
size_t strata_source_chunk_rule(size_t rows, size_t cols, size_t file_chunk_rows, size_t multiple,
                                size_t target_bytes);
size_t strata_source_default_chunk(const strata_source *s, size_t multiple, size_t target_bytes);

/* out[i*npick + j] = row i of src at column pick[j] (pick NULL: all cols):
 * the column choice for kinds that read whole rows first.  src rows are
 * `cols` floats apart. */
void strata_source_pick(float *restrict out, const float *restrict src, size_t rows, size_t cols,
                        const size_t *pick, size_t npick);

/* ------------------------------------------------------------ kinds */

/* HDF5: path/location/features as for strata_dataset_open (strata.h).
 * all: every 1-D column of the group layout, categorical and identifier
 * ones included, in file order (strata_dataset_open_all).  out OUT. */
strata_status strata_source_h5_open(const char *path, const char *location, const char *const *features,
                                    size_t nfeatures, int all, strata_source **out);

/* A borrowed array: element (i, j) is at x + i*row_stride + j*col_stride
 * (strides in elements, any sign, 0 repeats).  x IN, borrowed: must stay
 * valid and unchanged while the source is read; nothing is copied.  owned
 * IN: freed on close (NULL: nothing; strata_dataset_adopt_memory passes x).
 * names IN: cols distinct non-empty names, copied, or NULL for
 * "c0".."c{cols-1}".  out OUT. */
strata_status strata_source_strided(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                    ptrdiff_t row_stride, ptrdiff_t col_stride, const char *const *names,
                                    void *owned, strata_source **out);
/* Same, taking cols malloc'ed names and the array of them (freed on close,
 * or at once when it fails). */
strata_status strata_source_strided_adopt_names(const void *x, strata_elem_type type, size_t rows, size_t cols,
                                                ptrdiff_t row_stride, ptrdiff_t col_stride, char **names,
                                                void *owned, strata_source **out);

/* Rows [first, end) of inner, as rows 0..end-first.  inner IN, borrowed:
 * must outlive the view.  first <= end <= inner's rows, else
 * STRATA_ERR_USAGE.  out OUT. */
strata_status strata_source_rows(strata_source *inner, size_t first, size_t end, strata_source **out);

/* The columns of inner, then categorical columns of the columnar table at
 * inner's path/location expanded one-hot (io/onehot.h: names, categories,
 * ncategories as for strata_dataset_add_categorical).  inner must be a
 * whole columnar HDF5 table (not a row view: the codes are read at the
 * same row numbers).  inner IN: owned by the transform when this succeeds,
 * still the caller's when it fails.  out OUT. */
strata_status strata_source_onehot(strata_source *inner, const char *const *names, size_t n,
                                   const char *const *const *categories, const size_t *ncategories,
                                   strata_source **out);

#endif
