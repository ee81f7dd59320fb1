/* What every source kind shares (io/source.h): the range check before a
 * read, close, the chunk rule, the column choice over whole rows. */
#include "source.h"

#include "error.h"

/* Used when a caller passes target_bytes == 0. */
#define DEFAULT_CHUNK_BYTES ((size_t)8 << 20)

strata_status strata_source_read(strata_source *s, size_t row0, size_t rows, const size_t *pick, size_t npick,
                                 float *out) {
  RETURN_IF(row0 > s->rows || rows > s->rows - row0, STRATA_ERR_USAGE, "rows %zu-%zu are outside '%s' (%zu rows)",
            row0, row0 + rows - 1, s->path, s->rows);
  for (size_t j = 0; pick && j < npick; j++)
    RETURN_IF(pick[j] >= s->cols, STRATA_ERR_USAGE, "column %zu is outside '%s' (%zu columns)", pick[j], s->path,
              s->cols);
  if (rows == 0) return STRATA_OK;
  return s->ops->read(s, row0, rows, pick, pick ? npick : s->cols, out);
}

void strata_source_close(strata_source *s) {
  if (s) s->ops->close(s);
}

size_t strata_source_recommend_chunk(const strata_source *s, size_t multiple, size_t target_bytes) {
  return s->ops->recommend_chunk(s, multiple, target_bytes);
}

static size_t gcd_size(size_t a, size_t b) {
  while (b) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Nearest multiple of m to x, at least m. */
static size_t round_to_multiple(size_t x, size_t m) {
  size_t r = (x + m / 2) / m * m;
  return r < m ? m : r;
}

size_t strata_source_chunk_rule(size_t rows, size_t cols, size_t file_chunk_rows, size_t multiple,
                                size_t target_bytes) {
  size_t m = multiple ? multiple : 1;
  cols = cols ? cols : 1;
  size_t target = (target_bytes ? target_bytes : DEFAULT_CHUNK_BYTES) / (sizeof(float) * cols);
  size_t r = round_to_multiple(target, m);

  /* Following the file's chunks means each is read (and decompressed) once
   * per pass; worth it while the common multiple stays near the target. */
  size_t fc = file_chunk_rows;
  if (fc > 0) {
    size_t g = gcd_size(m, fc);
    size_t lcm = m / g <= SIZE_MAX / fc ? m / g * fc : 0;
    if (lcm > 0 && lcm <= 2 * target) r = round_to_multiple(target, lcm);
  }

  size_t cover = rows == 0 ? m : (rows + m - 1) / m * m;
  return r < cover ? r : cover;
}

size_t strata_source_default_chunk(const strata_source *s, size_t multiple, size_t target_bytes) {
  return strata_source_chunk_rule(s->rows, s->cols, s->file_chunk_rows, multiple, target_bytes);
}

void strata_source_pick(float *restrict out, const float *restrict src, size_t rows, size_t cols,
                        const size_t *pick, size_t npick) {
  for (size_t i = 0; i < rows; i++) {
    const float *row = src + i * cols;
    float *dst = out + i * npick;
    for (size_t j = 0; j < npick; j++) dst[j] = row[pick ? pick[j] : j];
  }
}
