/*
 * strata_gen.c — the `strata-gen` tool: seeded synthetic data as columnar HDF5.
 *
 * Two kinds of table:
 *  - customers (default): a realistic customer table drawn from a handful of
 *    planted segments (customer_id, age, income, purchase_frequency,
 *    recency_days, avg_basket_value, tenure_months [, true_segment]);
 *  - blobs: isotropic Gaussian blobs of any shape (x0..x{D-1} [, true_segment]).
 *
 * Every value of row r is a pure function of (seed, r): each row has its own
 * counter-based random stream (splitmix64 keyed by seed and row), so the
 * output is identical whatever --chunk-rows is, and the row order is fixed.
 * Rows are generated and written block by block (a whole number of HDF5
 * chunks per block), so memory stays constant however many rows are asked.
 *
 * Uses only the HDF5 C API and libm; it does not link the Strata library.
 * The file is written under a temporary name and renamed into place at the end.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GEN_VERSION "0.1.0"
#define MAX_SEGMENTS 256
#define MAX_DIMS 100000
#define GOLDEN 0x9E3779B97F4A7C15ULL

/* ------------------------------------------------------------ random streams */

static inline uint64_t mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* The state of row `row`'s own stream under `key`. */
static inline uint64_t row_state(uint64_t key, uint64_t row) { return key ^ mix64(row * GOLDEN + 0x632BE59BD9B4E019ULL); }

/* splitmix64 step. */
static inline uint64_t next64(uint64_t *s)
{
  *s += GOLDEN;
  return mix64(*s);
}

/* Uniform in [0, 1). */
static inline double u01(uint64_t x) { return (double)(x >> 11) * 0x1.0p-53; }
/* Uniform in (0, 1). */
static inline double u01_open(uint64_t x) { return ((double)(x >> 11) + 0.5) * 0x1.0p-53; }
/* Uniform integer in [0, n). */
static inline uint32_t bounded(uint64_t x, uint32_t n) { return (uint32_t)(((x >> 32) * (uint64_t)n) >> 32); }

/* Two independent standard normals (Box-Muller). */
static inline void normal2(uint64_t *s, double *z0, double *z1)
{
  double r = sqrt(-2.0 * log(u01_open(next64(s))));
  double t = 6.283185307179586 * u01(next64(s));
  *z0 = r * cos(t);
  *z1 = r * sin(t);
}

/* ------------------------------------------------------------ options */

enum kind { KIND_CUSTOMERS, KIND_BLOBS };
enum layout { LAYOUT_DEFAULT, LAYOUT_COLUMNS, LAYOUT_MATRIX };

typedef struct {
  enum kind kind;
  uint64_t rows;
  uint64_t seed;
  const char *out;
  const char *group;
  int segments;
  double missing; /* < 0: default for the kind */
  int truth;
  enum layout layout;
  int f64;
  uint64_t chunk_rows; /* 0: automatic */
  double separation;
  int inf;
  int dims, centers;
  double std;
  int verbose;
} options;

static void usage(FILE *f)
{
  fprintf(f,
    "usage: strata-gen [options] -o FILE\n"
    "Writes a seeded synthetic table as columnar HDF5 (one chunked 1-D dataset per\n"
    "column in a group, or one 2-D n x d dataset \"data\"). The same seed gives the\n"
    "same values whatever --chunk-rows is.\n"
    "\n"
    "  -o, --output FILE     output file (written to a temporary name, then renamed)\n"
    "  --kind customers|blobs  what to generate (default customers)\n"
    "  --rows N              number of rows (default 100000; 0 gives empty datasets;\n"
    "                        1e6-style notation accepted)\n"
    "  --seed S              random seed (default 42)\n"
    "  --group NAME          HDF5 group to write into (default the root group)\n"
    "  --layout columns|matrix  one 1-D dataset per column (default for customers), or\n"
    "                        one 2-D dataset \"data\" with a \"columns\" attribute listing\n"
    "                        the names (default for blobs; customer_id excluded)\n"
    "  --dtype float32|float64  type of the float columns (default float32)\n"
    "  --chunk-rows R        HDF5 chunk length in rows (default 65536; for the matrix\n"
    "                        layout smaller when rows x d would pass 4 MiB)\n"
    "  --missing FRAC        fraction of NaN cells: customers, in income,\n"
    "                        avg_basket_value and recency_days (default 0.02);\n"
    "                        blobs, in every column (default 0); 0 disables\n"
    "  --truth               also write the planted segment as int32 \"true_segment\"\n"
    "                        (columns layout: a column of the group; matrix layout:\n"
    "                        GROUP/truth/true_segment, so it is never read as a feature)\n"
    "  --inf                 put one +Inf in income (blobs: x0) at row 3\n"
    "  -v, --verbose         print a summary line on stderr\n"
    "  -h, --help            this text\n"
    "\n"
    "customers:\n"
    "  --segments S          planted segments (default 5, at most %d)\n"
    "  --separation X        distance between segment means relative to the\n"
    "                        within-segment spread (default 1; large = well separated)\n"
    "  columns: customer_id (int64), age (int32, 18..95), income (log-normal),\n"
    "  purchase_frequency (per year), recency_days, avg_basket_value,\n"
    "  tenure_months (int32)\n"
    "blobs:\n"
    "  --dims D              columns x0..x{D-1} (default 8)\n"
    "  --centers K           blob centres, uniform in [-10, 10]^D x separation (default 5)\n"
    "  --std S               standard deviation of every blob (default 1)\n"
    "  --separation X        scales the centre box (default 1)\n",
    MAX_SEGMENTS);
}

