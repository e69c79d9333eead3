#ifndef RAW_READ_FLOOR_H
#define RAW_READ_FLOOR_H
#include <stddef.h>
#include <stdint.h>

/// pread(fd, buf, cap, 0) on every descriptor, once: the least any collector must do to read these files.
/// Returns the total bytes read (so the compiler cannot drop the loop), or -1 if a read failed.
int64_t raw_read_floor(const int32_t *fds, size_t count, char *buf, size_t cap);
#endif
