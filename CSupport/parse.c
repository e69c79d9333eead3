// Allocation-free parsers for the text formats of cgroup v1/v2 and procfs counter files.
// Each works on a buffer already filled by wd_pread_all (NUL-terminated, length n).
#include "csupport.h"

#include <errno.h>
#include <string.h>

static inline int is_blank(char c) { return c == ' ' || c == '\t'; }
static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads an unsigned decimal at *p (no sign, no blanks), advancing *p. Saturates instead of wrapping.
static int read_u64(const char **p, const char *end, uint64_t *out) {
    const char *s = *p;
    if (s >= end || !is_digit(*s)) return -EINVAL;
    uint64_t v = 0;
    while (s < end && is_digit(*s)) {
        uint64_t d = (uint64_t)(*s - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

static inline const char *skip_blanks(const char *s, const char *end) {
    while (s < end && is_blank(*s)) s++;
    return s;
}

static inline const char *next_line(const char *s, const char *end) {
    while (s < end && *s != '\n') s++;
    return s < end ? s + 1 : end;
}

int wd_parse_u64(const char *s, size_t n, uint64_t *out) {
    const char *end = s + n;
    const char *p = s;
    while (p < end && (is_blank(*p) || *p == '\n')) p++;
    if (end - p >= 3 && memcmp(p, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    return read_u64(&p, end, out);
}

uint32_t wd_parse_keyed(const char *s, size_t n, const char *const *keys, size_t nkeys, uint64_t *out) {
    const char *end = s + n;
    uint32_t found = 0;
    for (const char *line = s; line < end; line = next_line(line, end)) {
        const char *k = line;
        const char *sp = k;
        while (sp < end && *sp != ' ' && *sp != '\n') sp++;
        size_t klen = (size_t)(sp - k);
        if (sp >= end || *sp != ' ') continue;
        for (size_t i = 0; i < nkeys && i < 32; i++) {
            if (found & (1u << i)) continue;
            if (strlen(keys[i]) == klen && memcmp(keys[i], k, klen) == 0) {
                const char *v = skip_blanks(sp, end);
                if (read_u64(&v, end, &out[i]) == 0) found |= 1u << i;
                break;
            }
        }
    }
    return found;
}

int wd_parse_blkio_v1(const char *s, size_t n, uint64_t *read_bytes, uint64_t *write_bytes) {
    const char *end = s + n;
    uint64_t r = 0, w = 0;
    for (const char *line = s; line < end; line = next_line(line, end)) {
        // "8:0 Read 4096" — the final "Total N" line has no device and is skipped.
        if (!is_digit(*line)) continue;
        const char *p = line;
        while (p < end && *p != ' ' && *p != '\n') p++;
        p = skip_blanks(p, end);
        uint64_t v = 0;
        if (end - p > 5 && memcmp(p, "Read ", 5) == 0) {
            p += 5;
            if (read_u64(&p, end, &v) == 0) r += v;
        } else if (end - p > 6 && memcmp(p, "Write ", 6) == 0) {
            p += 6;
            if (read_u64(&p, end, &v) == 0) w += v;
        }
    }
    *read_bytes = r;
    *write_bytes = w;
    return 0;
}

int wd_parse_io_stat_v2(const char *s, size_t n, uint64_t *read_bytes, uint64_t *write_bytes) {
    const char *end = s + n;
    uint64_t r = 0, w = 0;
    for (const char *line = s; line < end; line = next_line(line, end)) {
        const char *p = line;
        while (p < end && *p != '\n') {
            p = skip_blanks(p, end);
            uint64_t v = 0;
            if (end - p > 7 && memcmp(p, "rbytes=", 7) == 0) {
                p += 7;
                if (read_u64(&p, end, &v) == 0) r += v;
            } else if (end - p > 7 && memcmp(p, "wbytes=", 7) == 0) {
                p += 7;
                if (read_u64(&p, end, &v) == 0) w += v;
            }
            while (p < end && *p != ' ' && *p != '\n') p++;
        }
    }
    *read_bytes = r;
    *write_bytes = w;
    return 0;
}

/// The number after the first "total=" in [line, end of line), or UINT64_MAX when there is none.
static uint64_t psi_total(const char *line, const char *end) {
    const char *eol = next_line(line, end);
    for (const char *p = line; eol - p >= 6; p++) {
        if (memcmp(p, "total=", 6) != 0) continue;
        const char *v = p + 6;
        uint64_t total;
        return read_u64(&v, eol, &total) == 0 ? total : UINT64_MAX;
    }
    return UINT64_MAX;
}

int wd_parse_psi(const char *s, size_t n, wd_psi *out) {
    const char *end = s + n;
    int rc = -EINVAL;
    int full_seen = 0;
    out->full_total_us = UINT64_MAX;
    for (const char *line = s; line < end && (rc != 0 || !full_seen); line = next_line(line, end)) {
        if (!full_seen && end - line >= 5 && memcmp(line, "full ", 5) == 0) {
            full_seen = 1;
            out->full_total_us = psi_total(line, end);
            continue;
        }
        if (rc == 0 || end - line < 11 || memcmp(line, "some avg10=", 11) != 0) continue;
        const char *p = line + 11;
        uint64_t whole = 0, frac = 0;
        if (read_u64(&p, end, &whole) != 0) return -EINVAL;
        if (p < end && *p == '.') {
            p++;
            // Two decimals, as the kernel prints them.
            for (int i = 0; i < 2; i++) {
                frac = frac * 10 + ((p < end && is_digit(*p)) ? (uint64_t)(*p++ - '0') : 0);
            }
        }
        out->some_avg10 = whole * 100 + frac;
        out->some_total_us = psi_total(line, end);
        rc = 0;
    }
    return rc;
}

int wd_parse_proc_stat_cpu(const char *s, size_t n, uint64_t *ticks) {
    const char *end = s + n;
    if (n < 4 || memcmp(s, "cpu ", 4) != 0) return -EINVAL;
    const char *p = s + 4;
    uint64_t sum = 0;
    // user nice system idle iowait irq softirq: the seven fields Docker adds up for system_cpu_usage.
    for (int i = 0; i < 7; i++) {
        p = skip_blanks(p, end);
        uint64_t v = 0;
        if (read_u64(&p, end, &v) != 0) return -EINVAL;
        sum += v;
    }
    *ticks = sum;
    return 0;
}