static void die_usage(const char *fmt, ...)
{
  va_list ap;
  fputs("strata-gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs(" (see strata-gen --help)\n", stderr);
  exit(2);
}

static uint64_t parse_count(const char *opt, const char *s)
{
  char *end = NULL;
  errno = 0;
  if (*s == '-' || *s == '\0') die_usage("%s needs a non-negative integer, got '%s'", opt, s);
  unsigned long long v = strtoull(s, &end, 10);
  if (errno == 0 && *end == '\0') return (uint64_t)v;
  /* 1e6, 2.5e5 */
  errno = 0;
  double d = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !(d >= 0) || d > 9.0e15 || d != floor(d))
    die_usage("%s needs a non-negative integer, got '%s'", opt, s);
  return (uint64_t)d;
}

static double parse_double(const char *opt, const char *s)
{
  char *end = NULL;
  errno = 0;
  double d = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(d)) die_usage("%s needs a number, got '%s'", opt, s);
  return d;
}

static int parse_int(const char *opt, const char *s, int lo, int hi)
{
  uint64_t v = parse_count(opt, s);
  if (v < (uint64_t)lo || v > (uint64_t)hi) die_usage("%s must be in %d..%d, got '%s'", opt, lo, hi, s);
  return (int)v;
}

static void parse_args(int argc, char **argv, options *o)
{
  memset(o, 0, sizeof *o);
  o->kind = KIND_CUSTOMERS;
  o->rows = 100000;
  o->seed = 42;
  o->group = "/";
  o->segments = 5;
  o->missing = -1;
  o->separation = 1.0;
  o->dims = 8;
  o->centers = 5;
  o->std = 1.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    char name[64];
    /* --opt=value */
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    if (eq) {
      size_t len = (size_t)(eq - a);
      if (len >= sizeof name) die_usage("unknown option '%s'", a);
      memcpy(name, a, len);
      name[len] = '\0';
      val = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", a);
    }
#define FLAG(s) (strcmp(name, s) == 0)
#define VALUE()                                                                   \
  (val ? val : (i + 1 < argc ? argv[++i] : (die_usage("%s needs a value", name), "")))
    if (FLAG("-h") || FLAG("--help")) {
      usage(stdout);
      exit(0);
    } else if (FLAG("-v") || FLAG("--verbose")) o->verbose = 1;
    else if (FLAG("--truth")) o->truth = 1;
    else if (FLAG("--inf")) o->inf = 1;
    else if (FLAG("-o") || FLAG("--output")) o->out = VALUE();
    else if (FLAG("--rows")) o->rows = parse_count(name, VALUE());
    else if (FLAG("--seed")) o->seed = parse_count(name, VALUE());
    else if (FLAG("--group")) o->group = VALUE();
    else if (FLAG("--segments")) o->segments = parse_int(name, VALUE(), 1, MAX_SEGMENTS);
    else if (FLAG("--missing")) {
      o->missing = parse_double(name, VALUE());
      if (o->missing < 0 || o->missing > 1) die_usage("--missing must be in [0, 1]");
    } else if (FLAG("--separation")) {
      o->separation = parse_double(name, VALUE());
      if (!(o->separation > 0)) die_usage("--separation must be > 0");
    } else if (FLAG("--chunk-rows")) {
      o->chunk_rows = parse_count(name, VALUE());
      if (o->chunk_rows == 0 || o->chunk_rows > (1u << 30)) die_usage("--chunk-rows must be in 1..2^30");
    } else if (FLAG("--dims")) o->dims = parse_int(name, VALUE(), 1, MAX_DIMS);
    else if (FLAG("--centers")) o->centers = parse_int(name, VALUE(), 1, 1 << 24);
    else if (FLAG("--std")) {
      o->std = parse_double(name, VALUE());
      if (o->std < 0) die_usage("--std must be >= 0");
    } else if (FLAG("--kind")) {
      const char *v = VALUE();
      if (strcmp(v, "customers") == 0) o->kind = KIND_CUSTOMERS;
      else if (strcmp(v, "blobs") == 0) o->kind = KIND_BLOBS;
      else die_usage("--kind must be customers or blobs, got '%s'", v);
    } else if (FLAG("--layout")) {
      const char *v = VALUE();
      if (strcmp(v, "columns") == 0) o->layout = LAYOUT_COLUMNS;
      else if (strcmp(v, "matrix") == 0) o->layout = LAYOUT_MATRIX;
      else die_usage("--layout must be columns or matrix, got '%s'", v);
    } else if (FLAG("--dtype")) {
      const char *v = VALUE();
      if (strcmp(v, "float32") == 0) o->f64 = 0;
      else if (strcmp(v, "float64") == 0) o->f64 = 1;
      else die_usage("--dtype must be float32 or float64, got '%s'", v);
    } else {
      die_usage("unknown option '%s'", a);
    }
#undef FLAG
#undef VALUE
  }
  if (!o->out) die_usage("no output file (-o FILE)");
  if (o->layout == LAYOUT_DEFAULT) o->layout = o->kind == KIND_BLOBS ? LAYOUT_MATRIX : LAYOUT_COLUMNS;
  if (o->missing < 0) o->missing = o->kind == KIND_BLOBS ? 0.0 : 0.02;
  if (o->inf && o->rows <= 3) die_usage("--inf needs at least 4 rows");
  if (!o->group[0]) die_usage("--group needs a name");
}

