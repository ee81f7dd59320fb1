/* The OpenCL backend in a build without OpenCL (-DSTRATA_OPENCL=OFF, or no
 * OpenCL headers and loader at configure time): no devices, and a reason. */
#include "error.h"
#include "opencl.h"

int strata_ocl_built(void) { return 0; }
size_t strata_ocl_device_count(void) { return 0; }
const strata_ocl_device_info *strata_ocl_device(size_t i) {
  (void)i;
  return NULL;
}
const char *strata_ocl_discovery_note(void) {
  return "this build of Strata has no OpenCL support (configured with STRATA_OPENCL=OFF)";
}
const strata_kernels *strata_ocl_table(size_t i) {
  (void)i;
  return NULL;
}
int strata_ocl_table_device(const strata_kernels *t) {
  (void)t;
  return -1;
}
strata_status strata_ocl_prepare(const strata_ctx *ctx, size_t i, size_t k) {
  (void)k;
  return strata_fail(STRATA_ERR_BACKEND, "no OpenCL device %zu: %s", i, strata_ocl_discovery_note());
}
