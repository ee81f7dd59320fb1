/* Platform and device discovery, device information, and each device's
 * context, queue and programs (created on first use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

static pthread_once_t discover_once = PTHREAD_ONCE_INIT;
static ocl_device *devices;
static size_t ndevices;
static char discovery_note[512];

int strata_ocl_built(void) { return 1; }

static void get_str(cl_device_id d, cl_device_info what, char *buf, size_t size) {
  buf[0] = '\0';
  if (clGetDeviceInfo(d, what, size, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
  buf[size - 1] = '\0';
}

static uint64_t get_u64(cl_device_id d, cl_device_info what) {
  cl_ulong v = 0;
  return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? (uint64_t)v : 0;
}

static unsigned get_uint(cl_device_id d, cl_device_info what) {
  cl_uint v = 0;
  return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? (unsigned)v : 0;
}

/* "OpenCL 1.2 ..." / "OpenCL C 1.2 ..." -> 12; 0 if it does not parse. */
static int cl_version_of(const char *s, const char *prefix) {
  int major = 0, minor = 0;
  size_t n = strlen(prefix);
  if (strncmp(s, prefix, n) != 0 || sscanf(s + n, "%d.%d", &major, &minor) != 2) return 0;
  return major * 10 + minor;
}

static void describe(ocl_device *dev, cl_platform_id p, cl_device_id d, size_t index) {
  strata_ocl_device_info *in = &dev->info;
  in->index = (int)index;
  clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof in->platform, in->platform, NULL);
  clGetPlatformInfo(p, CL_PLATFORM_VERSION, sizeof in->platform_version, in->platform_version, NULL);
  in->platform[sizeof in->platform - 1] = in->platform_version[sizeof in->platform_version - 1] = '\0';
  get_str(d, CL_DEVICE_NAME, in->name, sizeof in->name);
  get_str(d, CL_DEVICE_VENDOR, in->vendor, sizeof in->vendor);
  get_str(d, CL_DRIVER_VERSION, in->driver, sizeof in->driver);
  get_str(d, CL_DEVICE_VERSION, in->version, sizeof in->version);
  get_str(d, CL_DEVICE_OPENCL_C_VERSION, in->c_version, sizeof in->c_version);
  cl_device_type type = 0;
  clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  in->type = (type & CL_DEVICE_TYPE_GPU) ? "gpu"
             : (type & CL_DEVICE_TYPE_CPU) ? "cpu"
             : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other";
  in->global_mem = get_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE);
  in->max_alloc = get_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
  in->local_mem = get_u64(d, CL_DEVICE_LOCAL_MEM_SIZE);
  in->compute_units = get_uint(d, CL_DEVICE_MAX_COMPUTE_UNITS);
  in->clock_mhz = get_uint(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
  size_t wg = 0;
  clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  in->max_work_group = wg;
  cl_device_fp_config fp64 = 0;
  clGetDeviceInfo(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
  in->fp64 = fp64 != 0;

  cl_bool avail = CL_FALSE, compiler = CL_FALSE;
  clGetDeviceInfo(d, CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL);
  clGetDeviceInfo(d, CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, NULL);
  in->usable = 0;
  if (!avail)
    snprintf(in->unusable_reason, sizeof in->unusable_reason, "device reports it is not available");
  else if (!compiler)
    snprintf(in->unusable_reason, sizeof in->unusable_reason, "device has no OpenCL C compiler");
  else if (cl_version_of(in->version, "OpenCL ") < 12 || cl_version_of(in->c_version, "OpenCL C ") < 12)
    snprintf(in->unusable_reason, sizeof in->unusable_reason, "needs OpenCL 1.2, device has '%.80s'",
             in->version);
  else if (in->local_mem < 16384 || in->max_work_group < 16)
    snprintf(in->unusable_reason, sizeof in->unusable_reason,
             "too small (local memory %llu bytes, work-groups of %zu)",
             (unsigned long long)in->local_mem, in->max_work_group);
  else if (index >= STRATA_OCL_MAX_DEVICES)
    snprintf(in->unusable_reason, sizeof in->unusable_reason, "more than %d devices",
             STRATA_OCL_MAX_DEVICES);
  else
    in->usable = 1;
  dev->platform = p;
  dev->id = d;
  pthread_mutex_init(&dev->lock, NULL);
}

static void note_append(const char *fmt, const char *a, cl_int err) {
  size_t len = strlen(discovery_note);
  if (len + 2 >= sizeof discovery_note) return;
  snprintf(discovery_note + len, sizeof discovery_note - len, "%s", len ? "; " : "");
  len = strlen(discovery_note);
  snprintf(discovery_note + len, sizeof discovery_note - len, fmt, a, ocl_error_name(err), (int)err);
}

static void discover(void) {
  cl_uint np = 0;
  cl_int err = clGetPlatformIDs(0, NULL, &np);
  if (err != CL_SUCCESS || np == 0) {
    /* The usual case on a machine without OpenCL: ocl-icd found no ICD file
     * in /etc/OpenCL/vendors (or OCL_ICD_VENDORS). */
    snprintf(discovery_note, sizeof discovery_note,
             "no OpenCL platform: clGetPlatformIDs failed: %s (%d); install an OpenCL driver "
             "(an ICD file in /etc/OpenCL/vendors)",
             ocl_error_name(err == CL_SUCCESS ? -1001 : err), (int)(err == CL_SUCCESS ? -1001 : err));
    return;
  }
  cl_platform_id *plats = calloc(np, sizeof *plats);
  if (!plats || clGetPlatformIDs(np, plats, NULL) != CL_SUCCESS) {
    snprintf(discovery_note, sizeof discovery_note, "no OpenCL platform: out of memory listing them");
    free(plats);
    return;
  }
  for (cl_uint i = 0; i < np; i++) {
    char pname[128] = "";
    clGetPlatformInfo(plats[i], CL_PLATFORM_NAME, sizeof pname, pname, NULL);
    pname[sizeof pname - 1] = '\0';
    cl_uint nd = 0;
    err = clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
    if (err == CL_DEVICE_NOT_FOUND || nd == 0) continue;
    if (err != CL_SUCCESS) {
      note_append("platform '%s': clGetDeviceIDs failed: %s (%d)", pname, err);
      continue;
    }
    cl_device_id *ids = calloc(nd, sizeof *ids);
    ocl_device *grown = realloc(devices, (ndevices + nd) * sizeof *devices);
    if (!ids || !grown) {
      free(ids);
      if (grown) devices = grown;
      break;
    }
    devices = grown;
    err = clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, nd, ids, NULL);
    if (err != CL_SUCCESS) {
      note_append("platform '%s': clGetDeviceIDs failed: %s (%d)", pname, err);
      free(ids);
      continue;
    }
    for (cl_uint j = 0; j < nd; j++) {
      memset(&devices[ndevices], 0, sizeof devices[ndevices]);
      describe(&devices[ndevices], plats[i], ids[j], ndevices);
      ndevices++;
    }
    free(ids);
  }
  free(plats);
  if (ndevices == 0 && !discovery_note[0])
    snprintf(discovery_note, sizeof discovery_note, "no OpenCL device: %u platform%s, none with devices",
             (unsigned)np, np == 1 ? "" : "s");
}