/* ------------------------------------------------------------ customers */

/* One planted segment.  Age is normal in years; every other feature is
 * log-normal: exp(mu + sd * z) with z a correlated standard normal. */
typedef struct {
  double weight;
  double age_mu, age_sd;
  double inc_mu, inc_sd;   /* log of yearly income */
  double freq_mu, freq_sd; /* log of purchases per year */
  double rec_mu, rec_sd;   /* log of days since last purchase */
  double bask_mu, bask_sd; /* log of average basket value */
  double ten_mu, ten_sd;   /* log of months as a customer */
} segment;

#define NSEG_PARAMS 12

/* The five archetypes, in original units (medians), logs taken at start-up. */
static const struct {
  const char *name;
  double weight, age, age_sd, income, inc_sd, freq, freq_sd, rec, rec_sd, bask, bask_sd, tenure, ten_sd;
} archetypes[5] = {
  {"young budget frequent buyers",     0.24, 26, 4.5,  29000, 0.30, 38.0, 0.35,   9, 0.60,  22, 0.35,  14, 0.60},
  {"affluent older big-basket",        0.13, 59, 8.0, 115000, 0.35,  5.0, 0.40,  45, 0.60, 240, 0.35, 110, 0.40},
  {"lapsed customers",                 0.17, 45, 13., 48000, 0.45,  1.5, 0.50, 420, 0.35,  55, 0.50,  70, 0.50},
  {"loyal mid-income families",        0.26, 41, 7.0,  72000, 0.30, 22.0, 0.30,  12, 0.50,  95, 0.30,  84, 0.35},
  {"new mid-market customers",         0.20, 33, 8.0,  52000, 0.35,  9.0, 0.45,  25, 0.60,  48, 0.40,   4, 0.60},
};

static void seg_to_array(const segment *s, double *a)
{
  const double v[NSEG_PARAMS] = {s->age_mu, s->age_sd, s->inc_mu, s->inc_sd, s->freq_mu, s->freq_sd,
                                 s->rec_mu, s->rec_sd, s->bask_mu, s->bask_sd, s->ten_mu, s->ten_sd};
  memcpy(a, v, sizeof v);
}

static void seg_from_array(segment *s, const double *a)
{
  s->age_mu = a[0]; s->age_sd = a[1]; s->inc_mu = a[2]; s->inc_sd = a[3];
  s->freq_mu = a[4]; s->freq_sd = a[5]; s->rec_mu = a[6]; s->rec_sd = a[7];
  s->bask_mu = a[8]; s->bask_sd = a[9]; s->ten_mu = a[10]; s->ten_sd = a[11];
}

