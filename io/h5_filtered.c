/* Reads of deflated datasets that check each chunk's size (h5_util.h).
 *
 * HDF5 1.10's deflate filter inflates a chunk into a buffer of whatever
 * size the stream gives, and the dataset layer then copies the chunk's
 * shape's bytes out of it: a chunk whose stream is shorter than its shape
 * (a fuzzed chunk shape or stream) is read past its buffer - a SIGSEGV in
 * H5VM_memcpyvv, or values from the heap with exit 0.  HDF5 refuses to
 * have its predefined filters replaced, so strata reads such chunks itself:
 * raw (H5Dread_chunk), inflated into exactly its shape's bytes, unshuffled,
 * and converted by HDF5's own conversion (H5Tconvert), so that the values
 * are those H5Dread gives.  That covers the layouts strata and the common
 * writers make (rows of whole chunks across the other dimensions, deflate
 * after an optional shuffle); any other read of a deflated dataset first
 * inflates the chunks it touches to check their sizes, then calls H5Dread.
 * Other filters (szip, n-bit, scale-offset, plugins) are left to HDF5. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "h5_util.h"

/* Decoded chunks kept for reads that take a chunk in parts (the readers'
 * blocks follow the file's chunks, so mostly none); what HDF5's own chunk
 * cache would have held.  Guarded by the HDF5 lock every caller holds. */
#define CACHE_ENTRIES 16
#define CACHE_ENTRY_MAX ((size_t)16 << 20)
#define CACHE_BUDGET ((size_t)32 << 20)

/* How a chunk is decoded: what, with its raw bytes, makes its values. */
typedef struct {
  int shuffled;   /* a shuffle before deflate */
  size_t elem;    /* the file type's size */
  uint64_t chunk; /* a chunk's bytes */
} codec;

typedef struct {
  codec how;
  hsize_t chunk_rows; /* a chunk's extent along dimension 0 */
  uint64_t row_elems; /* elements per row (the other dimensions, whole) */
  hsize_t first, rows;
} plan;

typedef struct {
  unsigned char *raw, *data;
  size_t raw_n;
  codec key;
  uint64_t used;
} cached;

static cached cache[CACHE_ENTRIES];
static uint64_t cache_clock;
static size_t cache_bytes;

/* Why the read failed, pushed onto HDF5's error stack once the read's
 * last HDF5 call is made (each API call clears the stack). */
static char read_error[256];
#define PUSH_ERROR(...) snprintf(read_error, sizeof read_error, __VA_ARGS__)

/* The bytes `in` inflates to, up to `cap` written into out (NULL: only
 * counted through a window); cap + 1 when it runs past cap, UINT64_MAX when
 * it is not a whole zlib stream. */
static uint64_t inflate_into(const unsigned char *in, size_t n, unsigned char *out, uint64_t cap) {
  unsigned char window[16384];
  z_stream z = {0};
  if (n > UINT32_MAX || inflateInit(&z) != Z_OK) return UINT64_MAX;
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)n;
  int rc = Z_OK;
  while (rc == Z_OK) {
    uint64_t room = out ? cap - z.total_out : sizeof window;
    if (out && room == 0) {
      /* Full: one byte more says whether the stream goes on. */
      unsigned char extra;
      z.next_out = &extra;
      z.avail_out = 1;
      rc = inflate(&z, Z_SYNC_FLUSH);
      break;
    }
    z.next_out = out ? out + z.total_out : window;
    z.avail_out = (uInt)(room < UINT32_MAX ? room : UINT32_MAX);
    uInt before = z.avail_out;
    rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_BUF_ERROR && z.avail_out == before) break; /* no progress: the stream is cut */
    if (rc == Z_BUF_ERROR) rc = Z_OK;
    if (!out && z.total_out > cap) break;
  }
  uint64_t got = z.total_out > cap ? cap + 1 : rc == Z_STREAM_END ? (uint64_t)z.total_out : UINT64_MAX;
  inflateEnd(&z);
  return got;
}

