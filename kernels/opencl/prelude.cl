/* Prelude of the Strata OpenCL program: tuning constants and precision.
 *
 * The host concatenates prelude.cl, assign.cl, reduce.cl, dist2_points.cl and
 * scale.cl into one program and builds it once per device and option set (see
 * kernels/opencl_program.c).  Every constant below is a -D build option whose
 * per-device default is chosen by the host (kernels/opencl_tuning.c); the
 * values here only make the file compile on its own. */

#ifdef STRATA_FORCE_BUILD_ERROR
/* Lets the tests exercise the build-failure path:
 * STRATA_OPENCL_EXTRA_OPTIONS=-DSTRATA_FORCE_BUILD_ERROR. */
#error "build failure forced by -DSTRATA_FORCE_BUILD_ERROR"
#endif

/* Rows per work-group of assign_f32; one row per work-item. */
#ifndef STRATA_WG
#define STRATA_WG 64
#endif
/* Centroids per tile: each work-item keeps STRATA_TILE_K running distances
 * in registers, so this trades register pressure for reuse of a staged row. */
#ifndef STRATA_TILE_K
#define STRATA_TILE_K 16
#endif
/* Features per tile staged in local memory, for both the rows and the
 * centroids of a tile. */
#ifndef STRATA_TILE_D
#define STRATA_TILE_D 32
#endif
/* Rows per work-item of scale_rows (one feature of STRATA_SCALE_ROWS
 * consecutive rows). */
#ifndef STRATA_SCALE_ROWS
#define STRATA_SCALE_ROWS 1
#endif
/* 1 when the device has cl_khr_fp64: exact float64 distances and sums are
 * then computed on the device.  Without it the host does the float64 work. */
#ifndef STRATA_HAVE_FP64
#define STRATA_HAVE_FP64 0
#endif

#if STRATA_HAVE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

/* No contraction of a*b+c into fma anywhere unless a block asks for it: the
 * float64 paths must round exactly like the reference kernels (kernels/ref.c)
 * so that sums and inertia come out bit-identical given equal labels. */
#pragma OPENCL FP_CONTRACT OFF
