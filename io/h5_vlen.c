/* Variable-length strings read without HDF5's global-heap reader.
 *
 * HDF5 1.10 trusts a file's global heap: a heap object index past the
 * collection's table, an object size running past its collection, or a
 * string length unlike its object's size make H5HG_read read and write out
 * of bounds (about 3% of byte-mutated model files crashed `assign` there,
 * issue 18).  So no vlen string is converted by HDF5: a conversion to an
 * opaque type tagged STRATA_VLEN_RAW_TAG (registered once, see
 * strata_h5_vlen_register) hands back each string's raw file descriptor -
 * length, collection address, object index - and the strings are read
 * here, from the file itself, with every bound checked: a bad descriptor
 * or collection is a corrupt file, never a crash. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5_util.h"

#define STRATA_VLEN_RAW_TAG "strata: raw variable-length descriptor"
/* A descriptor on disk: 4-byte length, 8-byte address, 4-byte index
 * (files with other address sizes are refused: the conversion declines). */
#define DESC_SIZE 16
#define GCOL_HEADER 16 /* "GCOL", version, 3 reserved, 8-byte collection size */
#define OBJ_HEADER 16  /* index, reference count, 4 reserved, 8-byte size */
/* HDF5 makes collections of 4 KiB and larger ones only for larger
 * objects; strata's strings are names and categories. */
#define MAX_COLLECTION ((uint64_t)1 << 30)

/* The conversion itself is a no-op: source and destination are both the
 * 16 bytes on disk.  It accepts only a vlen string to our tagged opaque
 * type of the same size, so no other conversion in the process changes. */
static herr_t raw_conv(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t n, size_t buf_stride, size_t bkg_stride,
                       void *buf, void *bkg, hid_t dxpl) {
  (void)n, (void)buf_stride, (void)bkg_stride, (void)buf, (void)bkg, (void)dxpl;
  if (cdata->command != H5T_CONV_INIT) return 0;
  if (H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE || H5Tget_size(src) != DESC_SIZE ||
      H5Tget_size(dst) != DESC_SIZE)
    return -1;
  char *tag = H5Tget_tag(dst);
  int ours = tag && strcmp(tag, STRATA_VLEN_RAW_TAG) == 0;
  if (tag) H5free_memory(tag);
  if (!ours) return -1;
  cdata->need_bkg = H5T_BKG_NO;
  return 0;
}

void strata_h5_vlen_register(void) {
  hid_t src = H5Tcopy(H5T_C_S1), dst = H5Tcreate(H5T_OPAQUE, DESC_SIZE);
  if (src >= 0 && dst >= 0 && H5Tset_size(src, H5T_VARIABLE) >= 0 && H5Tset_tag(dst, STRATA_VLEN_RAW_TAG) >= 0)
    H5Tregister(H5T_PERS_SOFT, "strata_vlen_raw", src, dst, raw_conv);
  strata_h5_close(src);
  strata_h5_close(dst);
  H5Eclear2(H5E_DEFAULT);
}

static uint64_t le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The file's bytes, through its own descriptor (the default POSIX driver)
 * or a copy of its image (the core driver). */
typedef struct {
  int fd;
  unsigned char *image;
  uint64_t size, base;
} raw_file;

static int raw_open(hid_t obj, raw_file *f) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  hid_t file = H5Iget_file_id(obj), fcpl = -1, fapl = -1;
  hsize_t userblock = 0;
  int rc = -1;
  if (file < 0 || (fcpl = H5Fget_create_plist(file)) < 0 || H5Pget_userblock(fcpl, &userblock) < 0 ||
      (fapl = H5Fget_access_plist(file)) < 0)
    goto done;
  f->base = userblock;
  hid_t driver = H5Pget_driver(fapl);
  if (driver == H5FD_SEC2) {
    int *fdp = NULL;
    struct stat sb;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, (void **)&fdp) < 0 || !fdp || fstat(*fdp, &sb) != 0) goto done;
    f->fd = *fdp;
    f->size = (uint64_t)sb.st_size;
    rc = 0;
  } else if (driver == H5FD_CORE) {
    ssize_t size = H5Fget_file_image(file, NULL, 0);
    if (size <= 0 || !(f->image = malloc((size_t)size))) goto done;
    if (H5Fget_file_image(file, f->image, (size_t)size) != size) goto done;
    f->size = (uint64_t)size;
    rc = 0;
  }