/* HDF5's shuffle undone: byte b of element k is at b * n + k. */
static void unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  for (size_t b = 0; b < elem; b++) {
    const unsigned char *s = in + b * n;
    for (size_t k = 0; k < n; k++) out[k * elem + b] = s[k];
  }
}

/* The raw bytes of the chunk at `at` (malloc'ed), their count in *n, its
 * filter mask in *mask; NULL when it is not stored (*n = 0), claims more
 * than the file's bytes or cannot be read. */
static unsigned char *read_raw(hid_t dset, const hsize_t *at, uint64_t file_size, size_t *n, unsigned *mask) {
  hsize_t stored = 0;
  *n = 0;
  if (H5Dget_chunk_storage_size(dset, at, &stored) < 0 || stored == 0 || stored > file_size || stored > SIZE_MAX)
    return NULL;
  unsigned char *raw = malloc(stored);
  if (raw && H5Dread_chunk(dset, H5P_DEFAULT, at, mask, raw) < 0) {
    free(raw);
    raw = NULL;
  }
  *n = (size_t)stored;
  return raw;
}

/* The chunk's values in the file's type, `p->chunk` bytes, or NULL (the
 * reason on HDF5's error stack).  From the cache when the same raw bytes
 * were decoded the same way before; else owned by *own. */
static const unsigned char *decoded_chunk(hid_t dset, const codec *p, uint64_t file_size, hsize_t first,
                                          unsigned char **own) {
  size_t n = 0;
  unsigned mask = 0;
  hsize_t at[H5S_MAX_RANK] = {0};
  at[0] = first;
  *own = NULL;
  unsigned char *raw = read_raw(dset, at, file_size, &n, &mask);
  if (!raw) {
    PUSH_ERROR("the chunk at row %llu is not stored or cannot be read", (unsigned long long)first);
    return NULL;
  }
  for (int i = 0; i < CACHE_ENTRIES; i++) {
    cached *c = &cache[i];
    if (c->raw && c->raw_n == n && c->key.shuffled == p->shuffled && c->key.elem == p->elem &&
        c->key.chunk == p->chunk && memcmp(c->raw, raw, n) == 0) {
      c->used = ++cache_clock;
      free(raw);
      return c->data;
    }
  }
  /* Bits of the mask: filters this chunk skipped (shuffle is filter 0 of
   * two, deflate the last). */
  const int deflate_bit = p->shuffled ? 1 : 0;
  const int shuffle = p->shuffled && !(mask & 1u);
  unsigned char *data = malloc(p->chunk), *tmp = shuffle ? malloc(p->chunk) : NULL;
  const unsigned char *plain = raw;
  uint64_t got = n;
  if (data && (!shuffle || tmp)) {
    if (!(mask & (1u << deflate_bit))) {
      got = inflate_into(raw, n, shuffle ? tmp : data, p->chunk);
      plain = shuffle ? tmp : data;
    } else if (n == p->chunk) {
      memcpy(shuffle ? tmp : data, raw, n);
      plain = shuffle ? tmp : data;
    }
  }
  if (!data || (shuffle && !tmp)) {
    PUSH_ERROR("out of memory for a chunk of %llu bytes", (unsigned long long)p->chunk);
    got = UINT64_MAX;
  } else if (got == UINT64_MAX) {
    PUSH_ERROR("the chunk at row %llu has a corrupt or cut deflate stream", (unsigned long long)first);
  } else if (got != p->chunk) {
    PUSH_ERROR(got > p->chunk ? "the chunk at row %llu holds more than the %llu bytes of its shape (a corrupt "
                                "chunk shape or stream)"
                              : "the chunk at row %llu holds fewer than the %llu bytes of its shape (a corrupt "
                                "chunk shape or stream)",
               (unsigned long long)first, (unsigned long long)p->chunk);
    got = UINT64_MAX;
  } else if (shuffle) {
    unshuffle(plain, data, (size_t)(p->chunk / p->elem), p->elem);
  }
  free(tmp);
  if (got == UINT64_MAX) {
    free(data);
    free(raw);
    return NULL;
  }
  if (p->chunk > CACHE_ENTRY_MAX || n + p->chunk > CACHE_BUDGET) {
    free(raw);
    return *own = data;
  }
  /* The least recently used entries go until a slot is free and the
   * budget holds this one. */
  for (;;) {
    cached *slot = NULL, *oldest = NULL;
    for (int i = 0; i < CACHE_ENTRIES; i++) {
      if (!cache[i].raw)
        slot = slot ? slot : &cache[i];
      else if (!oldest || cache[i].used < oldest->used)
        oldest = &cache[i];
    }
    if (slot && cache_bytes + n + p->chunk <= CACHE_BUDGET) {
      *slot = (cached){raw, data, n, *p, ++cache_clock};
      cache_bytes += n + p->chunk;
      break;
    }
    cache_bytes -= oldest->raw_n + oldest->key.chunk;
    free(oldest->raw);
    free(oldest->data);
    *oldest = (cached){0};
  }
  return data;
}

