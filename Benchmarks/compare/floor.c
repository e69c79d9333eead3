// The naive floor of issue 12 on real containers: the six files one `docker stats` sample needs (CPU usage,
// memory usage, limit and stat, pids, the namespace's net/dev), opened once, then pread at offset 0 in a
// tight loop, nothing parsed. Prints microseconds per container-sample.
//   floor SECONDS FILE...   (six files per container, in any order: only the count matters)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3 || (argc - 2) % 6 != 0) {
        fprintf(stderr, "usage: floor SECONDS FILE... (six files per container)\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    int files = argc - 2;
    int *fds = calloc((size_t)files, sizeof *fds);
    for (int i = 0; i < files; i++) {
        fds[i] = open(argv[i + 2], O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            perror(argv[i + 2]);
            return 1;
        }
    }
    static char buf[64 * 1024];
    long rounds = 0;
    double start = now(), end = start;
    while (end - start < seconds) {
        for (int i = 0; i < files; i++) {
            if (pread(fds[i], buf, sizeof buf, 0) < 0) {
                perror(argv[i + 2]);
                return 1;
            }
        }
        rounds++;
        if ((rounds & 15) == 0) end = now();
    }
    end = now();
    printf("%.3f\n", (end - start) * 1e6 / (double)rounds / (double)(files / 6));
    return 0;
}
