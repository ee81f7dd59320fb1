/* The memory this machine has free for us now, for defaults and sanity
 * bounds (core/'s default memory limit, io/'s bound on what an open may
 * allocate before a value is read). */
#ifndef STRATA_MEMINFO_H
#define STRATA_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

/* MemAvailable of /proc/meminfo in bytes; 1 GiB where /proc is not there. */
uint64_t strata_mem_available(void);

/* 1 when `bytes` of address space can be mapped now (mapped without access
 * and unmapped at once, nothing touched): what an address-space limit
 * (RLIMIT_AS, `ulimit -v`) takes away first.  Not malloc: freeing a block
 * that large raises glibc's mmap threshold, and the heap then keeps what it
 * frees. */
int strata_address_space_free(size_t bytes);

#endif
