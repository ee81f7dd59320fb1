/* Progress display: a redrawn bar or one log line per iteration, on stderr. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BAR_CELLS = 24 };

static cli_progress_mode mode = CLI_PROGRESS_NONE;
static int bar_len;          /* characters of the bar now on the line; 0 = none */
static int header_printed;   /* log mode: the iteration header was written */

cli_progress_mode cli_progress_begin(cli_progress_mode m) {
  if (m == CLI_PROGRESS_AUTO) m = isatty(STDERR_FILENO) ? CLI_PROGRESS_BAR : CLI_PROGRESS_NONE;
  mode = m;
  bar_len = 0;
  header_printed = 0;
  return m;
}

void cli_progress_clear(void) {
  if (bar_len <= 0) return;
  /* Overwrite with blanks rather than a terminal escape, so that a bar sent
   * to a file on request stays plain text. */
  fprintf(stderr, "\r%*s\r", bar_len, "");
  fflush(stderr);
  bar_len = 0;
}

void cli_progress_end(void) {
  cli_progress_clear();
  mode = CLI_PROGRESS_NONE;
}

static const char *stage_name(strata_stage s) {
  switch (s) {
    case STRATA_STAGE_STATS: return "statistics pass";
    case STRATA_STAGE_INIT: return "initialisation";
    case STRATA_STAGE_ITER: return "iteration";
    case STRATA_STAGE_LABELS: return "labels";
    case STRATA_STAGE_SWEEP: return "sweep pass";
  }
  return "stage";
}

static void draw_bar(const strata_progress *p) {
  char line[256];
  int n_init = p->n_init > 0 ? p->n_init : 1;
  int max_iter = p->max_iter > 0 ? p->max_iter : 1;
  double done = 0.0;
  if (p->stage == STRATA_STAGE_ITER)
    done = ((double)p->run + (double)p->iteration / max_iter) / n_init;
  else if (p->stage == STRATA_STAGE_INIT)
    done = (double)p->run / n_init;
  else if (p->stage == STRATA_STAGE_LABELS)
    done = 1.0;
  else if (p->stage == STRATA_STAGE_SWEEP)
    done = (double)p->run / n_init;
  if (done < 0.0) done = 0.0;
  if (done > 1.0) done = 1.0;
  int filled = (int)(done * BAR_CELLS + 0.5);
  char cells[BAR_CELLS + 1];
  memset(cells, '#', (size_t)filled);
  memset(cells + filled, '.', (size_t)(BAR_CELLS - filled));
  cells[BAR_CELLS] = '\0';
  int len;
  if (p->stage == STRATA_STAGE_ITER)
    len = snprintf(line, sizeof line, "[%s] run %d/%d  iter %d/%d  inertia %.6g  shift %.3g", cells,
                   p->run + 1, n_init, p->iteration, max_iter, p->inertia, p->shift);
  else if (p->stage == STRATA_STAGE_SWEEP)
    len = snprintf(line, sizeof line, "[%s] sweep pass %d  %d of %d k done", cells, p->iteration, p->run,
                   n_init);
  else
    len = snprintf(line, sizeof line, "[%s] %s (run %d/%d)", cells, stage_name(p->stage),
                   p->run + 1, n_init);
  if (len < 0) return;
  if (len >= (int)sizeof line) len = (int)sizeof line - 1;
  /* Pad over the longer previous line instead of clearing first: no flicker. */
  int pad = bar_len > len ? bar_len - len : 0;
  fprintf(stderr, "\r%s%*s", line, pad, "");
  if (pad) fprintf(stderr, "\r%s", line);
  fflush(stderr);
  bar_len = len;
}

static void write_log(const strata_progress *p) {
  switch (p->stage) {
    case STRATA_STAGE_STATS:
      fprintf(stderr, "strata: statistics pass: %.3f s, %.4g rows/s\n", p->seconds, p->rows_per_second);
      break;
    case STRATA_STAGE_INIT:
      fprintf(stderr, "strata: run %d/%d: initialisation: %.3f s\n", p->run + 1, p->n_init, p->seconds);
      break;
    case STRATA_STAGE_LABELS:
      fprintf(stderr, "strata: labels written: %.3f s, %.4g rows/s\n", p->seconds, p->rows_per_second);
      break;
    case STRATA_STAGE_SWEEP:
      fprintf(stderr, "strata: sweep pass %d: served %lld k, %d of %d k done, %.3f s, %.4g rows/s\n", p->iteration,
              (long long)p->relocations, p->run, p->n_init, p->seconds, p->rows_per_second);
      break;
    case STRATA_STAGE_ITER:
      if (!header_printed) {
        fprintf(stderr, "strata: %-7s %5s %18s %12s %12s %10s %12s\n", "run", "iter", "inertia", "shift",
                "relocations", "seconds", "rows/s");
        header_printed = 1;
      }
      fprintf(stderr, "strata: %3d/%-3d %5d %18.10g %12.4g %12lld %10.4f %12.4g\n", p->run + 1, p->n_init,
              p->iteration, p->inertia, p->shift, (long long)p->relocations, p->seconds, p->rows_per_second);
      break;
  }
  fflush(stderr);
}

void cli_progress_cb(const struct strata_progress *p, void *user) {
  (void)user;
  if (!p) return;
  flockfile(stderr);
  if (mode == CLI_PROGRESS_BAR)
    draw_bar(p);
  else if (mode == CLI_PROGRESS_LOG)
    write_log(p);
  funlockfile(stderr);
}
