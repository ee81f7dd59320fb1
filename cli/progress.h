/* Progress display for `strata fit` on stderr, fed by the library's
 * progress callback (strata_fit_params.progress). */
#ifndef STRATA_CLI_PROGRESS_H
#define STRATA_CLI_PROGRESS_H

#include "strata.h"

typedef enum {
  CLI_PROGRESS_AUTO, /* bar when stderr is a terminal, else none */
  CLI_PROGRESS_BAR,  /* one line redrawn with \r */
  CLI_PROGRESS_LOG,  /* one line per stage and iteration */
  CLI_PROGRESS_NONE
} cli_progress_mode;

/* Resolves AUTO and makes `mode` the display of this process.
 * Returns the mode in effect (never AUTO). */
cli_progress_mode cli_progress_begin(cli_progress_mode mode);

/* The callback to put in strata_fit_params.progress (user is unused). */
void cli_progress_cb(const struct strata_progress *p, void *user);

/* Clears a bar being drawn; stops the display. */
void cli_progress_end(void);

/* Clears a bar being drawn so that a message can take the line; the bar
 * comes back with the next update.  Called with stderr locked or not. */
void cli_progress_clear(void);

#endif