/* Builds S segments: the first five are the archetypes; more are blends of
 * two archetypes with a jitter, drawn from a fixed stream (not the seed), so
 * the population is the same for every seed and only the sample changes.
 * Spreads are divided by `separation`.  cumw gets the cumulative weights. */
static void build_segments(int S, double separation, segment *seg, double *cumw)
{
  segment base[5];
  for (int j = 0; j < 5; j++) {
    base[j].weight = archetypes[j].weight;
    base[j].age_mu = archetypes[j].age;
    base[j].age_sd = archetypes[j].age_sd;
    base[j].inc_mu = log(archetypes[j].income);
    base[j].inc_sd = archetypes[j].inc_sd;
    base[j].freq_mu = log(archetypes[j].freq);
    base[j].freq_sd = archetypes[j].freq_sd;
    base[j].rec_mu = log(archetypes[j].rec);
    base[j].rec_sd = archetypes[j].rec_sd;
    base[j].bask_mu = log(archetypes[j].bask);
    base[j].bask_sd = archetypes[j].bask_sd;
    base[j].ten_mu = log(archetypes[j].tenure);
    base[j].ten_sd = archetypes[j].ten_sd;
  }
  double total = 0;
  for (int j = 0; j < S; j++) {
    if (j < 5) {
      seg[j] = base[j];
    } else {
      uint64_t s = row_state(0x5EC7E5ULL, (uint64_t)j);
      int a = j % 5;
      int b = (a + 1 + (int)bounded(next64(&s), 4)) % 5;
      double t = 0.25 + 0.5 * u01(next64(&s));
      double pa[NSEG_PARAMS], pb[NSEG_PARAMS], p[NSEG_PARAMS];
      seg_to_array(&base[a], pa);
      seg_to_array(&base[b], pb);
      for (int q = 0; q < NSEG_PARAMS; q++) p[q] = t * pa[q] + (1 - t) * pb[q];
      /* jitter every mean by up to +-1.5 of its spread */
      for (int q = 0; q < NSEG_PARAMS; q += 2) p[q] += (3.0 * u01(next64(&s)) - 1.5) * p[q + 1];
      seg_from_array(&seg[j], p);
      seg[j].weight = 0.2;
    }
    seg[j].age_sd /= separation;
    seg[j].inc_sd /= separation;
    seg[j].freq_sd /= separation;
    seg[j].rec_sd /= separation;
    seg[j].bask_sd /= separation;
    seg[j].ten_sd /= separation;
    total += seg[j].weight;
  }
  double c = 0;
  for (int j = 0; j < S; j++) {
    c += seg[j].weight / total;
    cumw[j] = c;
  }
  cumw[S - 1] = 2.0; /* every u < 1 lands somewhere */
}

/* Feature order of the customer generator (customer_id and truth apart). */
enum { F_AGE, F_INCOME, F_FREQ, F_RECENCY, F_BASKET, F_TENURE, NFEAT_CUSTOMERS };
static const char *const customer_names[NFEAT_CUSTOMERS] = {
  "age", "income", "purchase_frequency", "recency_days", "avg_basket_value", "tenure_months"};

typedef struct {
  uint64_t key;
  int S;
  segment seg[MAX_SEGMENTS];
  double cumw[MAX_SEGMENTS];
  uint32_t miss_thr; /* NaN when a 21-bit uniform is below this */
  int inf;
} customer_gen;

