/* Segment descriptions (see profile_describe.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_describe.h"

int strata_profile_top(const strata_feature_profile *f, size_t d, int top[3]) {
  int n = 0;
  for (size_t j = 0; j < d; j++) {
    double a = fabs(f[j].z);
    if (!(a >= STRATA_PROFILE_TOP_MIN_Z)) continue;
    if (n == 3 && fabs(f[top[2]].z) >= a) continue;
    /* Insertion into the short sorted list; equal |z| keeps the lower index first. */
    int pos = n < 3 ? n : 2;
    while (pos > 0 && fabs(f[top[pos - 1]].z) < a) {
      top[pos] = top[pos - 1];
      pos--;
    }
    top[pos] = (int)j;
    if (n < 3) n++;
  }
  return n;
}

/* Words for customer features recognised by a word of their name. */
typedef struct {
  const char *const *words;  /* NULL-terminated */
  const char *high, *low, *very_high, *very_low;
} vocab;

static const char *const AGE[] = {"age", NULL};
static const char *const INCOME[] = {"income", "salary", "earnings", NULL};
static const char *const FREQ[] = {"frequency", "purchases", "orders", "visits", "transactions", NULL};
static const char *const RECENCY[] = {"recency", "since", NULL};
static const char *const SPEND[] = {"spend", "spending", "monetary", "amount", "basket", "revenue", NULL};
static const char *const TENURE[] = {"tenure", NULL};

static const vocab VOCAB[] = {
    {AGE, "older", "younger", "much older", "much younger"},
    {INCOME, "high income", "low income", "very high income", "very low income"},
    {FREQ, "buys often", "buys rarely", "buys very often", "buys very rarely"},
    /* A high recency (days since the last purchase) is a customer gone quiet. */
    {RECENCY, "lapsed", "bought recently", "long lapsed", "bought very recently"},
    {SPEND, "big spender", "small spender", "very big spender", "very small spender"},
    {TENURE, "long-standing", "new", "very long-standing", "very new"},
};

/* 1 when `word` is one of the words of `name` (split at anything that is not
 * a letter or digit), case-insensitive: "age" is in "customer_age" but not in
 * "average". */
static int has_word(const char *name, const char *word) {
  size_t wl = strlen(word);
  const char *p = name;
  while (*p) {
    while (*p && !isalnum((unsigned char)*p)) p++;
    const char *s = p;
    while (*p && isalnum((unsigned char)*p)) p++;
    if ((size_t)(p - s) != wl) continue;
    size_t i = 0;
    while (i < wl && tolower((unsigned char)s[i]) == word[i]) i++;
    if (i == wl) return 1;
  }
  return 0;
}

static const vocab *lookup(const char *name) {
  for (size_t v = 0; v < sizeof VOCAB / sizeof VOCAB[0]; v++)
    for (const char *const *w = VOCAB[v].words; *w; w++)
      if (has_word(name, *w)) return &VOCAB[v];
  return NULL;
}

void strata_profile_phrase(const char *name, int onehot, double z, double share, char *buf,
                           size_t size) {
  int very = fabs(z) >= STRATA_PROFILE_VERY_Z;
  if (onehot) {
    const char *cat = strchr(name, '=');
    cat = cat ? cat + 1 : name;
    if (z > 0) snprintf(buf, size, "%s %s", share >= 0.5 ? "mostly" : "more often", cat);
    else snprintf(buf, size, "%s %s", share <= 0.0 ? "never" : "less often", cat);
    return;
  }
  const vocab *v = lookup(name);
  if (v) {
    snprintf(buf, size, "%s", z > 0 ? (very ? v->very_high : v->high) : (very ? v->very_low : v->low));
    return;
  }
  snprintf(buf, size, "%s %s", z > 0 ? (very ? "very high" : "high") : (very ? "very low" : "low"), name);
}

char *strata_profile_describe(const strata_feature_profile *f, const char *const *names,
                              const int *group, const int *top, int ntop) {
  char out[1024] = "", phrase[256];
  size_t len = 0;
  for (int i = 0; i < ntop; i++) {
    int j = top[i];
    if (!(fabs(f[j].z) >= STRATA_PROFILE_NOTABLE_Z)) continue;
    strata_profile_phrase(names[j], group && group[j] >= 0, f[j].z, f[j].mean, phrase, sizeof phrase);
    int w = snprintf(out + len, sizeof out - len, "%s%s", len ? ", " : "", phrase);
    if (w < 0 || (size_t)w >= sizeof out - len) break;
    len += (size_t)w;
  }
  const char *s = len ? out : "close to the average customer";
  char *r = malloc(strlen(s) + 1);
  if (r) strcpy(r, s);
  return r;
}
