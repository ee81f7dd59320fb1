/* The chunk cursor (io/cursor.h).
 *
 * With prefetch a producer thread reads ahead into two buffers: chunk i
 * lives in buffer i % 2, so while the consumer holds chunk i the producer
 * fills chunk i+1 into the other buffer.  The protocol, all under `mutex`:
 *   produced  chunks the producer has finished (ready or handed out)
 *   consumed  chunks handed to the consumer
 *   holding   1 while the consumer still uses chunk consumed-1
 * The producer may fill chunk `produced` while
 * (produced - consumed) + holding < 2, i.e. while a buffer is free.
 * A rewind bumps `generation`; a read that started under an older
 * generation is thrown away when it finishes.  Without prefetch the same
 * chunks are read on demand into one buffer. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cursor.h"
#include "dataset.h"
#include "ctx.h"
#include "error.h"

/* strata_fail's detail is thread-local; the producer copies it here. */
#define DETAIL_MAX 1024

typedef struct {
  size_t row0, rows;
  strata_status st;
  char detail[DETAIL_MAX];
} slot;

struct strata_cursor {
  strata_dataset *ds;
  size_t n, cols, chunk_rows;
  float *buf[2];
  int prefetch;

  /* Synchronous mode. */
  size_t next_row;

  /* Prefetch mode; every field below is guarded by mutex. */
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t changed; /* any of the fields below changed */
  slot slots[2];
  uint64_t produced, consumed, generation;
  int holding;
  int done; /* the producer reached the end or failed: it reads nothing more */
  int stop;
  size_t produce_row;
};

/* ------------------------------------------------------------ producer */

static int producer_may_fill(const strata_cursor *c) {
  return !c->done && (c->produced - c->consumed) + (uint64_t)c->holding < 2;
}

static void *producer_main(void *arg) {
  strata_cursor *c = arg;
  pthread_mutex_lock(&c->mutex);
  for (;;) {
    while (!c->stop && !producer_may_fill(c)) pthread_cond_wait(&c->changed, &c->mutex);
    if (c->stop) break;

    uint64_t generation = c->generation;
    size_t row0 = c->produce_row;
    size_t rows = c->n - row0 < c->chunk_rows ? c->n - row0 : c->chunk_rows;
    int b = (int)(c->produced % 2);
    pthread_mutex_unlock(&c->mutex);

    /* The consumer cannot look at buffer b until `produced` moves past it. */
    strata_status st = strata_dataset_read(c->ds, row0, rows, c->buf[b]);

    pthread_mutex_lock(&c->mutex);
    if (generation != c->generation) continue; /* rewound meanwhile */
    slot *s = &c->slots[b];
    s->row0 = row0;
    s->rows = rows;
    s->st = st;
    if (st != STRATA_OK) snprintf(s->detail, sizeof s->detail, "%s", strata_last_error());
    c->produced++;
    c->produce_row += rows;
    c->done = st != STRATA_OK || c->produce_row >= c->n;
    pthread_cond_broadcast(&c->changed);
  }
  pthread_mutex_unlock(&c->mutex);
  return NULL;
}

/* Signals for the process (SIGINT, SIGTERM from a batch scheduler) must go
 * to the application's threads, never to the reader. */
static int start_producer(strata_cursor *c) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&c->thread, NULL, producer_main, c);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc == 0;
}

static strata_status next_prefetched(strata_cursor *c, strata_chunk *chunk) {
  pthread_mutex_lock(&c->mutex);
  if (c->holding) {
    c->holding = 0; /* the consumer is done with the previous chunk */
    pthread_cond_broadcast(&c->changed);
  }
  while (c->produced == c->consumed && !c->done) pthread_cond_wait(&c->changed, &c->mutex);

  strata_status st = STRATA_OK;
  if (c->produced == c->consumed) {
    chunk->row0 = c->n; /* end */
  } else {
    const slot *s = &c->slots[c->consumed % 2];
    if (s->st != STRATA_OK) {
      /* Not consumed: the error stays, every later call reports it again. */
      st = strata_fail(s->st, "%s", s->detail);
    } else {
      chunk->data = c->buf[c->consumed % 2];
      chunk->row0 = s->row0;
      chunk->rows = s->rows;
      c->consumed++;
      c->holding = 1;
    }
  }
  pthread_mutex_unlock(&c->mutex);
  return st;
}

/* ------------------------------------------------------------ public */