static void discover_once_now(void) { pthread_once(&discover_once, discover); }

size_t strata_ocl_device_count(void) {
  discover_once_now();
  return ndevices;
}

const strata_ocl_device_info *strata_ocl_device(size_t i) {
  discover_once_now();
  return i < ndevices ? &devices[i].info : NULL;
}

const char *strata_ocl_discovery_note(void) {
  discover_once_now();
  return discovery_note;
}

ocl_device *ocl_device_get(size_t i) {
  discover_once_now();
  return i < ndevices ? &devices[i] : NULL;
}

strata_status ocl_device_open_locked(ocl_device *dev) {
  if (dev->context_state == 1) return STRATA_OK;
  if (dev->context_state == -1)
    return strata_fail(STRATA_ERR_BACKEND, "%s", dev->context_error);
  cl_int err;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0};
  strata_status st = STRATA_OK;
  dev->ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &err);
  GOTO_IF_ERROR(st, ocl_check(err, "clCreateContext"), fail);
  dev->queue = clCreateCommandQueue(dev->ctx, dev->id, 0, &err);
  GOTO_IF_ERROR(st, ocl_check(err, "clCreateCommandQueue"), fail);
  dev->context_state = 1;
  return STRATA_OK;
fail:
  snprintf(dev->context_error, sizeof dev->context_error, "OpenCL device %d (%s): %s",
           dev->info.index, dev->info.name, strata_last_error());
  if (dev->ctx) clReleaseContext(dev->ctx);
  dev->ctx = NULL;
  dev->context_state = -1;
  return strata_fail(st, "%s", dev->context_error);
}

strata_status ocl_device_program_locked(const strata_ctx *ctx, ocl_device *dev, size_t k, ocl_program **out) {
  FORWARD_IF_ERROR(ocl_device_open_locked(dev));
  ocl_tuning t = ocl_tuning_for(ctx, &dev->info, k);
  for (int i = 0; i < dev->nprograms; i++) {
    if (memcmp(&dev->programs[i].tune, &t, sizeof t) == 0) {
      *out = &dev->programs[i];
      return STRATA_OK;
    }
  }
  /* A failed build is not remembered: the options come from the environment,
   * and it is cheap to fail again.  Only a handful of tunings exist per
   * device (tile_k follows k in steps), so the table never fills. */
  RETURN_IF(dev->nprograms == OCL_MAX_PROGRAMS, STRATA_ERR_INTERNAL,
            "OpenCL device %d: too many program variants", dev->info.index);
  ocl_program *p = &dev->programs[dev->nprograms];
  FORWARD_IF_ERROR(ocl_program_build(ctx, dev, &t, p));
  dev->nprograms++;
  *out = p;
  return STRATA_OK;
}

void ocl_device_mark_broken(const strata_ctx *ctx, ocl_device *dev, const char *consequence) {
  pthread_mutex_lock(&dev->lock);
  if (!dev->broken) {
    dev->broken = 1;
    snprintf(dev->broken_error, sizeof dev->broken_error, "%s", strata_last_error());
  }
  int warn = !dev->warned;
  dev->warned = 1;
  pthread_mutex_unlock(&dev->lock);
  if (warn)
    strata_log(ctx, STRATA_LOG_WARN, "OpenCL device %d (%s) failed: %s; %s", dev->info.index,
               dev->info.name, dev->broken_error, consequence);
}

strata_status strata_ocl_prepare(const strata_ctx *ctx, size_t i, size_t k) {
  ocl_device *dev = ocl_device_get(i);
  RETURN_IF(!dev, STRATA_ERR_USAGE, "no OpenCL device %zu (found %zu)", i, strata_ocl_device_count());
  RETURN_IF(!dev->info.usable, STRATA_ERR_BACKEND, "OpenCL device %zu (%s) is not usable: %s", i,
            dev->info.name, dev->info.unusable_reason);
  pthread_mutex_lock(&dev->lock);
  ocl_program *p = NULL;
  strata_status st = dev->broken ? strata_fail(STRATA_ERR_BACKEND, "%s", dev->broken_error)
                                 : ocl_device_program_locked(ctx, dev, k, &p);
  pthread_mutex_unlock(&dev->lock);
  return st;
}
