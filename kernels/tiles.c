/* The loops over row tiles shared by the direct kernels' distance-to-points
 * paths (kernels_internal.h, strata_tile_ops): each ISA supplies its tile
 * size, transpose and per-tile distances; the walking is the same. */
#include "kernels_internal.h"

void strata_tiles_dist2(const strata_tile_ops *o, const float *x, size_t rows, size_t ld,
                        size_t d, const float *cand, size_t m, float *out, float *xt) {
  const float *x_end = x + (rows - 1) * ld + d;
  for (size_t i0 = 0; i0 < rows; i0 += o->tile_rows) {
    const size_t nr = rows - i0 < o->tile_rows ? rows - i0 : o->tile_rows;
    o->transpose(x + i0 * ld, nr, ld, d, xt, x_end);
    o->dist2_tile(xt, nr, d, cand, m, out + i0, rows);
  }
}

size_t strata_tiles_packed_bytes(const strata_tile_ops *o, size_t rows, size_t d) {
  return (rows + o->tile_rows - 1) / o->tile_rows * o->tile_bytes(d);
}

void strata_tiles_pack(const strata_tile_ops *o, const float *x, size_t rows, size_t ld, size_t d,
                       void *packed) {
  if (rows == 0) return;
  const float *x_end = x + (rows - 1) * ld + d;
  char *p = packed;
  for (size_t i0 = 0; i0 < rows; i0 += o->tile_rows, p += o->tile_bytes(d)) {
    const size_t nr = rows - i0 < o->tile_rows ? rows - i0 : o->tile_rows;
    o->transpose(x + i0 * ld, nr, ld, d, (float *)p, x_end);
  }
}

void strata_tiles_dist2_packed(const strata_tile_ops *o, const void *packed, size_t rows, size_t d,
                               const float *cand, size_t m, float *out) {
  const char *p = packed;
  for (size_t i0 = 0; i0 < rows; i0 += o->tile_rows, p += o->tile_bytes(d)) {
    const size_t nr = rows - i0 < o->tile_rows ? rows - i0 : o->tile_rows;
    o->dist2_tile((const float *)p, nr, d, cand, m, out + i0, rows);
  }
}
