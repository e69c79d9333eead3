// Naming the collector's thread, so that top -H, perf and gdb show which thread ticks.
#define _GNU_SOURCE
#include <pthread.h>

#include "csupport.h"

void wd_name_this_thread(const char *name) {
    // The kernel keeps at most 15 characters; a longer name is refused (ERANGE) and the thread keeps its own.
    (void)pthread_setname_np(pthread_self(), name);
}