/* What a read of a dataset needs to know of its storage. */
typedef struct {
  int deflated;  /* deflate in the pipeline, at position `deflate_at` */
  int known;     /* every filter before it is shuffle or fletcher32: its output's size is known */
  int fast;      /* [deflate] or [shuffle, deflate], numbers: strata decodes it */
  int shuffled;  /* a shuffle before deflate */
  int checksums; /* fletcher32 before deflate (4 bytes each in deflate's output) */
  int all_checksums;
  int deflate_at;
  size_t elem;
  uint64_t chunk; /* a chunk's bytes; 0: not a fixed-size numeric or string type */
  uint64_t file_size;
  int rank;
  hsize_t dims[H5S_MAX_RANK], chunk_dims[H5S_MAX_RANK];
} layout;

/* Datasets described before, by id: a streamed column is read thousands of
 * times, and copying its creation properties each time cost memory that
 * ASan's quarantine kept (3.6 MB more for 4x the rows, test_cursor_memory).
 * HDF5 1.10 never hands out an id twice (a 56-bit counter), so an id names
 * one dataset; its extent is read afresh on every read. */
#define DESCRIBED 16
static struct {
  hid_t dset;
  layout l;
  uint64_t used;
} described[DESCRIBED];
static uint64_t described_clock;

static void describe_once(hid_t dset, layout *l) {
  memset(l, 0, sizeof *l);
  hid_t dcpl = H5Dget_create_plist(dset), type = H5Dget_type(dset), space = H5Dget_space(dset);
  int crank = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED ? H5Pget_chunk(dcpl, H5S_MAX_RANK, l->chunk_dims) : 0;
  l->rank = space >= 0 ? H5Sget_simple_extent_dims(space, l->dims, NULL) : -1;
  int nfilters = crank > 0 ? H5Pget_nfilters(dcpl) : 0;
  H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  int numeric = strata_h5_numeric_class(type) != H5T_NO_CLASS;
  int fixed = numeric || (cls == H5T_STRING && H5Tis_variable_str(type) == 0);
  if (crank > 0 && crank == l->rank && fixed) {
    l->elem = H5Tget_size(type);
    l->chunk = l->elem;
    for (int r = 0; r < crank && l->chunk; r++)
      l->chunk = l->chunk_dims[r] && l->chunk <= UINT64_MAX / l->chunk_dims[r] ? l->chunk * l->chunk_dims[r] : 0;
  }
  int others = 0;
  for (int i = 0; i < nfilters && !l->deflated; i++) {
    unsigned flags = 0, config = 0;
    size_t nv = 0;
    H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nv, NULL, 0, NULL, &config);
    if (id == H5Z_FILTER_DEFLATE) {
      l->deflated = 1;
      l->deflate_at = i;
      l->known = !others;
      l->fast = !others && !l->checksums && nfilters == i + 1 && numeric && l->chunk > 0;
    } else if (id == H5Z_FILTER_SHUFFLE) {
      l->shuffled = 1;
    } else if (id == H5Z_FILTER_FLETCHER32) {
      l->checksums++;
      l->all_checksums++;
    } else {
      others++;
    }
  }
  for (int i = l->deflate_at + 1; l->deflated && i < nfilters; i++) {
    unsigned flags = 0, config = 0;
    size_t nv = 0;
    l->all_checksums += H5Pget_filter2(dcpl, (unsigned)i, &flags, &nv, NULL, 0, NULL, &config) == H5Z_FILTER_FLETCHER32;
  }
  /* One shuffle only: decoded_chunk undoes one. */
  if (l->shuffled && l->fast && nfilters != 2) l->fast = 0;
  hid_t file = H5Iget_file_id(dset);
  hsize_t size = 0;
  l->file_size = file >= 0 && H5Fget_filesize(file, &size) >= 0 ? size : 0;
  strata_h5_close(file);
  strata_h5_close(space);
  strata_h5_close(type);
  strata_h5_close(dcpl);
}

