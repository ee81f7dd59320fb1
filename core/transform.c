/* Per-feature transforms (transform.h): parsing, the float64 transform and
 * its inverse, Yeo-Johnson's maximum-likelihood lambda. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "transform.h"

const char *strata_transform_name(strata_transform_kind k) {
  switch (k) {
    case STRATA_TRANSFORM_NONE: return "none";
    case STRATA_TRANSFORM_LOG1P: return "log1p";
    case STRATA_TRANSFORM_YEO_JOHNSON: return "yeo-johnson";
    case STRATA_TRANSFORM_CLIP: return "clip";
    case STRATA_TRANSFORM_AGE_DAYS: return "age-days";
  }
  return "?";
}

/* "p1" or "1" as a percentile in [0, 100]. */
static int parse_percentile(const char *s, size_t len, double *out) {
  char buf[64];
  if (len > 0 && (*s == 'p' || *s == 'P')) s++, len--;
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end = NULL;
  double v = strtod(buf, &end);
  if (*end || !(v >= 0.0 && v <= 100.0)) return 0;
  *out = v;
  return 1;
}

/* One "T" of "COL:T" (len characters). */
static strata_status parse_kind(const char *item, const char *s, size_t len, strata_transform *t) {
  memset(t, 0, sizeof *t);
  t->lambda = t->lo = t->hi = t->p_lo = t->p_hi = NAN;
  if (len == 5 && strncmp(s, "log1p", 5) == 0) {
    t->kind = STRATA_TRANSFORM_LOG1P;
    return STRATA_OK;
  }
  if (len == 8 && strncmp(s, "age-days", 8) == 0) {
    t->kind = STRATA_TRANSFORM_AGE_DAYS;
    return STRATA_OK;
  }
  if (len == 11 && strncmp(s, "yeo-johnson", 11) == 0) {
    t->kind = STRATA_TRANSFORM_YEO_JOHNSON;
    return STRATA_OK;
  }
  if (len >= 4 && strncmp(s, "clip", 4) == 0) {
    t->kind = STRATA_TRANSFORM_CLIP;
    const char *open = s + 4, *end = s + len;
    if (open == end) { /* plain "clip": the 1st and 99th percentiles */
      t->p_lo = 1.0;
      t->p_hi = 99.0;
      return STRATA_OK;
    }
    const char *comma = memchr(open, ',', (size_t)(end - open));
    int ok = *open == '(' && end[-1] == ')' && comma &&
             parse_percentile(open + 1, (size_t)(comma - open - 1), &t->p_lo) &&
             parse_percentile(comma + 1, (size_t)(end - 1 - comma - 1), &t->p_hi) && t->p_lo < t->p_hi;
    RETURN_IF(!ok, STRATA_ERR_USAGE,
              "transform '%s': clip takes two increasing percentiles from 0 to 100, e.g. clip(p1,p99)", item);
    return STRATA_OK;
  }
  return strata_fail(STRATA_ERR_USAGE, "transform '%s': unknown transform (log1p, yeo-johnson, clip(pA,pB), age-days)",
                     item);
}

