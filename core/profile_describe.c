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

/* Words for common customer features.  A name is recognised when one of
 * its words is a `key` of the concept and every other word is one of the
 * concept's `also` words or a filler (units, "avg", "customer", ...), so
 * "purchase_frequency" and "PURCHASES_TRX" buy often but
 * "CASH_ADVANCE_FREQUENCY" does not. */
typedef struct {
  const char *const *key, *const *also; /* NULL-terminated */
  const char *high, *low, *very_high, *very_low;
} vocab;

static const char *const FILLER[] = {"avg", "average", "mean", "total", "num", "number", "n",
                                     "count", "of", "per", "in", "the", "customer", "cust",
                                     "client", "days", "day", "months", "month", "years",
                                     "year", "weeks", "annual", "monthly", "yearly", "weekly",
                                     "usd", "eur", "k", NULL};
static const char *const AGE_K[] = {"age", NULL};
static const char *const INCOME_K[] = {"income", "salary", "earnings", NULL};
static const char *const INCOME_A[] = {"household", "gross", "net", NULL};
static const char *const FREQ_K[] = {"frequency", "freq", "visits", "orders", "transactions", "trx", NULL};
static const char *const FREQ_A[] = {"purchase", "purchases", "order", "visit", "store", "web", "online", NULL};
static const char *const RECENCY_K[] = {"recency", "since", NULL};
static const char *const RECENCY_A[] = {"last", "purchase", "order", "visit", NULL};
static const char *const SPEND_K[] = {"spend", "spending", "monetary", "basket", "revenue", "sales", NULL};
static const char *const SPEND_A[] = {"value", "amount", "order", "purchase", "size", NULL};
static const char *const TENURE_K[] = {"tenure", NULL};
static const char *const NONE[] = {NULL};

static const vocab VOCAB[] = {
    {AGE_K, NONE, "older", "younger", "much older", "much younger"},
    {INCOME_K, INCOME_A, "high income", "low income", "very high income", "very low income"},
    {FREQ_K, FREQ_A, "buys often", "buys rarely", "buys very often", "buys very rarely"},
    /* A high recency (days since the last purchase) is a customer gone quiet. */
    {RECENCY_K, RECENCY_A, "lapsed", "bought recently", "long lapsed", "bought very recently"},
    {SPEND_K, SPEND_A, "big spender", "small spender", "very big spender", "very small spender"},
    {TENURE_K, NONE, "long-standing", "new", "very long-standing", "very new"},
};
enum { NVOCAB = sizeof VOCAB / sizeof VOCAB[0] };

static int in_list(const char *w, size_t len, const char *const *list) {
  for (; *list; list++) {
    size_t i = 0;
    while (i < len && (*list)[i] && tolower((unsigned char)w[i]) == (*list)[i]) i++;
    if (i == len && (*list)[i] == '\0') return 1;
  }
  return 0;
}

/* The concept of a feature name (index into VOCAB), or -1.  Words are runs
 * of letters and digits, compared case-insensitively: "age" is a word of
 * "customer_age" but not of "average". */
static int lookup(const char *name) {
  for (int v = 0; v < NVOCAB; v++) {
    int keys = 0, others = 0;
    for (const char *p = name; *p;) {
      while (*p && !isalnum((unsigned char)*p)) p++;
      const char *w = p;
      while (*p && isalnum((unsigned char)*p)) p++;
      size_t len = (size_t)(p - w);
      if (!len) continue;
      if (in_list(w, len, VOCAB[v].key)) keys++;
      else if (!in_list(w, len, VOCAB[v].also) && !in_list(w, len, FILLER)) others++;
    }
    if (keys && !others) return v;
  }
  return -1;
}

void strata_profile_phrase(const char *name, int onehot, double z, double share, unsigned *used,
                           char *buf, size_t size) {
  int very = fabs(z) >= STRATA_PROFILE_VERY_Z;
  if (onehot) {
    const char *cat = strchr(name, '=');
    cat = cat ? cat + 1 : name;
    if (z > 0) snprintf(buf, size, "%s %s", share >= 0.5 ? "mostly" : "more often", cat);
    else snprintf(buf, size, "%s %s", share <= 0.0 ? "never" : "less often", cat);
    return;
  }
  int v = lookup(name);
  /* A second feature of a concept already described gets the generic
   * phrase, so that a description never says the same thing twice. */
  if (v >= 0 && !(used && (*used >> v) & 1u)) {
    if (used) *used |= 1u << v;
    snprintf(buf, size, "%s", z > 0 ? (very ? VOCAB[v].very_high : VOCAB[v].high)
                                    : (very ? VOCAB[v].very_low : VOCAB[v].low));
    return;
  }
  snprintf(buf, size, "%s %s", z > 0 ? (very ? "very high" : "high") : (very ? "very low" : "low"), name);
}

char *strata_profile_describe(const strata_feature_profile *f, const char *const *names,
                              const int *group, const int *top, int ntop) {
  char out[1024] = "", phrase[256];
  size_t len = 0;
  unsigned used = 0;
  for (int i = 0; i < ntop; i++) {
    int j = top[i];
    if (!(fabs(f[j].z) >= STRATA_PROFILE_NOTABLE_Z)) continue;
    strata_profile_phrase(names[j], group && group[j] >= 0, f[j].z, f[j].mean, &used, phrase,
                          sizeof phrase);
    int w = snprintf(out + len, sizeof out - len, "%s%s", len ? ", " : "", phrase);
    if (w < 0 || (size_t)w >= sizeof out - len) break;
    len += (size_t)w;
  }
  const char *s = len ? out : "close to the average customer";
  char *r = malloc(strlen(s) + 1);
  if (r) strcpy(r, s);
  return r;
}
