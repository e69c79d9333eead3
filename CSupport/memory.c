// Giving back the executable's start-up pages. A static binary maps ~40 MB of code and read-only data; start-up
// (the Swift runtime's conformance and metadata scans, argument parsing, NIO and Hummingbird set-up) faults in
// some 20 MB of it that steady state never touches again, and RSS counts every one of those clean pages.
// MADV_PAGEOUT on the executable's read-only mappings drops them; what the daemon does use faults back in
// from the page cache or the file. Nothing writable is touched.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csupport.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

long wd_release_executable_pages(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = 0;
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) return -1;
    char line[4600];
    long released = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &path_at) < 3 || path_at == 0) continue;
        char *path = line + path_at;
        path[strcspn(path, "\n")] = 0;
        if (strcmp(path, exe) != 0 || perms[1] == 'w') continue;
        if (madvise((void *)start, end - start, MADV_PAGEOUT) == 0) released += (long)(end - start);
    }
    fclose(maps);
    return released;
}