/* One "COL:T" item (len characters) into tf. */
static strata_status parse_item(const char *s, size_t len, size_t d, const char *const *names, const int *groups,
                                strata_transform *tf, int *seen) {
  char item[512];
  RETURN_IF(len == 0, STRATA_ERR_USAGE, "transform: empty item (expected COL:T)");
  RETURN_IF(len >= sizeof item, STRATA_ERR_USAGE, "transform: item too long");
  memcpy(item, s, len);
  item[len] = '\0';
  /* The last ':' outside clip's parentheses ends the column name. */
  char *paren = strchr(item, '(');
  if (paren) *paren = '\0';
  char *colon = strrchr(item, ':');
  if (paren) *paren = '(';
  RETURN_IF(!colon || colon == item, STRATA_ERR_USAGE, "transform '%s': expected COL:T, e.g. spend:log1p", item);
  size_t j = 0, nlen = (size_t)(colon - item);
  while (j < d && !(strlen(names[j]) == nlen && strncmp(names[j], item, nlen) == 0)) j++;
  RETURN_IF(j == d, STRATA_ERR_USAGE, "transform '%s': column '%.*s' is not among the features", item, (int)nlen,
            item);
  RETURN_IF(groups && groups[j] >= 0, STRATA_ERR_USAGE,
            "transform '%s': '%s' is a one-hot column of a categorical; only numeric columns are transformed",
            item, names[j]);
  RETURN_IF(seen[j], STRATA_ERR_USAGE, "transform '%s': column '%s' has a transform already (one per column)",
            item, names[j]);
  seen[j] = 1;
  return parse_kind(item, colon + 1, strlen(colon + 1), &tf[j]);
}

strata_status strata_transforms_parse(const char *spec, size_t d, const char *const *names, const int *groups,
                                      strata_transform **out) {
  *out = NULL;
  if (!spec || !*spec) return STRATA_OK;
  strata_transform *tf = calloc(d ? d : 1, sizeof *tf);
  int *seen = calloc(d ? d : 1, sizeof *seen);
  if (!tf || !seen) {
    free(tf);
    free(seen);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t j = 0; j < d; j++) tf[j] = (strata_transform){STRATA_TRANSFORM_NONE, NAN, NAN, NAN, NAN, NAN};
  strata_status st = STRATA_OK;
  /* Items are separated by commas outside parentheses (clip(p1,p99)). */
  const char *start = spec;
  int depth = 0;
  for (const char *c = spec; st == STRATA_OK; c++) {
    if (*c == '(') depth++;
    else if (*c == ')') depth--;
    if (*c == '\0' || (*c == ',' && depth == 0)) {
      st = parse_item(start, (size_t)(c - start), d, names, groups, tf, seen);
      start = c + 1;
      if (*c == '\0') break;
    }
  }
  free(seen);
  if (st != STRATA_OK) {
    free(tf);
    return st;
  }
  *out = tf;
  return STRATA_OK;
}

int strata_transforms_need_fit(const strata_transform *tf, size_t d) {
  for (size_t j = 0; tf && j < d; j++)
    if (tf[j].kind == STRATA_TRANSFORM_YEO_JOHNSON || tf[j].kind == STRATA_TRANSFORM_CLIP ||
        tf[j].kind == STRATA_TRANSFORM_AGE_DAYS)
      return 1;
  return 0;
}

/* Yeo-Johnson of x from l = log1p(|x|) (scipy's expm1 form). */
static double yj_from_log(double x, double l, double lambda) {
  if (x >= 0.0) return fabs(lambda) < DBL_EPSILON ? l : expm1(lambda * l) / lambda;
  return fabs(lambda - 2.0) > DBL_EPSILON ? -expm1((2.0 - lambda) * l) / (2.0 - lambda) : -l;
}

double strata_transform_apply(const strata_transform *t, double x) {
  if (isnan(x)) return x;
  switch (t->kind) {
    case STRATA_TRANSFORM_NONE: return x;
    case STRATA_TRANSFORM_LOG1P: return x > -1.0 ? log1p(x) : x == -1.0 ? -INFINITY : NAN;
    case STRATA_TRANSFORM_YEO_JOHNSON: return yj_from_log(x, log1p(fabs(x)), t->lambda);
    case STRATA_TRANSFORM_CLIP: return x < t->lo ? t->lo : x > t->hi ? t->hi : x;
    case STRATA_TRANSFORM_AGE_DAYS: return t->lo - x;
  }
  return NAN;
}

