/* Cancellation: strata_request_cancel (strata.h) sets a flag, typically from
 * a SIGINT/SIGTERM handler; long loops poll it between chunks or items with
 * strata_check_cancel and unwind with STRATA_ERR_CANCELLED.  The flag lives
 * here, below core/, io/ and kernels/, because all of them poll it. */
#ifndef STRATA_CANCEL_H
#define STRATA_CANCEL_H

#include "strata.h"

/* STRATA_ERR_CANCELLED (with its detail) once strata_request_cancel was
 * called, else STRATA_OK. */
strata_status strata_check_cancel(void);

#endif