static strata_status next_synchronous(strata_cursor *c, strata_chunk *chunk) {
  chunk->row0 = c->next_row;
  if (c->next_row >= c->n) return STRATA_OK;
  size_t rows = c->n - c->next_row < c->chunk_rows ? c->n - c->next_row : c->chunk_rows;
  FORWARD_IF_ERROR(strata_dataset_read(c->ds, c->next_row, rows, c->buf[0]));
  chunk->data = c->buf[0];
  chunk->rows = rows;
  c->next_row += rows;
  return STRATA_OK;
}

strata_status strata_cursor_open(const strata_ctx *ctx, strata_dataset *ds, size_t chunk_rows, int prefetch, strata_cursor **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_cursor_open: out is NULL");
  *out = NULL;
  RETURN_IF(!ds, STRATA_ERR_USAGE, "strata_cursor_open: no dataset");
  RETURN_IF(chunk_rows == 0, STRATA_ERR_USAGE, "chunk rows must be at least 1");

  size_t n = strata_dataset_rows(ds), cols = strata_dataset_cols(ds);
  /* A chunk longer than the data would only waste memory. */
  size_t buffer_rows = chunk_rows < n ? chunk_rows : (n ? n : 1);
  RETURN_IF(buffer_rows > SIZE_MAX / sizeof(float) / (cols ? cols : 1), STRATA_ERR_USAGE,
            "chunk of %zu rows x %zu columns is too large", chunk_rows, cols);

  strata_cursor *c = calloc(1, sizeof *c);
  RETURN_IF(!c, STRATA_ERR_NOMEM, "out of memory opening a cursor on '%s'", strata_dataset_path(ds));
  c->ds = ds;
  c->n = n;
  c->cols = cols;
  c->chunk_rows = chunk_rows;
  c->prefetch = prefetch != 0;
  size_t bytes = buffer_rows * (cols ? cols : 1) * sizeof(float);
  for (int b = 0; b < 1 + c->prefetch; b++) {
    if (!(c->buf[b] = malloc(bytes))) {
      strata_cursor_close(c);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory for a %zu-row chunk of '%s'", chunk_rows,
                         strata_dataset_path(ds));
    }
  }
  if (c->prefetch) {
    pthread_mutex_init(&c->mutex, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->done = n == 0;
    if (!start_producer(c)) {
      /* Still correct, only slower: read on demand. */
      strata_log(ctx, STRATA_LOG_DEBUG, "no prefetch thread for '%s'; reading synchronously",
                 strata_dataset_path(ds));
      pthread_cond_destroy(&c->changed);
      pthread_mutex_destroy(&c->mutex);
      c->prefetch = 0;
    }
  }
  *out = c;
  return STRATA_OK;
}

strata_status strata_cursor_next(strata_cursor *cur, strata_chunk *chunk) {
  RETURN_IF(!cur || !chunk, STRATA_ERR_USAGE, "strata_cursor_next: NULL argument");
  chunk->data = NULL;
  chunk->row0 = 0;
  chunk->rows = 0;
  chunk->cols = cur->cols;
  return cur->prefetch ? next_prefetched(cur, chunk) : next_synchronous(cur, chunk);
}

strata_status strata_cursor_rewind(strata_cursor *cur) {
  RETURN_IF(!cur, STRATA_ERR_USAGE, "strata_cursor_rewind: NULL cursor");
  if (!cur->prefetch) {
    cur->next_row = 0;
    return STRATA_OK;
  }
  pthread_mutex_lock(&cur->mutex);
  cur->generation++;
  cur->produced = cur->consumed = 0;
  cur->holding = 0;
  cur->produce_row = 0;
  cur->done = cur->n == 0;
  pthread_cond_broadcast(&cur->changed);
  pthread_mutex_unlock(&cur->mutex);
  return STRATA_OK;
}

void strata_cursor_close(strata_cursor *cur) {
  if (!cur) return;
  if (cur->prefetch) {
    pthread_mutex_lock(&cur->mutex);
    cur->stop = 1;
    pthread_cond_broadcast(&cur->changed);
    pthread_mutex_unlock(&cur->mutex);
    pthread_join(cur->thread, NULL);
    pthread_cond_destroy(&cur->changed);
    pthread_mutex_destroy(&cur->mutex);
  }
  free(cur->buf[0]);
  free(cur->buf[1]);
  free(cur);
}