double strata_transform_invert(const strata_transform *t, double y) {
  const double l = t->lambda;
  switch (t->kind) {
    case STRATA_TRANSFORM_NONE:
    case STRATA_TRANSFORM_CLIP: return y;
    case STRATA_TRANSFORM_LOG1P: return expm1(y);
    case STRATA_TRANSFORM_AGE_DAYS: return t->lo - y;
    case STRATA_TRANSFORM_YEO_JOHNSON:
      if (y >= 0.0) return fabs(l) < DBL_EPSILON ? expm1(y) : expm1(log1p(y * l) / l);
      return fabs(l - 2.0) > DBL_EPSILON ? -expm1(log1p(-(2.0 - l) * y) / (2.0 - l)) : -expm1(-y);
  }
  return NAN;
}

strata_status strata_transform_rows(const strata_transform *tf, size_t d, const char *const *names,
                                    const float *raw, size_t rows, size_t row0, float *out) {
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < d; j++) {
      float v = raw[i * d + j];
      if (!isfinite(v) || tf[j].kind == STRATA_TRANSFORM_NONE) {
        out[i * d + j] = v;
        continue;
      }
      double t = strata_transform_apply(&tf[j], (double)v);
      float f = (float)t;
      if (!isfinite(f)) {
        const char *why = tf[j].kind == STRATA_TRANSFORM_LOG1P ? "log1p takes values above -1"
                                                                : "its transformed value overflows";
        return strata_fail(STRATA_ERR_DATA, "column '%s' has the value %.9g at row %zu: %s (transform %s)",
                           names[j], (double)v, row0 + i, why, strata_transform_name(tf[j].kind));
      }
      out[i * d + j] = f;
    }
  return STRATA_OK;
}

/* ---- Yeo-Johnson's lambda ---- */

/* The negated profile log-likelihood, from l[i] = log1p(|x[i]|) and
 * s = sum sign(x) log1p(|x|): scipy's yeojohnson_llf, with a variance too
 * small for its log rejected (+inf). */
static double nll(const double *x, const double *l, size_t n, double s, double lambda) {
  double mean = 0.0;
  for (size_t i = 0; i < n; i++) mean += yj_from_log(x[i], l[i], lambda);
  mean /= (double)n;
  double var = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = yj_from_log(x[i], l[i], lambda) - mean;
    var += e * e;
  }
  var /= (double)n;
  if (!(var >= DBL_MIN) || !isfinite(var)) return INFINITY;
  return (double)n / 2.0 * log(var) - (lambda - 1.0) * s;
}

static double *logs(const double *x, size_t n, double *s) {
  double *l = malloc((n ? n : 1) * sizeof *l);
  *s = 0.0;
  for (size_t i = 0; l && i < n; i++) {
    l[i] = log1p(fabs(x[i]));
    *s += x[i] > 0.0 ? l[i] : x[i] < 0.0 ? -l[i] : 0.0;
  }
  return l;
}

double strata_yeo_johnson_nll(const double *x, size_t n, double lambda) {
  double s;
  double *l = logs(x, n, &s);
  double v = l && n ? nll(x, l, n, s, lambda) : NAN;
  free(l);
  return v;
}

static double sign_or_one(double v) { return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : 1.0; }

