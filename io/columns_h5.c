/* strata_write_h5_columns (io/columns_h5.h). */
#include <hdf5.h>

#include "columns_h5.h"
#include "error.h"
#include "h5_util.h"
#include "output_file.h"

static hid_t file_type(strata_col_type t) {
  return t == STRATA_COL_F64 ? H5T_IEEE_F64LE : t == STRATA_COL_I64 ? H5T_STD_I64LE : H5T_STD_I32LE;
}

static hid_t mem_type(strata_col_type t) {
  return t == STRATA_COL_F64 ? H5T_NATIVE_DOUBLE : t == STRATA_COL_I64 ? H5T_NATIVE_INT64 : H5T_NATIVE_INT32;
}

/* Caller holds the lock.  Returns 0 or -1. */
static int write_all(const char *tmp, const strata_h5_column *cols, size_t ncols, size_t rows) {
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  int rc = 0;
  hsize_t dims = rows;
  for (size_t j = 0; j < ncols && rc == 0; j++) {
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t ds = space < 0 ? -1
                         : H5Dcreate2(f, cols[j].name, file_type(cols[j].type), space, H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT);
    if (ds < 0 || (rows > 0 && H5Dwrite(ds, mem_type(cols[j].type), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                        cols[j].data) < 0))
      rc = -1;
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
  }
  if (H5Fclose(f) < 0) rc = -1;
  return rc;
}

strata_status strata_write_h5_columns(const char *path, const strata_h5_column *cols, size_t ncols,
                                      size_t rows) {
  strata_output_file out;
  FORWARD_IF_ERROR(strata_output_begin(path, &out));
  strata_h5_lock();
  int rc = write_all(out.tmp_path, cols, ncols, rows);
  char detail[256] = "";
  if (rc != 0) strata_h5_error_text(detail, sizeof detail);
  strata_h5_unlock();
  if (rc != 0) {
    strata_output_abort(&out);
    return strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", path, detail);
  }
  return strata_output_commit(&out);
}
