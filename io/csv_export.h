/* `strata export` (strata_csv_export in strata.h): the exporter behind the
 * public declaration. */
#ifndef STRATA_IO_CSV_EXPORT_H
#define STRATA_IO_CSV_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* The params and result structs and strata_csv_export are in strata.h. */

#endif
