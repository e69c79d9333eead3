#include "raw_read_floor.h"
#include <unistd.h>

int64_t raw_read_floor(const int32_t *fds, size_t count, char *buf, size_t cap) {
    int64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        ssize_t n = pread(fds[i], buf, cap, 0);
        if (n < 0) return -1;
        total += n;
    }
    return total;
}
