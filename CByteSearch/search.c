// Byte search for the history reader: glibc's memmem (two-way, vectorised) is a GNU extension that Swift's
// Glibc module does not export.
#define _GNU_SOURCE
#include <string.h>

#include "cbytesearch.h"

const void *wd_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len) {
    return memmem(haystack, haystack_len, needle, needle_len);
}

const void *wd_memrchr(const void *s, int c, size_t n) { return memrchr(s, c, n); }
