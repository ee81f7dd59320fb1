/* The cancellation flag (cancel.h). */
#include <signal.h>

#include "cancel.h"
#include "error.h"

/* Set from a signal handler; read between chunks. Never cleared: a process
 * asked to stop stays stopping. */
static volatile sig_atomic_t cancel_requested = 0;

void strata_request_cancel(void) { cancel_requested = 1; }

strata_status strata_check_cancel(void) {
  return cancel_requested ? strata_fail(STRATA_ERR_CANCELLED, "cancelled by request") : STRATA_OK;
}