double strata_yeo_johnson_lambda(const double *x, size_t n) {
  double maxabs = 0.0;
  int any_neg = 0, all_neg = n > 0;
  for (size_t i = 0; i < n; i++) {
    maxabs = fmax(maxabs, fabs(x[i]));
    any_neg |= x[i] < 0.0;
    all_neg &= x[i] < 0.0;
  }
  if (maxabs == 0.0) return 1.0;
  double s;
  double *l = logs(x, n, &s);
  if (!l) return NAN;
  /* scipy's bounds: the transformed values' variance stays within half of
   * float64's exponent range for data up to 20 times the largest seen. */
  double log1p_max = log1p(20.0 * maxabs), log_eps = log(DBL_EPSILON);
  double log_tiny = (log(DBL_MIN) - log_eps) / 2.0, log_max = (log(DBL_MAX) + log_eps) / 2.0;
  double lb = log_tiny / log1p_max, ub = log_max / log1p_max;
  if (all_neg) {
    double t = lb;
    lb = 2.0 - ub;
    ub = 2.0 - t;
  } else if (any_neg) {
    double nlb = fmax(2.0 - ub, lb), nub = fmin(2.0 - lb, ub);
    lb = nlb;
    ub = nub;
  }
  /* Brent's bounded minimisation, step for step scipy's fminbound
   * (optimize._minimize_scalar_bounded), xatol 1.48e-8, maxiter 500. */
  const double xatol = 1.48e-8, sqrt_eps = sqrt(2.2e-16), golden_mean = 0.5 * (3.0 - sqrt(5.0));
  double a = lb, b = ub;
  double fulc = a + golden_mean * (b - a), nfc = fulc, xf = fulc;
  double rat = 0.0, e = 0.0, xv = xf;
  double fx = nll(x, l, n, s, xv);
  int num = 1;
  double ffulc = fx, fnfc = fx;
  double xm = 0.5 * (a + b);
  double tol1 = sqrt_eps * fabs(xf) + xatol / 3.0, tol2 = 2.0 * tol1;
  while (fabs(xf - xm) > tol2 - 0.5 * (b - a)) {
    int golden = 1;
    if (fabs(e) > tol1) {
      golden = 0;
      double r = (xf - nfc) * (fx - ffulc);
      double q = (xf - fulc) * (fx - fnfc);
      double p = (xf - fulc) * q - (xf - nfc) * r;
      q = 2.0 * (q - r);
      if (q > 0.0) p = -p;
      q = fabs(q);
      r = e;
      e = rat;
      if (fabs(p) < fabs(0.5 * q * r) && p > q * (a - xf) && p < q * (b - xf)) {
        rat = p / q;
        xv = xf + rat;
        if (xv - a < tol2 || b - xv < tol2) rat = tol1 * sign_or_one(xm - xf);
      } else {
        golden = 1;
      }
    }
    if (golden) {
      e = xf >= xm ? a - xf : b - xf;
      rat = golden_mean * e;
    }
    xv = xf + sign_or_one(rat) * fmax(fabs(rat), tol1);
    double fu = nll(x, l, n, s, xv);
    num++;
    if (fu <= fx) {
      if (xv >= xf) a = xf; else b = xf;
      fulc = nfc; ffulc = fnfc;
      nfc = xf; fnfc = fx;
      xf = xv; fx = fu;
    } else {
      if (xv < xf) a = xv; else b = xv;
      if (fu <= fnfc || nfc == xf) {
        fulc = nfc; ffulc = fnfc;
        nfc = xv; fnfc = fu;
      } else if (fu <= ffulc || fulc == xf || fulc == nfc) {
        fulc = xv; ffulc = fu;
      }
    }
    xm = 0.5 * (a + b);
    tol1 = sqrt_eps * fabs(xf) + xatol / 3.0;
    tol2 = 2.0 * tol1;
    if (num >= 500) break;
  }
  free(l);
  return xf;
}

void strata_transform_describe(const strata_transform *t, char *buf, size_t len) {
  switch (t->kind) {
    case STRATA_TRANSFORM_YEO_JOHNSON: snprintf(buf, len, "yeo-johnson(lambda=%.4g)", t->lambda); break;
    case STRATA_TRANSFORM_AGE_DAYS: snprintf(buf, len, "age-days(at day %.6g)", t->lo); break;
    case STRATA_TRANSFORM_CLIP:
      if (isnan(t->p_lo)) snprintf(buf, len, "clip(%.6g..%.6g)", t->lo, t->hi);
      else snprintf(buf, len, "clip(p%g,p%g: %.6g..%.6g)", t->p_lo, t->p_hi, t->lo, t->hi);
      break;
    default: snprintf(buf, len, "%s", strata_transform_name(t->kind)); break;
  }
}