done:
  strata_h5_close(fapl);
  strata_h5_close(fcpl);
  strata_h5_close(file);
  return rc;
}

static int raw_read(const raw_file *f, uint64_t at, void *buf, size_t n) {
  if (at > f->size || n > f->size - at) return -1;
  if (f->image) {
    memcpy(buf, f->image + at, n);
    return 0;
  }
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(at + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

/* One global heap collection, loaded whole, with the offset of each object
 * by index (0: none). */
typedef struct {
  uint64_t addr, size;
  unsigned char *bytes;
  uint64_t *offset;
  size_t nobj;
} collection;

static void collection_free(collection *c) {
  free(c->bytes);
  free(c->offset);
  memset(c, 0, sizeof *c);
}

static int collection_load(const raw_file *f, uint64_t addr, collection *c) {
  collection_free(c);
  unsigned char head[GCOL_HEADER];
  if (addr > UINT64_MAX - f->base || raw_read(f, f->base + addr, head, sizeof head) != 0 ||
      memcmp(head, "GCOL", 4) != 0 || head[4] != 1)
    return -1;
  uint64_t size = le(head + 8, 8);
  if (size < GCOL_HEADER || size > MAX_COLLECTION || !(c->bytes = malloc((size_t)size))) return -1;
  c->addr = addr;
  c->size = size;
  if (raw_read(f, f->base + addr, c->bytes, (size_t)size) != 0) return -1;
  /* Objects follow the header back to back, each padded to 8 bytes; index
   * 0 is the free space, which ends the walk.  The first walk checks the
   * sizes and sizes the table, the second fills it. */
  for (int pass = 0; pass < 2; pass++) {
    for (uint64_t at = GCOL_HEADER; size - at >= OBJ_HEADER;) {
      unsigned idx = (unsigned)le(c->bytes + at, 2);
      uint64_t osize = le(c->bytes + at + 8, 8);
      if (idx == 0) break;
      if (osize > size - at - OBJ_HEADER) return -1;
      if (pass == 0 && idx >= c->nobj) c->nobj = (size_t)idx + 1;
      if (pass == 1 && !c->offset[idx]) c->offset[idx] = at;
      at += OBJ_HEADER + ((osize + 7) & ~(uint64_t)7);
      if (at > size) break;
    }
    if (pass == 0 && !(c->offset = calloc(c->nobj ? c->nobj : 1, sizeof *c->offset))) return -1;
  }
  return 0;
}

int strata_h5_read_vlen_strings(hid_t obj, int is_attribute, size_t n, char **out) {
  hid_t mtype = H5Tcreate(H5T_OPAQUE, DESC_SIZE);
  unsigned char *desc = malloc((n ? n : 1) * DESC_SIZE);
  raw_file f = {.fd = -1};
  collection c;
  memset(&c, 0, sizeof c);
  int rc = -2;
  if (mtype < 0 || !desc || H5Tset_tag(mtype, STRATA_VLEN_RAW_TAG) < 0) goto done;
  rc = -1;
  herr_t rd = is_attribute ? H5Aread(obj, mtype, desc) : strata_h5_read(obj, mtype, H5S_ALL, H5S_ALL, desc);
  if (rd < 0 || raw_open(obj, &f) != 0) goto done;
  for (size_t i = 0; i < n; i++) {
    const unsigned char *d = desc + i * DESC_SIZE;
    uint64_t len = le(d, 4), addr = le(d + 4, 8), idx = le(d + 12, 4);
    if (addr == 0) { /* a null string: what HDF5 writes for an empty one */
      if (!(out[i] = strdup(""))) rc = -2;
      if (rc == -2) goto done;
      continue;
    }
    if ((c.addr != addr || !c.bytes) && collection_load(&f, addr, &c) != 0) goto done;
    if (idx == 0 || idx >= c.nobj || !c.offset[idx]) goto done;
    const unsigned char *o = c.bytes + c.offset[idx];
    if (le(o + 8, 8) != len) goto done; /* the string's length is its object's size */
    if (!(out[i] = strndup((const char *)o + OBJ_HEADER, (size_t)len))) {
      rc = -2;
      goto done;
    }
  }
  rc = 0;
done:
  collection_free(&c);
  free(f.image);
  free(desc);
  strata_h5_close(mtype);
  return rc;
}
