/*
 * labels_equal — test helper for the `strata` command's script tests.
 *
 *   labels_equal A.h5 B.h5    exit 0 when the `segment` columns of two labels
 *                             files hold the same values row for row, 1 when
 *                             they differ (the first difference is printed),
 *                             2 when a file cannot be read.
 *   labels_equal --counts A.h5
 *                             prints the number of rows per segment, in
 *                             segment order, space separated, then the
 *                             number of rows without a segment (-1).
 *
 * Reads HDF5 directly; it does not link the Strata library, so it checks the
 * files the library wrote independently of the code that wrote them.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads /segment of path as int32; returns NULL (message printed) on error. */
static int32_t *read_segments(const char *path, hsize_t *n) {
  int32_t *v = NULL;
  hid_t file = -1, dset = -1, space = -1;
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    fprintf(stderr, "labels_equal: cannot open '%s'\n", path);
    goto done;
  }
  dset = H5Dopen2(file, "segment", H5P_DEFAULT);
  if (dset < 0) {
    fprintf(stderr, "labels_equal: '%s' has no 'segment' dataset\n", path);
    goto done;
  }
  space = H5Dget_space(dset);
  if (space < 0 || H5Sget_simple_extent_ndims(space) != 1) {
    fprintf(stderr, "labels_equal: '%s': 'segment' is not 1-D\n", path);
    goto done;
  }
  H5Sget_simple_extent_dims(space, n, NULL);
  v = malloc(*n ? *n * sizeof *v : 1);
  if (!v || H5Dread(dset, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
    fprintf(stderr, "labels_equal: cannot read 'segment' of '%s'\n", path);
    free(v);
    v = NULL;
  }
done:
  if (space >= 0) H5Sclose(space);
  if (dset >= 0) H5Dclose(dset);
  if (file >= 0) H5Fclose(file);
  return v;
}

static int counts(const char *path) {
  hsize_t n = 0;
  int32_t *v = read_segments(path, &n);
  if (!v) return 2;
  int32_t kmax = -1;
  for (hsize_t i = 0; i < n; i++)
    if (v[i] > kmax) kmax = v[i];
  uint64_t *c = calloc((size_t)kmax + 2, sizeof *c);
  uint64_t none = 0;
  int rc = 0;
  if (!c) return free(v), 2;
  for (hsize_t i = 0; i < n; i++) {
    if (v[i] >= 0) c[v[i]]++;
    else if (v[i] == -1) none++;
    else {
      fprintf(stderr, "labels_equal: '%s' row %llu: invalid segment %d\n", path, (unsigned long long)i, v[i]);
      rc = 2;
    }
  }
  for (int32_t s = 0; s <= kmax; s++) printf("%s%llu", s ? " " : "", (unsigned long long)c[s]);
  printf("\n%llu\n", (unsigned long long)none);
  free(c);
  free(v);
  return rc;
}

int main(int argc, char **argv) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (argc == 3 && strcmp(argv[1], "--counts") == 0) return counts(argv[2]);
  if (argc != 3) {
    fprintf(stderr, "usage: labels_equal A.h5 B.h5 | labels_equal --counts A.h5\n");
    return 2;
  }
  hsize_t na = 0, nb = 0;
  int32_t *a = read_segments(argv[1], &na);
  int32_t *b = a ? read_segments(argv[2], &nb) : NULL;
  int rc = 2;
  if (a && b) {
    rc = 0;
    if (na != nb) {
      printf("labels_equal: %llu rows vs %llu rows\n", (unsigned long long)na, (unsigned long long)nb);
      rc = 1;
    } else {
      for (hsize_t i = 0; i < na; i++)
        if (a[i] != b[i]) {
          printf("labels_equal: row %llu: segment %d vs %d\n", (unsigned long long)i, a[i], b[i]);
          rc = 1;
          break;
        }
    }
  }
  free(a);
  free(b);
  return rc;
}
