#include "meminfo.h"

#include <stdio.h>

uint64_t strata_mem_available(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  unsigned long long kb = 0;
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb == 0) kb = 1ull << 20;
  return (uint64_t)kb * 1024;
}