static void describe(hid_t dset, layout *l) {
  int slot = 0;
  for (int i = 0; i < DESCRIBED; i++) {
    if (described[i].dset == dset && described[i].used) {
      described[i].used = ++described_clock;
      *l = described[i].l;
      if (!l->deflated) return; /* H5Dread reads it: the extent is not needed */
      hid_t space = H5Dget_space(dset);
      l->rank = space >= 0 ? H5Sget_simple_extent_dims(space, l->dims, NULL) : -1;
      strata_h5_close(space);
      return;
    }
    if (described[i].used < described[slot].used) slot = i;
  }
  describe_once(dset, l);
  described[slot].dset = dset;
  described[slot].l = *l;
  described[slot].used = ++described_clock;
}

/* The rows [first, first + rows) a selection of whole rows covers: 1, or 0
 * when it is another shape (then H5Dread reads it). */
static int whole_rows(const layout *l, hid_t mem_space, hid_t file_space, hsize_t *first, hsize_t *rows) {
  hsize_t lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
  uint64_t per_row = 1;
  for (int r = 1; r < l->rank; r++) per_row *= l->dims[r];
  if (file_space == H5S_ALL) {
    *first = 0;
    *rows = l->dims[0];
  } else {
    hssize_t n = H5Sget_select_npoints(file_space);
    /* As many points as its bounding box: the box itself. */
    if (H5Sget_select_type(file_space) != H5S_SEL_HYPERSLABS || H5Sget_select_bounds(file_space, lo, hi) < 0 || n <= 0)
      return 0;
    for (int r = 1; r < l->rank; r++)
      if (lo[r] != 0 || hi[r] + 1 != l->dims[r]) return 0;
    *first = lo[0];
    *rows = hi[0] - lo[0] + 1;
    if ((uint64_t)n != *rows * per_row) return 0;
  }
  if (mem_space != H5S_ALL &&
      (H5Sget_select_type(mem_space) != H5S_SEL_ALL || (uint64_t)H5Sget_select_npoints(mem_space) != *rows * per_row))
    return 0;
  return 1;
}

static herr_t read_fast(hid_t dset, const layout *l, const plan *p, hid_t mem_type, void *buf) {
  hid_t file_type = H5Dget_type(dset);
  const size_t elem = p->how.elem, out = H5Tget_size(mem_type), conv = out > elem ? out : elem;
  const int same = H5Tequal(file_type, mem_type) > 0;
  /* Room to convert the most rows one chunk gives this read. */
  const hsize_t most = p->chunk_rows < p->rows ? p->chunk_rows : p->rows;
  unsigned char *tmp = same ? NULL : malloc((size_t)(most * p->row_elems) * conv + 1);
  herr_t rc = file_type >= 0 && (same || tmp) ? 0 : -1;
  for (hsize_t row = p->first; rc == 0 && row < p->first + p->rows;) {
    const hsize_t first = row / p->chunk_rows * p->chunk_rows;
    const hsize_t end = first + p->chunk_rows < p->first + p->rows ? first + p->chunk_rows : p->first + p->rows;
    unsigned char *own = NULL;
    const unsigned char *data = decoded_chunk(dset, &p->how, l->file_size, first, &own);
    if (!data) {
      rc = -1;
      break;
    }
    const size_t n = (size_t)((end - row) * p->row_elems);
    const unsigned char *from = data + (size_t)((row - first) * p->row_elems) * elem;
    unsigned char *to = (unsigned char *)buf + (size_t)((row - p->first) * p->row_elems) * out;
    if (same) {
      memcpy(to, from, n * out);
    } else {
      memcpy(tmp, from, n * elem);
      if (H5Tconvert(file_type, mem_type, n, tmp, NULL, H5P_DEFAULT) < 0)
        rc = -1;
      else
        memcpy(to, tmp, n * out);
    }
    free(own);
    row = end;
  }
  free(tmp);
  strata_h5_close(file_type);
  return rc;
}

