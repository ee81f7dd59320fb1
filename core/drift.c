/* Drift: segment shares, mean distances and feature means of new data
 * against a model's training reference, with flags and warning lines. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "error.h"

void strata_drift_thresholds_init(strata_drift_thresholds *t) {
  t->share = 0.05;
  t->distance = 0.25;
  t->shift = 0.25;
}

/* The report and everything it points to. */
typedef struct {
  strata_drift pub;
  char *reference;
  strata_drift_segment *segments;
  strata_drift_feature *features;
  char **warnings;
  int cap_warnings;
} drift_report;

void strata_drift_free(strata_drift *d) {
  if (!d) return;
  drift_report *r = (drift_report *)d;
  for (int i = 0; i < r->pub.n_warnings; i++) free(r->warnings[i]);
  free(r->warnings);
  free(r->segments);
  free(r->features);
  free(r->reference);
  free(r);
}

static int add_warning(drift_report *r, const char *fmt, ...) STRATA_PRINTF(2, 3);
static int add_warning(drift_report *r, const char *fmt, ...) {
  if (r->pub.n_warnings == r->cap_warnings) {
    int cap = r->cap_warnings ? 2 * r->cap_warnings : 8;
    char **w = realloc(r->warnings, (size_t)cap * sizeof *w);
    if (!w) return 0;
    r->warnings = w;
    r->cap_warnings = cap;
  }
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!(r->warnings[r->pub.n_warnings] = strdup(buf))) return 0;
  r->pub.n_warnings++;
  return 1;
}

static int check_thresholds(const strata_drift_thresholds *t) {
  return t->share >= 0 && isfinite(t->share) && t->distance >= 0 && isfinite(t->distance) &&
         t->shift >= 0 && isfinite(t->shift);
}

/* Fills one segment entry and its warning; parent or segment may be -1. */
static int segment_entry(drift_report *r, strata_drift_segment *s, const strata_model_info *ref,
                         const strata_drift_now *now, int seg, int parent) {
  const strata_drift_thresholds *th = &r->pub.thresholds;
  s->segment = seg;
  s->parent = parent;
  s->share_train = parent >= 0 && ref->rows ? (double)ref->sizes[parent] / (double)ref->rows : 0.0;
  s->share_now = seg >= 0 && now->rows ? (double)now->counts[seg] / (double)now->rows : 0.0;
  s->share_change = s->share_now - s->share_train;
  s->mean_distance_train = parent >= 0 ? ref->train_mean_distance[parent] : NAN;
  s->mean_distance_now = seg >= 0 && now->mean_distance ? now->mean_distance[seg] : NAN;
  s->distance_change = s->mean_distance_train > 0
                           ? (s->mean_distance_now - s->mean_distance_train) / s->mean_distance_train
                           : NAN;
  int share_flag = fabs(s->share_change) > th->share;
  int dist_flag = fabs(s->distance_change) > th->distance; /* false for NaN */
  s->flag = share_flag || dist_flag;
  char who[64];
  if (seg < 0) snprintf(who, sizeof who, "reference segment %d (vanished)", parent);
  else if (parent < 0) snprintf(who, sizeof who, "segment %d (new)", seg);
  else if (parent != seg) snprintf(who, sizeof who, "segment %d (reference %d)", seg, parent);
  else snprintf(who, sizeof who, "segment %d", seg);
  if (share_flag &&
      !add_warning(r, "%s share %.3f -> %.3f (%+.3f, threshold %.3f)", who, s->share_train,
                   s->share_now, s->share_change, th->share))
    return 0;
  if (dist_flag &&
      !add_warning(r, "%s mean distance %.3g -> %.3g (%+.0f%%, threshold %.0f%%)", who,
                   s->mean_distance_train, s->mean_distance_now, 100.0 * s->distance_change,
                   100.0 * th->distance))
    return 0;
  return 1;
}

