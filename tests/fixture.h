/* Test fixtures: small HDF5 files written and read with the HDF5 API
 * directly, so that tests of the library do not depend on its own writer. */
#ifndef STRATA_TEST_FIXTURE_H
#define STRATA_TEST_FIXTURE_H

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

static inline const char *fixture_tmpdir(void) {
  const char *t = getenv("STRATA_TEST_TMP");
  return t && *t ? t : "/tmp";
}

/* "<tmpdir>/<name>" in a static buffer (one of a few, rotating). */
static inline const char *fixture_path(const char *name) {
  static char buf[8][512];
  static int i = 0;
  char *b = buf[i++ & 7];
  snprintf(b, sizeof buf[0], "%s/%s", fixture_tmpdir(), name);
  return b;
}

/* Writes n×d row-major float data as one chunked 1-D float32 dataset per
 * column in the root group; names NULL gives x0, x1, ... Returns 0 on success. */
/* Imports csv into the table h5 with the defaults (strata_csv_import). */
static inline strata_status fixture_import_csv(const char *csv, const char *h5) {
  strata_csv_import_params p;
  strata_csv_import_params_init(&p);
  p.input = csv;
  p.output = h5;
  strata_csv_import_result *r = NULL;
  strata_status st = strata_csv_import(NULL, &p, &r);
  strata_csv_import_result_free(r);
  return st;
}

static inline int fixture_write_columns(const char *path, const char *const *names, size_t n,
                                        size_t d, const float *x, size_t chunk) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  float *col = malloc((n ? n : 1) * sizeof *col);
  int rc = 0;
  for (size_t j = 0; j < d && rc == 0; j++) {
    char name[32];
    if (!names) snprintf(name, sizeof name, "x%zu", j);
    hsize_t dims[1] = {n}, cdims[1] = {chunk ? chunk : 1024};
    if (cdims[0] > n && n > 0) cdims[0] = n;
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    if (n > 0) H5Pset_chunk(pl, 1, cdims);
    hid_t ds = H5Dcreate2(f, names ? names[j] : name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    for (size_t i = 0; i < n; i++) col[i] = x[i * d + j];
    if (ds < 0 || (n > 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, col) < 0))
      rc = -1;
    H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
  }
  free(col);
  H5Fclose(f);
  return rc;
}

/* Reads a whole 1-D dataset converted to `memtype` into out (n elements). */
static inline int fixture_read(const char *path, const char *name, hid_t memtype, void *out) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  int rc = ds >= 0 && H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0 ? 0 : -1;
  if (ds >= 0) H5Dclose(ds);
  H5Fclose(f);
  return rc;
}

/* Gaussian blobs: k centres spread `sep` apart on random axes, unit noise. */
static inline uint64_t fixture_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline double fixture_uniform(uint64_t *s) { return (double)(fixture_rand(s) >> 11) * 0x1.0p-53; }
static inline double fixture_normal(uint64_t *s) {
  double u = fixture_uniform(s) + 1e-300, v = fixture_uniform(s);
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
static inline void fixture_blobs(float *x, int32_t *truth, size_t n, size_t d, size_t k,
                                 double sep, uint64_t seed) {
  double *centres = malloc(k * d * sizeof *centres);
  for (size_t i = 0; i < k * d; i++) centres[i] = (fixture_uniform(&seed) - 0.5) * sep;
  for (size_t i = 0; i < n; i++) {
    size_t c = (size_t)(fixture_rand(&seed) % k);
    if (truth) truth[i] = (int32_t)c;
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(centres[c * d + j] + fixture_normal(&seed));
  }
  free(centres);
}

/* Adjusted Rand index of two labelings of n items (labels in 0..k-1). */
static inline double fixture_ari(const int32_t *a, const int32_t *b, size_t n, int ka, int kb) {
  double *t = calloc((size_t)ka * (size_t)kb, sizeof *t), *ra = calloc((size_t)ka, sizeof *ra),
         *rb = calloc((size_t)kb, sizeof *rb);
  for (size_t i = 0; i < n; i++) { t[(size_t)a[i] * (size_t)kb + (size_t)b[i]] += 1; ra[a[i]] += 1; rb[b[i]] += 1; }
  double s = 0, sa = 0, sb = 0;
  for (int i = 0; i < ka * kb; i++) s += t[i] * (t[i] - 1) / 2;
  for (int i = 0; i < ka; i++) sa += ra[i] * (ra[i] - 1) / 2;
  for (int i = 0; i < kb; i++) sb += rb[i] * (rb[i] - 1) / 2;
  double total = (double)n * ((double)n - 1) / 2, expected = sa * sb / total;
  free(t); free(ra); free(rb);
  return (s - expected) / ((sa + sb) / 2 - expected);
}

#endif