/* One customer: v[NFEAT_CUSTOMERS] in original units, *segid the segment. */
static void customer_row(const customer_gen *g, uint64_t row, double *v, int *segid)
{
  uint64_t s = row_state(g->key, row);
  double u = u01(next64(&s));
  int j = 0;
  while (u >= g->cumw[j]) j++;
  const segment *p = &g->seg[j];
  double z[8];
  normal2(&s, &z[0], &z[1]);
  normal2(&s, &z[2], &z[3]);
  normal2(&s, &z[4], &z[5]);
  normal2(&s, &z[6], &z[7]);
  /* Two customer-level factors shared by the features, within the segment:
   * affluence (older, richer, bigger baskets) and engagement (frequent,
   * recent, long-standing, smaller baskets). */
  double aff = z[0], eng = z[1];
  double age = p->age_mu + p->age_sd * (0.45 * aff + 0.8930 * z[2]);
  age = floor(age);
  if (age < 18) age = 18;
  if (age > 95) age = 95;
  double income = exp(p->inc_mu + p->inc_sd * (0.70 * aff + 0.7141 * z[3]));
  double freq = exp(p->freq_mu + p->freq_sd * (0.75 * eng + 0.6614 * z[4]));
  double rec = exp(p->rec_mu + p->rec_sd * (-0.60 * eng + 0.8 * z[5]));
  double bask = exp(p->bask_mu + p->bask_sd * (0.55 * aff - 0.25 * eng + 0.7969 * z[6]));
  double ten = exp(p->ten_mu + p->ten_sd * (0.30 * aff + 0.40 * eng + 0.8660 * z[7]));
  /* nobody is a customer for longer than an adult */
  double ten_cap = (age - 18) * 12 + 11;
  ten = floor(ten);
  if (ten > ten_cap) ten = ten_cap;
  rec = floor(rec);
  if (rec > 3650) rec = 3650;
  v[F_AGE] = age;
  v[F_INCOME] = floor(income + 0.5);
  v[F_FREQ] = floor(freq * 100 + 0.5) / 100;
  v[F_RECENCY] = rec;
  v[F_BASKET] = floor(bask * 100 + 0.5) / 100;
  v[F_TENURE] = ten;
  if (g->miss_thr) {
    uint64_t m = next64(&s);
    if ((uint32_t)(m & 0x1FFFFF) < g->miss_thr) v[F_INCOME] = NAN;
    if ((uint32_t)((m >> 21) & 0x1FFFFF) < g->miss_thr) v[F_BASKET] = NAN;
    if ((uint32_t)((m >> 42) & 0x1FFFFF) < g->miss_thr) v[F_RECENCY] = NAN;
  }
  if (g->inf && row == 3) v[F_INCOME] = INFINITY;
  *segid = j;
}

/* ------------------------------------------------------------ blobs */

typedef struct {
  uint64_t key;
  int D, K;
  double std;
  double *centers; /* K x D */
  uint32_t miss_thr;
  int inf;
} blob_gen;

static void blob_row(const blob_gen *g, uint64_t row, double *v, int *segid)
{
  uint64_t s = row_state(g->key, row);
  int c = (int)bounded(next64(&s), (uint32_t)g->K);
  const double *ctr = g->centers + (size_t)c * (size_t)g->D;
  int d = 0;
  for (; d + 1 < g->D; d += 2) {
    double z0, z1;
    normal2(&s, &z0, &z1);
    v[d] = ctr[d] + g->std * z0;
    v[d + 1] = ctr[d + 1] + g->std * z1;
  }
  if (d < g->D) {
    double z0, z1;
    normal2(&s, &z0, &z1);
    v[d] = ctr[d] + g->std * z0;
  }
  if (g->miss_thr) {
    for (d = 0; d < g->D; d++)
      if ((uint32_t)(next64(&s) & 0x1FFFFF) < g->miss_thr) v[d] = NAN;
  }
  if (g->inf && row == 3) v[0] = INFINITY;
  *segid = c;
}

/* ------------------------------------------------------------ HDF5 output */

static char tmp_path[4096];
static volatile sig_atomic_t tmp_live;

static void on_signal(int sig)
{
  if (tmp_live) unlink(tmp_path);
  _exit(128 + sig);
}

