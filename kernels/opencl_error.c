/* OpenCL status codes turned into Strata errors that name the failed call,
 * and the fault injection the tests use to reach the failure paths. */
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

const char *ocl_error_name(cl_int err) {
  switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
    E(CL_DEVICE_PARTITION_FAILED) E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE)
    E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE)
    E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    E(CL_INVALID_IMAGE_SIZE) E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY)
    E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE)
    E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL)
    E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT)
    E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_INVALID_PROPERTY) E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS)
    E(CL_INVALID_LINKER_OPTIONS) E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR"; /* cl_khr_icd: no platform installed */
    default: return "CL_UNKNOWN_ERROR";
  }
}

strata_status ocl_check(cl_int err, const char *what) {
  if (err == CL_SUCCESS) return STRATA_OK;
  return strata_fail(STRATA_ERR_BACKEND, "%s failed: %s (%d)", what, ocl_error_name(err), (int)err);
}

int ocl_is_out_of_memory(cl_int err) {
  return err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
         err == CL_INVALID_BUFFER_SIZE;
}

/* ---- fault injection ------------------------------------------------------ */

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static long fault_launch_at = 0;      /* 0 = off; else the 1-based launch that fails first */
static unsigned long long fault_alloc_above = 0; /* 0 = off */
static long launches = 0;

static void fault_init(void) {
  const char *s = getenv("STRATA_OPENCL_FAULT");
  if (!s || !*s) return;
  char *end = NULL;
  if (strncmp(s, "launch:", 7) == 0) {
    long v = strtol(s + 7, &end, 10);
    if (end && *end == '\0' && v > 0) fault_launch_at = v;
  } else if (strncmp(s, "alloc:", 6) == 0) {
    unsigned long long v = strtoull(s + 6, &end, 10);
    if (end && *end == '\0' && v > 0) fault_alloc_above = v;
  }
  if (!fault_launch_at && !fault_alloc_above)
    strata_log(NULL, STRATA_LOG_WARN, "STRATA_OPENCL_FAULT='%s' not understood (launch:N or alloc:BYTES); ignored", s);
}

cl_int ocl_fault_launch(void) {
  pthread_once(&fault_once, fault_init);
  if (!fault_launch_at) return CL_SUCCESS;
  /* A lost device stays lost: every launch from the N-th on fails. */
  long n = __atomic_add_fetch(&launches, 1, __ATOMIC_RELAXED);
  return n >= fault_launch_at ? CL_DEVICE_NOT_AVAILABLE : CL_SUCCESS;
}

cl_int ocl_fault_alloc(size_t bytes) {
  pthread_once(&fault_once, fault_init);
  return fault_alloc_above && bytes > fault_alloc_above ? CL_MEM_OBJECT_ALLOCATION_FAILURE
                                                        : CL_SUCCESS;
}

/* ---- small wrappers ------------------------------------------------------- */

strata_status ocl_buffer(cl_context ctx, cl_mem_flags flags, size_t bytes, const char *what,
                         cl_mem *out, cl_int *code) {
  *out = NULL;
  cl_int err = ocl_fault_alloc(bytes);
  if (err == CL_SUCCESS) *out = clCreateBuffer(ctx, flags, bytes ? bytes : 4, NULL, &err);
  if (err != CL_SUCCESS) *out = NULL;
  if (code) *code = err;
  return ocl_check(err, what);
}

strata_status ocl_launch(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *global,
                         const size_t *local, cl_uint nwait, const cl_event *wait, cl_event *ev,
                         const char *what) {
  cl_int err = ocl_fault_launch();
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel(q, k, dims, NULL, global, local, nwait, nwait ? wait : NULL, ev);
  return ocl_check(err, what);
}

void ocl_release_mem(cl_mem *m) {
  if (*m) clReleaseMemObject(*m);
  *m = NULL;
}

void ocl_release_event(cl_event *e) {
  if (*e) clReleaseEvent(*e);
  *e = NULL;
}
