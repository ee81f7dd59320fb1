/* Helpers for the io tests: scratch paths and small HDF5 writers, so each
 * test builds exactly the file it needs with the plain HDF5 API. */
#ifndef STRATA_TEST_IO_FIXTURE_H
#define STRATA_TEST_IO_FIXTURE_H

#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $STRATA_TEST_TMP/<name> (or /tmp), in a static ring of buffers so a few
 * can be alive at once. */
static inline const char *fx_path(const char *name) {
  static char ring[8][1024];
  static int next = 0;
  const char *dir = getenv("STRATA_TEST_TMP");
  if (!dir || !*dir) dir = "/tmp";
  char *p = ring[next++ % 8];
  snprintf(p, sizeof ring[0], "%s/%s", dir, name);
  return p;
}

static inline hid_t fx_create(const char *path) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "fixture: cannot create %s\n", path);
    exit(2);
  }
  return f;
}

/* Writes a dataset of `rank` dims; chunk NULL = contiguous; deflate > 0
 * compresses.  data in mem_type. */
static inline void fx_write(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                            const hsize_t *dims, const hsize_t *chunk, int deflate, const void *data) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (chunk) H5Pset_chunk(dcpl, rank, chunk);
  if (chunk && deflate > 0) H5Pset_deflate(dcpl, (unsigned)deflate);
  hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d < 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fprintf(stderr, "fixture: cannot write %s\n", name);
    exit(2);
  }
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
}

/* A 1-D float32 column. */
static inline void fx_column_f32(hid_t loc, const char *name, const float *v, hsize_t n, hsize_t chunk) {
  fx_write(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, chunk ? &chunk : NULL, 0, v);
}

/* A 1-D dataset of n variable-length strings. */
static inline void fx_strings(hid_t loc, const char *name, const char *const *s, hsize_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  fx_write(loc, name, t, t, 1, &n, NULL, 0, s);
  H5Tclose(t);
}

/* A string-array attribute; fixed_len > 0 writes fixed-length strings. */
static inline void fx_string_attr(hid_t obj, const char *name, const char *const *s, hsize_t n,
                                  size_t fixed_len) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, fixed_len ? fixed_len : H5T_VARIABLE);
  hid_t space = H5Screate_simple(1, &n, NULL);
  hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
  if (fixed_len) {
    char *buf = calloc(n, fixed_len);
    for (hsize_t i = 0; i < n; i++) strncpy(buf + i * fixed_len, s[i], fixed_len);
    H5Awrite(a, t, buf);
    free(buf);
  } else {
    H5Awrite(a, t, s);
  }
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(t);
}

static inline void fx_text_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static inline int fx_exists(const char *path) { return access(path, F_OK) == 0; }

/* Number of entries in the scratch directory whose name starts with
 * `.<base>.tmp-`: temporary files an output left behind.  remove != 0
 * deletes them (stale ones from an earlier, killed run). */
static inline int fx_temp_files_ex(const char *base, int remove) {
  const char *dir = getenv("STRATA_TEST_TMP");
  if (!dir || !*dir) dir = "/tmp";
  char prefix[512];
  snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d));)
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
      n++;
      if (remove) {
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        unlink(full);
      }
    }
  closedir(d);
  return n;
}

static inline int fx_temp_files(const char *base) { return fx_temp_files_ex(base, 0); }
static inline void fx_clean_temp_files(const char *base) { fx_temp_files_ex(base, 1); }

#endif