strata_status strata_drift_build(const strata_model_info *ref, const char *reference,
                                 const strata_drift_now *now, const strata_drift_thresholds *th,
                                 strata_drift **out) {
  *out = NULL;
  strata_drift_thresholds def;
  strata_drift_thresholds_init(&def);
  if (!th) th = &def;
  RETURN_IF(!check_thresholds(th), STRATA_ERR_USAGE, "drift thresholds must be finite numbers >= 0");
  RETURN_IF(!ref->train_mean, STRATA_ERR_USAGE,
            "the model has no training reference statistics (saved by an older Strata); refit "
            "it to measure drift");
  int k = now->k, kr = ref->k, d = ref->d;
  /* Reference segments that no segment continues are reported as vanished. */
  char *continued = calloc((size_t)kr, 1);
  drift_report *r = calloc(1, sizeof *r);
  if (r) {
    r->segments = calloc((size_t)(k + kr), sizeof *r->segments);
    r->features = calloc((size_t)d, sizeof *r->features);
    r->reference = strdup(reference ? reference : "");
  }
  if (!continued || !r || !r->segments || !r->features || !r->reference) goto nomem;
  r->pub.thresholds = *th;
  int n = 0;
  for (int c = 0; c < k; c++) {
    int p = now->parent ? now->parent[c] : c < kr ? c : -1;
    if (p >= kr) p = -1;
    if (p >= 0) continued[p] = 1;
    if (!segment_entry(r, &r->segments[n++], ref, now, c, p)) goto nomem;
  }
  for (int p = 0; p < kr; p++)
    if (!continued[p] && !segment_entry(r, &r->segments[n++], ref, now, -1, p)) goto nomem;
  r->pub.n_segments = n;
  for (int j = 0; j < d; j++) {
    strata_drift_feature *f = &r->features[j];
    f->feature = ref->features[j];
    f->mean_train = ref->train_mean[j];
    f->mean_now = now->mean[j];
    f->std_train = ref->train_std[j];
    double diff = f->mean_now - f->mean_train;
    f->shift = f->std_train > 0 ? diff / f->std_train : diff == 0 ? 0.0 : NAN;
    /* A constant training column that moved at all has drifted. */
    f->flag = isnan(f->shift) || fabs(f->shift) > th->shift;
    if (f->flag &&
        !add_warning(r, "feature '%s' mean %.6g -> %.6g (%+.2f training std, threshold %.2f)",
                     f->feature, f->mean_train, f->mean_now, f->shift, th->shift))
      goto nomem;
  }
  r->pub.n_features = d;
  r->pub.reference = r->reference;
  r->pub.segments = r->segments;
  r->pub.features = r->features;
  r->pub.warnings = (const char *const *)r->warnings;
  free(continued);
  *out = &r->pub;
  return STRATA_OK;
nomem:
  free(continued);
  if (r) r->pub.warnings = (const char *const *)r->warnings;
  strata_drift_free(r ? &r->pub : NULL);
  return strata_fail(STRATA_ERR_NOMEM, "out of memory for the drift report");
}

strata_status strata_model_drift(const strata_model *parent, const strata_model *child,
                                 const strata_drift_thresholds *th, const char *reference,
                                 strata_drift **out) {
  RETURN_IF(!parent || !child || !out, STRATA_ERR_USAGE, "strata_model_drift: NULL argument");
  *out = NULL;
  const strata_model_info *pi = strata_model_get_info(parent), *ci = strata_model_get_info(child);
  RETURN_IF(pi->d != ci->d, STRATA_ERR_USAGE, "the models have %d and %d features", pi->d, ci->d);
  for (int j = 0; j < pi->d; j++)
    RETURN_IF(strcmp(pi->features[j], ci->features[j]) != 0, STRATA_ERR_USAGE,
              "feature %d is '%s' in one model and '%s' in the other", j, pi->features[j],
              ci->features[j]);
  RETURN_IF(!ci->train_mean, STRATA_ERR_USAGE, "the refit has no training reference statistics");
  strata_drift_now now = {ci->k, ci->sizes, ci->rows, ci->train_mean_distance, ci->train_mean,
                          ci->parent_segment};
  return strata_drift_build(pi, reference ? reference : ci->parent_path, &now, th, out);
}