static void die(const char *fmt, ...)
{
  va_list ap;
  fputs("strata-gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (tmp_live) unlink(tmp_path);
  exit(1);
}

#define H5_OK(expr, what)                                                       \
  do {                                                                            \
    if ((expr) < 0) die("HDF5 error: %s (%s)", what, tmp_path);                   \
  } while (0)

enum ctype { C_I32, C_I64, C_FLOAT };

typedef struct {
  char name[32];
  enum ctype type;
  hid_t dset;
  void *buf;
} column;

static hid_t mem_type(enum ctype t, int f64)
{
  return t == C_I32 ? H5T_NATIVE_INT32 : t == C_I64 ? H5T_NATIVE_INT64 : f64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
}

static hid_t file_type(enum ctype t, int f64)
{
  return t == C_I32 ? H5T_STD_I32LE : t == C_I64 ? H5T_STD_I64LE : f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
}

/* A chunked dataset of `rank` dims (n, or n x d).  Empty datasets get an
 * unlimited row axis, since a fixed zero-length axis cannot be chunked. */
static hid_t make_dataset(hid_t loc, const char *name, hid_t ftype, uint64_t n, hsize_t d, int rank, hsize_t chunk)
{
  hsize_t dims[2] = {(hsize_t)n, d}, maxdims[2] = {(hsize_t)n, d}, cdims[2] = {chunk, d};
  if (n == 0) maxdims[0] = H5S_UNLIMITED;
  else if (cdims[0] > n) cdims[0] = (hsize_t)n;
  hid_t space = H5Screate_simple(rank, dims, maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5_OK(space, "create dataspace");
  H5_OK(dcpl, "create property list");
  H5_OK(H5Pset_chunk(dcpl, rank, cdims), "set chunk size");
  H5_OK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "set fill time");
  H5_OK(H5Pset_obj_track_times(dcpl, 0), "set track times"); /* same seed, same bytes */
  hid_t ds = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (ds < 0) die("HDF5 error: cannot create dataset '%s' (%s)", name, tmp_path);
  H5Pclose(dcpl);
  H5Sclose(space);
  return ds;
}

/* Creates `path` (and any missing parents) or opens it if it exists. */
static hid_t open_group(hid_t file, const char *path)
{
  if (strcmp(path, "/") == 0) return H5Gopen2(file, "/", H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_obj_track_times(gcpl, 0);
  hid_t g = H5Gcreate2(file, path, lcpl, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  H5Pclose(lcpl);
  if (g < 0) die("HDF5 error: cannot create group '%s'", path);
  return g;
}

static void attr_string(hid_t loc, const char *name, const char *value)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5_OK(a, "create attribute");
  H5_OK(H5Awrite(a, t, value), "write attribute");
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

static void attr_double(hid_t loc, const char *name, double value)
{
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5_OK(a, "create attribute");
  H5_OK(H5Awrite(a, H5T_NATIVE_DOUBLE, &value), "write attribute");
  H5Aclose(a);
  H5Sclose(sp);
}

static void attr_u64(hid_t loc, const char *name, uint64_t value)
{
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5_OK(a, "create attribute");
  H5_OK(H5Awrite(a, H5T_NATIVE_UINT64, &value), "write attribute");
  H5Aclose(a);
  H5Sclose(sp);
}

/* The "columns" attribute of the matrix: an array of variable-length UTF-8
 * strings (what h5py writes for a list of str). */
static void attr_names(hid_t loc, const char *const *names, size_t n)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hsize_t dims[1] = {n};
  hid_t sp = H5Screate_simple(1, dims, NULL);
  hid_t a = H5Acreate2(loc, "columns", t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5_OK(a, "create attribute columns");
  H5_OK(H5Awrite(a, t, names), "write attribute columns");
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

static void write_rows(hid_t ds, hid_t mtype, int rank, hsize_t d, uint64_t r0, uint64_t m, const void *buf)
{
  hsize_t start[2] = {(hsize_t)r0, 0}, count[2] = {(hsize_t)m, d};
  hid_t fs = H5Dget_space(ds);
  H5_OK(fs, "get dataspace");
  H5_OK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL), "select rows");
  hid_t ms = H5Screate_simple(rank, count, NULL);
  H5_OK(H5Dwrite(ds, mtype, ms, fs, H5P_DEFAULT, buf), "write rows");
  H5Sclose(ms);
  H5Sclose(fs);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory (%zu bytes)", n);
  return p;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
  options o;
  parse_args(argc, argv, &o);

  /* ---- the generator */
  customer_gen *cg = NULL;
  blob_gen bg;
  memset(&bg, 0, sizeof bg);
  uint32_t miss_thr = (uint32_t)ceil(o.missing * (double)(1u << 21));
  if (o.missing >= 1) miss_thr = (1u << 21) + 1;
  int D; /* features (customer_id and truth apart) */
  const char *const *names;
  char **blob_names = NULL;
  if (o.kind == KIND_CUSTOMERS) {
    cg = xmalloc(sizeof *cg);
    memset(cg, 0, sizeof *cg);
    cg->key = mix64(o.seed ^ 0xC057011E5ULL);
    cg->S = o.segments;
    cg->miss_thr = miss_thr;
    cg->inf = o.inf;
    build_segments(o.segments, o.separation, cg->seg, cg->cumw);
    D = NFEAT_CUSTOMERS;
    names = customer_names;
  } else {
    bg.key = mix64(o.seed ^ 0xB10B5ULL);
    bg.D = o.dims;
    bg.K = o.centers;
    bg.std = o.std;
    bg.miss_thr = miss_thr;
    bg.inf = o.inf;
    bg.centers = xmalloc((size_t)bg.K * (size_t)bg.D * sizeof(double));
    uint64_t s = row_state(mix64(o.seed ^ 0xCE17E55ULL), 0);
    for (size_t i = 0; i < (size_t)bg.K * (size_t)bg.D; i++)
      bg.centers[i] = o.separation * (20.0 * u01(next64(&s)) - 10.0);
    D = o.dims;
    blob_names = xmalloc((size_t)D * sizeof *blob_names);
    for (int j = 0; j < D; j++) {
      blob_names[j] = xmalloc(16);
      snprintf(blob_names[j], 16, "x%d", j);
    }
    names = (const char *const *)blob_names;
  }

  /* ---- sizes */
  int matrix = o.layout == LAYOUT_MATRIX;
  size_t fsize = o.f64 ? 8 : 4;
  uint64_t chunk = o.chunk_rows;
  if (!chunk) {
    chunk = 65536;
    if (matrix) {
      uint64_t fit = ((uint64_t)4 << 20) / ((uint64_t)D * fsize);
      uint64_t p2 = 1;
      while (p2 * 2 <= fit) p2 *= 2;
      if (p2 < chunk) chunk = p2;
    }
  }
  /* A block is a whole number of chunks of about 256K rows (matrix: 16 MiB). */
  uint64_t target = matrix ? ((uint64_t)16 << 20) / ((uint64_t)D * fsize) : (uint64_t)1 << 18;
  uint64_t block = chunk * (target / chunk > 0 ? target / chunk : 1);
  if (block > o.rows) block = o.rows ? o.rows : 1;

  /* ---- the file, under a temporary name */
  int n = snprintf(tmp_path, sizeof tmp_path, "%s.tmp-%ld", o.out, (long)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp_path) die("output path too long");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  double t0 = now();
  tmp_live = 1;
  /* Groups remember the order their columns were created in, so a reader can
   * list them as written (H5_INDEX_CRT_ORDER) rather than by name. */
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_obj_track_times(fcpl, 0);
  hid_t file = H5Fcreate(tmp_path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  if (file < 0) {
    tmp_live = 0;
    die("cannot create '%s': %s", tmp_path, errno ? strerror(errno) : "HDF5 error");
  }
  hid_t grp = open_group(file, o.group);
  attr_string(grp, "generator", "strata-gen " GEN_VERSION);
  attr_string(grp, "kind", o.kind == KIND_BLOBS ? "blobs" : "customers");
  attr_u64(grp, "seed", o.seed);
  attr_double(grp, "missing", o.missing);
  attr_double(grp, "separation", o.separation);
  if (o.kind == KIND_CUSTOMERS) {
    attr_u64(grp, "segments", (uint64_t)o.segments);
  } else {
    attr_u64(grp, "centers", (uint64_t)o.centers);
    attr_double(grp, "std", o.std);
  }

  /* ---- datasets and their block buffers */
  column cols[3 + NFEAT_CUSTOMERS];
  int ncols = 0;
  hid_t mat = -1;
  void *matbuf = NULL;
  column *id_col = NULL, *truth_col = NULL, *feat_cols = NULL;
  if (o.kind == KIND_CUSTOMERS && !matrix) {
    id_col = &cols[ncols++];
    snprintf(id_col->name, sizeof id_col->name, "customer_id");
    id_col->type = C_I64;
  }
  if (!matrix) {
    if (o.kind == KIND_BLOBS && D > NFEAT_CUSTOMERS) {
      feat_cols = xmalloc((size_t)D * sizeof *feat_cols);
    } else {
      feat_cols = &cols[ncols];
      ncols += D;
    }
    for (int j = 0; j < D; j++) {
      snprintf(feat_cols[j].name, sizeof feat_cols[j].name, "%s", names[j]);
      feat_cols[j].type = (o.kind == KIND_CUSTOMERS && (j == F_AGE || j == F_TENURE)) ? C_I32 : C_FLOAT;
    }
  }
  if (o.truth) {
    truth_col = &cols[ncols++];
    snprintf(truth_col->name, sizeof truth_col->name, "true_segment");
    truth_col->type = C_I32;
  }
  /* every 1-D column in one list, in file order */
  int nall = (id_col ? 1 : 0) + (feat_cols ? D : 0) + (truth_col ? 1 : 0);
  column **all = xmalloc((size_t)nall * sizeof *all);
  {
    int q = 0;
    if (id_col) all[q++] = id_col;
    if (feat_cols) for (int j = 0; j < D; j++) all[q++] = &feat_cols[j];
    if (truth_col) all[q++] = truth_col;
  }
  hid_t truth_grp = -1;
  if (matrix) {
    mat = make_dataset(grp, "data", file_type(C_FLOAT, o.f64), o.rows, (hsize_t)D, 2, chunk);
    attr_names(mat, names, (size_t)D);
    matbuf = xmalloc((size_t)block * (size_t)D * fsize);
    if (truth_col) {
      hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
      H5Pset_obj_track_times(gcpl, 0);
      truth_grp = H5Gcreate2(grp, "truth", H5P_DEFAULT, gcpl, H5P_DEFAULT);
      H5Pclose(gcpl);
      H5_OK(truth_grp, "create group truth");
    }
  }
  for (int c = 0; c < nall; c++) {
    column *col = all[c];
    hid_t where = (matrix && col == truth_col) ? truth_grp : grp;
    col->dset = make_dataset(where, col->name, file_type(col->type, o.f64), o.rows, 1, 1, chunk);
    /* Marked as `strata import` marks identifiers: fit leaves it out unless named. */
    if (col == id_col) attr_string(col->dset, "strata_role", "id");
    size_t es = col->type == C_I64 ? 8 : col->type == C_I32 ? 4 : fsize;
    col->buf = xmalloc((size_t)block * es);
  }

  /* ---- generate and write, block by block */
  double *v = xmalloc((size_t)D * sizeof *v);
  for (uint64_t r0 = 0; r0 < o.rows; r0 += block) {
    uint64_t m = o.rows - r0 < block ? o.rows - r0 : block;
    for (uint64_t i = 0; i < m; i++) {
      uint64_t row = r0 + i;
      int sid;
      if (cg) customer_row(cg, row, v, &sid);
      else blob_row(&bg, row, v, &sid);
      if (matrix) {
        if (o.f64) memcpy((double *)matbuf + i * (size_t)D, v, (size_t)D * sizeof *v);
        else {
          float *dst = (float *)matbuf + i * (size_t)D;
          for (int j = 0; j < D; j++) dst[j] = (float)v[j];
        }
      } else {
        for (int j = 0; j < D; j++) {
          column *col = &feat_cols[j];
          if (col->type == C_I32) ((int32_t *)col->buf)[i] = (int32_t)v[j];
          else if (o.f64) ((double *)col->buf)[i] = v[j];
          else ((float *)col->buf)[i] = (float)v[j];
        }
      }
      if (id_col) ((int64_t *)id_col->buf)[i] = (int64_t)row + 1;
      if (truth_col) ((int32_t *)truth_col->buf)[i] = sid;
    }
    if (matrix) write_rows(mat, mem_type(C_FLOAT, o.f64), 2, (hsize_t)D, r0, m, matbuf);
    for (int c = 0; c < nall; c++) write_rows(all[c]->dset, mem_type(all[c]->type, o.f64), 1, 1, r0, m, all[c]->buf);
  }

  /* ---- close, then move into place */
  for (int c = 0; c < nall; c++) {
    H5_OK(H5Dclose(all[c]->dset), "close dataset");
    free(all[c]->buf);
  }
  if (mat >= 0) H5_OK(H5Dclose(mat), "close dataset");
  if (truth_grp >= 0) H5Gclose(truth_grp);
  H5Gclose(grp);
  H5_OK(H5Fclose(file), "close file");
  if (rename(tmp_path, o.out) != 0) die("cannot rename '%s' to '%s': %s", tmp_path, o.out, strerror(errno));
  tmp_live = 0;
  double secs = now() - t0;

  if (o.verbose) {
    int written = D + (id_col ? 1 : 0) + (truth_col ? 1 : 0);
    fprintf(stderr,
            "strata-gen: %s: %llu rows x %d columns (%s, %s, %s), chunk %llu rows, seed %llu, "
            "%.2f s, %.1f M rows/s\n",
            o.out, (unsigned long long)o.rows, written, o.kind == KIND_BLOBS ? "blobs" : "customers",
            matrix ? "matrix" : "columns", o.f64 ? "float64" : "float32", (unsigned long long)chunk,
            (unsigned long long)o.seed, secs, secs > 0 ? (double)o.rows / secs / 1e6 : 0.0);
  }

  free(v);
  free(matbuf);
  free(all);
  if (feat_cols && (o.kind == KIND_BLOBS && D > NFEAT_CUSTOMERS)) free(feat_cols);
  if (blob_names) {
    for (int j = 0; j < D; j++) free(blob_names[j]);
    free(blob_names);
  }
  free(bg.centers);
  free(cg);
  return 0;
}