/* Each chunk the selection's bounds touch, inflated to count its bytes. */
static herr_t check_touched(hid_t dset, const layout *l, hid_t file_space) {
  hsize_t lo[H5S_MAX_RANK] = {0}, hi[H5S_MAX_RANK];
  for (int r = 0; r < l->rank; r++) hi[r] = l->dims[r] ? l->dims[r] - 1 : 0;
  if (file_space != H5S_ALL && H5Sget_select_bounds(file_space, lo, hi) < 0) return -1;
  hsize_t at[H5S_MAX_RANK];
  for (int r = 0; r < l->rank; r++) {
    if (l->dims[r] == 0) return 0;
    at[r] = lo[r] / l->chunk_dims[r] * l->chunk_dims[r];
  }
  const uint64_t lo_size = l->chunk, hi_size = l->chunk + 4 * (uint64_t)l->checksums;
  for (;;) {
    size_t n = 0;
    unsigned mask = 0;
    hsize_t stored = 0;
    unsigned char *raw = NULL;
    /* A chunk never written reads as fill values: nothing to inflate. */
    if (H5Dget_chunk_storage_size(dset, at, &stored) >= 0 && stored > 0) {
      raw = read_raw(dset, at, l->file_size, &n, &mask);
      if (!raw) {
        PUSH_ERROR("the chunk at row %llu claims more than the file's bytes or cannot be read",
                   (unsigned long long)at[0]);
        return -1;
      }
    }
    /* A chunk that skipped deflate (a partial edge chunk some writers
     * leave unfiltered) is its bytes and checksums; a checksum after
     * deflate follows the stream, which inflate ignores. */
    const int raw_bytes = (mask >> l->deflate_at) & 1u;
    uint64_t got = !raw ? lo_size : raw_bytes ? n : inflate_into(raw, n, NULL, hi_size);
    free(raw);
    if (got < lo_size || got > (raw_bytes ? lo_size + 4 * (uint64_t)l->all_checksums : hi_size)) {
      PUSH_ERROR("the chunk at row %llu does not inflate to the %llu bytes of its shape (a corrupt chunk shape or "
                 "stream)",
                 (unsigned long long)at[0], (unsigned long long)lo_size);
      return -1;
    }
    int r = l->rank - 1;
    for (; r >= 0 && (at[r] += l->chunk_dims[r]) > hi[r]; r--) at[r] = lo[r] / l->chunk_dims[r] * l->chunk_dims[r];
    if (r < 0) return 0;
  }
}

herr_t strata_h5_read(hid_t dset, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf) {
  layout l;
  describe(dset, &l);
  plan p = {{l.shuffled, l.elem, l.chunk}, l.chunk_dims[0], 1, 0, 0};
  int whole = l.fast && H5Tget_class(mem_type) != H5T_STRING;
  for (int r = 1; whole && r < l.rank; r++) {
    whole = l.chunk_dims[r] == l.dims[r];
    p.row_elems *= l.dims[r];
  }
  read_error[0] = '\0';
  herr_t rc;
  if (whole && whole_rows(&l, mem_space, file_space, &p.first, &p.rows))
    rc = read_fast(dset, &l, &p, mem_type, buf);
  else if (l.deflated && l.known && l.chunk > 0 && check_touched(dset, &l, file_space) < 0)
    rc = -1;
  else
    return H5Dread(dset, mem_type, mem_space, file_space, H5P_DEFAULT, buf);
  if (rc < 0 && read_error[0])
    H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, H5E_PLINE, H5E_READERROR, "%s", read_error);
  return rc;
}
