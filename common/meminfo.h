/* The memory this machine has free for us now, for defaults and sanity
 * bounds (core/'s default memory limit, io/'s bound on what an open may
 * allocate before a value is read). */
#ifndef STRATA_MEMINFO_H
#define STRATA_MEMINFO_H

#include <stdint.h>

/* MemAvailable of /proc/meminfo in bytes; 1 GiB where /proc is not there. */
uint64_t strata_mem_available(void);

#endif
