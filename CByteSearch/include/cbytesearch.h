// glibc's memmem and memrchr (GNU extensions Swift's Glibc module does not export), for finding fields and
// line ends in history files. A target of its own: CSupport is the code that reads cgroup and proc files.
#ifndef CBYTESEARCH_H
#define CBYTESEARCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

const void *wd_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);
const void *wd_memrchr(const void *s, int c, size_t n);

#ifdef __cplusplus
}
#endif

#endif
