/* A file rewritten under a streaming fit is an error (exit 1), never a
 * model of neither version: caught by its modification time, and, when
 * that was put back, by the values a pass read. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"

/* Each column larger than HDF5's 1 MiB chunk cache, so that a later pass
 * reads the rewritten rows from the file, not from the cache. */
enum { N = 300000, D = 2, CHUNK = 1000 };

typedef struct {
  const char *path;
  haddr_t addr;      /* of column x0's first chunk */
  int restore_mtime; /* put the modification time back after the rewrite */
  struct stat before;
  int done;
} rewrite;

/* After the first Lloyd iteration, another writer changes the first rows. */
static void rewrite_at_iteration(const strata_progress *pr, void *user) {
  rewrite *r = user;
  if (r->done || pr->stage != STRATA_STAGE_ITER || pr->iteration != 1) return;
  r->done = 1;
  CHECK(stat(r->path, &r->before) == 0);
  FILE *f = fopen(r->path, "r+b");
  CHECK(f != NULL);
  if (!f) return;
  fseek(f, (long)r->addr, SEEK_SET);
  float v[CHUNK];
  for (int i = 0; i < CHUNK; i++) v[i] = 1000.0f + (float)i;
  fwrite(v, sizeof v[0], CHUNK, f);
  fclose(f);
  if (r->restore_mtime) {
    const struct timespec t[2] = {r->before.st_atim, r->before.st_mtim};
    CHECK(utimensat(AT_FDCWD, r->path, t, 0) == 0);
  }
}

/* N×D normal values in columns x0, x1 of `name`; its path. */
static const char *make_file(const char *name, uint64_t seed) {
  const char *path = fixture_path(name);
  static float x[N * D];
  for (size_t i = 0; i < N * D; i++) x[i] = (float)fixture_normal(&seed);
  CHECK(fixture_write_columns(path, NULL, N, D, x, CHUNK) == 0);
  return path;
}

/* A fit that reads the file again on every pass. */
static void streaming_params(strata_fit_params *p) {
  strata_fit_params_init(p);
  p->k = 3;
  p->tol = 0.0;
  p->max_iter = 6;
  p->streaming = 1;
  p->chunk_rows = 4096;
}

static void run(int restore_mtime, const char *expect) {
  const char *path = make_file(restore_mtime ? "change_hash.h5" : "change_mtime.h5", 3);
  rewrite r = {path, 0, restore_mtime, {0}, 0};
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "x0", H5P_DEFAULT), space = H5Dget_space(d);
  hsize_t size = 0;
  CHECK(H5Dget_chunk_info(d, space, 0, NULL, NULL, &r.addr, &size) >= 0 && size == CHUNK * sizeof(float));
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);

  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) return;
  strata_fit_params p;
  streaming_params(&p);
  p.progress = rewrite_at_iteration;
  p.progress_user = &r;
  strata_model *m = NULL;
  strata_status st = strata_fit(NULL, ds, &p, &m);
  CHECK_MSG(r.done && st == STRATA_ERR_IO && m == NULL, "%s: %s", strata_status_name(st), strata_last_error());
  CHECK_MSG(strstr(strata_last_error(), expect) != NULL, "detail: %s", strata_last_error());
  if (restore_mtime) {
    struct stat after;
    CHECK(stat(path, &after) == 0 && after.st_mtim.tv_sec == r.before.st_mtim.tv_sec &&
          after.st_mtim.tv_nsec == r.before.st_mtim.tv_nsec);
  }
  strata_model_free(m);
  strata_dataset_free(ds);
}

/* Unchanged, the same streaming fit works: no false alarm. */
static void unchanged(void) {
  const char *path = make_file("change_none.h5", 4);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  strata_fit_params p;
  streaming_params(&p);
  strata_model *m = NULL;
  if (ds) CHECK_OK(strata_fit(NULL, ds, &p, &m));
  strata_model_free(m);
  strata_dataset_free(ds);
}

int main(void) {
  unchanged();
  run(0, "changed while it was being read (it is not the file that was opened)");
  run(1, "a pass read other values than the first");
  return check_report();
}
