// libFuzzer target for CSupport's kernel-text parsers (CSupport/parse.c, CSupport/netdev.c).
//
// Every input is handed to every parser the way CSupport/probe.c does it: the text lies in a buffer that
// wd_pread_all filled and NUL-terminated, n is the number of bytes read, and n <= cap - 1 where cap is the
// caller's buffer (64 KiB in the collector, 1 KiB for /proc/stat in HostCounters). The copy here is a heap
// block of exactly n + 1 bytes, so AddressSanitizer reports any read past the terminator.
//
// Besides "no crash, no sanitizer report", each result is checked against what csupport.h promises:
//  - return codes are 0 or -EINVAL only;
//  - every parser agrees with a small reference reading of the documented format (written here from the
//    kernel's formats, not copied from CSupport): saturating single values, the first matching line for keyed
//    files and PSI, sums over lines for net/dev, blkio and io.stat with "lo" left out;
//  - the line-summing parsers (net/dev, blkio v1, io.stat v2) and wd_parse_keyed are line-local: parsing
//    A+B, split after a newline, gives the sum (or the first-found union) of parsing A and B separately;
//  - /proc/stat read through HostCounters' 1 KiB buffer gives the same ticks whenever the first line fits.
// A failed property prints what failed and aborts, which libFuzzer reports as a crash with the input saved.
#include "csupport.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CAP (64 * 1024) // Collector.readBufferSize: what wd_probe_read gets
#define STAT_CAP 1024        // HostCounters.systemCPUNanos: min(buffer.count, 1024) for /proc/stat
#define SENTINEL 0xA5A5A5A5A5A5A5A5ull

#define CHECK(cond, ...)                                                                                    \
    do {                                                                                                    \
        if (!(cond)) {                                                                                      \
            fprintf(stderr, "\nfuzz property failed at %s:%d: ", __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                                   \
            fprintf(stderr, " [%s]\n", #cond);                                                              \
            abort();                                                                                        \
        }                                                                                                   \
    } while (0)

// Every key probe.c asks wd_parse_keyed for (memory.stat v1/v2, cpu.stat v1/v2, memory.events,
// memory.oom_control). They are distinct, so each key's result does not depend on the others.
static const char *const keys[] = {"total_inactive_file", "total_cache", "inactive_file", "file",
                                   "nr_throttled",        "usage_usec",  "max",           "oom_kill"};
#define NKEYS (sizeof keys / sizeof keys[0])

typedef struct results {
    int u64_rc;
    uint64_t u64;
    uint32_t keyed_found;
    uint64_t keyed[NKEYS];
    int netdev_rc;
    wd_netdev_totals netdev;
    int blkio_rc;
    uint64_t blkio_r, blkio_w;
    int io_rc;
    uint64_t io_r, io_w;
    int psi_rc;
    wd_psi psi;
    int stat_rc;
    uint64_t stat;
} results;

// A NUL-terminated heap copy of exactly n + 1 bytes, as wd_pread_all leaves it.
static char *text_copy(const uint8_t *data, size_t n) {
    char *b = malloc(n + 1);
    if (!b) abort();
    if (n) memcpy(b, data, n);
    b[n] = '\0';
    return b;
}

static void run_all(const uint8_t *data, size_t n, results *r) {
    char *s = text_copy(data, n);
    memset(r, 0, sizeof *r);
    r->u64 = SENTINEL;
    r->u64_rc = wd_parse_u64(s, n, &r->u64);
    for (size_t i = 0; i < NKEYS; i++) r->keyed[i] = SENTINEL;
    r->keyed_found = wd_parse_keyed(s, n, keys, NKEYS, r->keyed);
    r->netdev_rc = wd_parse_netdev(s, n, &r->netdev);
    r->blkio_rc = wd_parse_blkio_v1(s, n, &r->blkio_r, &r->blkio_w);
    r->io_rc = wd_parse_io_stat_v2(s, n, &r->io_r, &r->io_w);
    r->psi = (wd_psi){SENTINEL, SENTINEL, SENTINEL};
    r->psi_rc = wd_parse_psi(s, n, &r->psi);
    r->stat = SENTINEL;
    r->stat_rc = wd_parse_proc_stat_cpu(s, n, &r->stat);
    free(s);
}

// ---- reference readings of the documented formats ------------------------------------------------------

static int digit(uint8_t c) { return c >= '0' && c <= '9'; }

// Saturating decimal at p (no sign); returns the end, or NULL when p holds no digit.
static const uint8_t *ref_number(const uint8_t *p, const uint8_t *end, uint64_t *out) {
    if (p >= end || !digit(*p)) return NULL;
    uint64_t v = 0;
    for (; p < end && digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
    }
    *out = v;
    return p;
}

static const uint8_t *ref_blanks(const uint8_t *p, const uint8_t *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

static void check_u64(const uint8_t *d, size_t n, const results *r) {
    const uint8_t *p = d, *end = d + n;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) p++;
    uint64_t want = 0;
    int rc = 0;
    if (end - p >= 3 && memcmp(p, "max", 3) == 0) want = UINT64_MAX;
    else if (!ref_number(p, end, &want)) rc = -EINVAL;
    CHECK(r->u64_rc == rc, "wd_parse_u64 returned %d, want %d", r->u64_rc, rc);
    if (rc == 0) CHECK(r->u64 == want, "wd_parse_u64 gave %llu, want %llu", (unsigned long long)r->u64, (unsigned long long)want);
}

// "key value": the first line that starts with `key ` and has digits after the blanks.
static void check_keyed(const uint8_t *d, size_t n, const results *r) {
    const uint8_t *end = d + n;
    CHECK((r->keyed_found & ~((1u << NKEYS) - 1)) == 0, "wd_parse_keyed set bits beyond its %zu keys: %#x", NKEYS, r->keyed_found);
    for (size_t i = 0; i < NKEYS; i++) {
        size_t klen = strlen(keys[i]);
        int found = 0;
        uint64_t want = 0;
        for (const uint8_t *line = d; line < end && !found;) {
            const uint8_t *eol = memchr(line, '\n', (size_t)(end - line));
            if (!eol) eol = end;
            if ((size_t)(eol - line) > klen && memcmp(line, keys[i], klen) == 0 && line[klen] == ' ') {
                if (ref_number(ref_blanks(line + klen, eol), eol, &want)) found = 1;
            }
            line = eol + (eol < end);
            if (eol == end) break;
        }
        int got = (r->keyed_found >> i) & 1u;
        CHECK(got == found, "wd_parse_keyed: key \"%s\" found=%d, want %d", keys[i], got, found);
        if (found) CHECK(r->keyed[i] == want, "wd_parse_keyed: key \"%s\" = %llu, want %llu", keys[i], (unsigned long long)r->keyed[i], (unsigned long long)want);
        else CHECK(r->keyed[i] == SENTINEL, "wd_parse_keyed wrote key \"%s\" without reporting it", keys[i]);
    }
}

// The number after the first "total=" of the line [line, eol), or UINT64_MAX without one (or without digits).
static uint64_t ref_psi_total(const uint8_t *line, const uint8_t *eol) {
    for (const uint8_t *p = line; eol - p >= 6; p++) {
        if (memcmp(p, "total=", 6) != 0) continue;
        uint64_t v;
        return ref_number(p + 6, eol, &v) ? v : UINT64_MAX;
    }
    return UINT64_MAX;
}

// PSI: the first line that starts with "some avg10=" decides; "W.FF" -> W * 100 + FF, and that line's
// total=; the first line that starts with "full " gives the full total= (UINT64_MAX without one).
static void check_psi(const uint8_t *d, size_t n, const results *r) {
    const uint8_t *end = d + n;
    int rc = -EINVAL, decided = 0;
    wd_psi want = {0, UINT64_MAX, UINT64_MAX};
    int full_seen = 0;
    for (const uint8_t *line = d; line < end;) {
        const uint8_t *eol = memchr(line, '\n', (size_t)(end - line));
        const uint8_t *line_end = eol ? eol : end;
        if (!full_seen && end - line >= 5 && memcmp(line, "full ", 5) == 0) {
            full_seen = 1;
            want.full_total_us = ref_psi_total(line, line_end);
        } else if (!decided && end - line >= 11 && memcmp(line, "some avg10=", 11) == 0) {
            decided = 1;
            uint64_t whole = 0, frac = 0;
            const uint8_t *p = ref_number(line + 11, end, &whole);
            if (!p) break;  // an unreadable avg10: the file is refused, whatever follows
            if (p < end && *p == '.') {
                p++;
                for (int k = 0; k < 2; k++) frac = frac * 10 + ((p < end && digit(*p)) ? (uint64_t)(*p++ - '0') : 0);
            }
            want.some_avg10 = whole * 100 + frac;
            want.some_total_us = ref_psi_total(line, line_end);
            rc = 0;
        }
        if (!eol) break;
        line = eol + 1;
    }
    CHECK(r->psi_rc == rc, "wd_parse_psi returned %d, want %d", r->psi_rc, rc);
    if (rc == 0) {
        CHECK(r->psi.some_avg10 == want.some_avg10, "wd_parse_psi: avg10 %llu, want %llu",
              (unsigned long long)r->psi.some_avg10, (unsigned long long)want.some_avg10);
        CHECK(r->psi.some_total_us == want.some_total_us, "wd_parse_psi: some total %llu, want %llu",
              (unsigned long long)r->psi.some_total_us, (unsigned long long)want.some_total_us);
        CHECK(r->psi.full_total_us == want.full_total_us, "wd_parse_psi: full total %llu, want %llu",
              (unsigned long long)r->psi.full_total_us, (unsigned long long)want.full_total_us);
    }
}

// /proc/stat: "cpu " then seven blank-separated numbers, summed.
static void check_stat(const uint8_t *d, size_t n, const results *r) {
    const uint8_t *end = d + n;
    int rc = -EINVAL;
    uint64_t sum = 0;
    if (n >= 4 && memcmp(d, "cpu ", 4) == 0) {
        const uint8_t *p = d + 4;
        int i = 0;
        for (; i < 7; i++) {
            uint64_t v;
            p = ref_number(ref_blanks(p, end), end, &v);
            if (!p) break;
            sum += v;
        }
        if (i == 7) rc = 0;
    }
    CHECK(r->stat_rc == rc, "wd_parse_proc_stat_cpu returned %d, want %d", r->stat_rc, rc);
    if (rc == 0) CHECK(r->stat == sum, "wd_parse_proc_stat_cpu gave %llu, want %llu", (unsigned long long)r->stat, (unsigned long long)sum);
}

// Splits [d, d+n) into lines (the last one may lack its newline) and calls fn on each.
#define FOR_EACH_LINE(d, n, line, eol)                                                                      \
    for (const uint8_t *line = (d), *eol = NULL, *end_ = (d) + (n); line < end_; line = eol + 1)           \
        if (((eol = memchr(line, '\n', (size_t)(end_ - line))) || (eol = end_)), 1)

static int starts(const uint8_t *p, const uint8_t *end, const char *word) {
    size_t k = strlen(word);
    return (size_t)(end - p) >= k && memcmp(p, word, k) == 0;
}

// blkio.throttle.io_service_bytes: "MAJ:MIN Read N" / "MAJ:MIN Write N" on lines that start with a digit.
static void check_blkio(const uint8_t *d, size_t n, const results *r) {
    uint64_t rd = 0, wr = 0, v;
    FOR_EACH_LINE(d, n, line, eol) {
        if (!digit(*line)) continue;
        const uint8_t *p = line;
        while (p < eol && *p != ' ') p++;
        p = ref_blanks(p, eol);
        if (starts(p, eol, "Read ") && ref_number(p + 5, eol, &v)) rd += v;
        else if (starts(p, eol, "Write ") && ref_number(p + 6, eol, &v)) wr += v;
    }
    CHECK(r->blkio_rc == 0, "wd_parse_blkio_v1 returned %d", r->blkio_rc);
    CHECK(r->blkio_r == rd && r->blkio_w == wr, "wd_parse_blkio_v1 gave read %llu write %llu, want %llu %llu",
          (unsigned long long)r->blkio_r, (unsigned long long)r->blkio_w, (unsigned long long)rd, (unsigned long long)wr);
}

// io.stat: blank-separated "key=value" tokens; rbytes= and wbytes= summed over every line.
static void check_io_stat(const uint8_t *d, size_t n, const results *r) {
    uint64_t rd = 0, wr = 0, v;
    FOR_EACH_LINE(d, n, line, eol) {
        for (const uint8_t *p = line; p < eol;) {
            p = ref_blanks(p, eol);
            if (starts(p, eol, "rbytes=") && ref_number(p + 7, eol, &v)) rd += v;
            else if (starts(p, eol, "wbytes=") && ref_number(p + 7, eol, &v)) wr += v;
            while (p < eol && *p != ' ') p++; // a token ends at a space (or the line's end)
        }
    }
    CHECK(r->io_rc == 0, "wd_parse_io_stat_v2 returned %d", r->io_rc);
    CHECK(r->io_r == rd && r->io_w == wr, "wd_parse_io_stat_v2 gave rbytes %llu wbytes %llu, want %llu %llu",
          (unsigned long long)r->io_r, (unsigned long long)r->io_w, (unsigned long long)rd, (unsigned long long)wr);
}

// net/dev: every line with a colon is "name: f0 f1 ... f15" (space-separated); "lo" is left out; fields 0, 1,
// 8 and 9 are rx bytes, rx packets, tx bytes, tx packets. A line with a colon and fewer than ten numbers
// fails the whole file.
static void check_netdev(const uint8_t *d, size_t n, const results *r) {
    wd_netdev_totals t = {0, 0, 0, 0, 0};
    int rc = 0;
    FOR_EACH_LINE(d, n, line, eol) {
        const uint8_t *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon) continue;
        const uint8_t *name = line;
        while (name < colon && *name == ' ') name++;
        uint64_t f[10];
        int got = 0;
        for (const uint8_t *p = colon + 1; got < 10;) {
            while (p < eol && *p == ' ') p++;
            if (p >= eol || !digit(*p)) break;
            uint64_t v = 0;
            for (; p < eol && digit(*p); p++) v = v * 10 + (uint64_t)(*p - '0'); // kernel counters are u64
            f[got++] = v;
        }
        if (got < 10) {
            rc = -EINVAL;
            break;
        }
        if (colon - name == 2 && name[0] == 'l' && name[1] == 'o') continue;
        t.rx_bytes += f[0], t.rx_packets += f[1], t.tx_bytes += f[8], t.tx_packets += f[9], t.interfaces++;
    }
    CHECK(r->netdev_rc == rc, "wd_parse_netdev returned %d, want %d", r->netdev_rc, rc);
    if (rc == 0)
        CHECK(r->netdev.rx_bytes == t.rx_bytes && r->netdev.rx_packets == t.rx_packets && r->netdev.tx_bytes == t.tx_bytes &&
                  r->netdev.tx_packets == t.tx_packets && r->netdev.interfaces == t.interfaces,
              "wd_parse_netdev gave rx %llu/%llu tx %llu/%llu on %u interfaces, want %llu/%llu %llu/%llu on %u",
              (unsigned long long)r->netdev.rx_bytes, (unsigned long long)r->netdev.rx_packets,
              (unsigned long long)r->netdev.tx_bytes, (unsigned long long)r->netdev.tx_packets, r->netdev.interfaces,
              (unsigned long long)t.rx_bytes, (unsigned long long)t.rx_packets, (unsigned long long)t.tx_bytes,
              (unsigned long long)t.tx_packets, t.interfaces);
}

// ---- line locality: parse(A + B) from parse(A) and parse(B), A ending with a newline ---------------------

static void check_split(const uint8_t *d, size_t n, size_t cut, const results *all) {
    results a, b;
    run_all(d, cut, &a);
    run_all(d + cut, n - cut, &b);

    CHECK(all->blkio_rc == 0 && a.blkio_rc == 0 && b.blkio_rc == 0, "wd_parse_blkio_v1 failed");
    CHECK(all->blkio_r == a.blkio_r + b.blkio_r && all->blkio_w == a.blkio_w + b.blkio_w,
          "wd_parse_blkio_v1 is not line-local (cut at %zu): %llu/%llu vs %llu+%llu/%llu+%llu", cut,
          (unsigned long long)all->blkio_r, (unsigned long long)all->blkio_w, (unsigned long long)a.blkio_r,
          (unsigned long long)b.blkio_r, (unsigned long long)a.blkio_w, (unsigned long long)b.blkio_w);

    CHECK(all->io_rc == 0 && a.io_rc == 0 && b.io_rc == 0, "wd_parse_io_stat_v2 failed");
    CHECK(all->io_r == a.io_r + b.io_r && all->io_w == a.io_w + b.io_w,
          "wd_parse_io_stat_v2 is not line-local (cut at %zu)", cut);

    CHECK(all->netdev_rc == ((a.netdev_rc == 0 && b.netdev_rc == 0) ? 0 : -EINVAL),
          "wd_parse_netdev: %d for the whole, %d and %d for the halves (cut at %zu)", all->netdev_rc, a.netdev_rc,
          b.netdev_rc, cut);
    if (all->netdev_rc == 0) {
        const wd_netdev_totals *t = &all->netdev, *x = &a.netdev, *y = &b.netdev;
        CHECK(t->rx_bytes == x->rx_bytes + y->rx_bytes && t->rx_packets == x->rx_packets + y->rx_packets &&
                  t->tx_bytes == x->tx_bytes + y->tx_bytes && t->tx_packets == x->tx_packets + y->tx_packets &&
                  t->interfaces == x->interfaces + y->interfaces,
              "wd_parse_netdev is not line-local (cut at %zu)", cut);
    }

    CHECK(all->keyed_found == (a.keyed_found | b.keyed_found), "wd_parse_keyed is not line-local (cut at %zu)", cut);
    for (size_t i = 0; i < NKEYS; i++) {
        if (!((all->keyed_found >> i) & 1u)) continue;
        uint64_t want = ((a.keyed_found >> i) & 1u) ? a.keyed[i] : b.keyed[i];
        CHECK(all->keyed[i] == want, "wd_parse_keyed: key \"%s\" not the first line's value (cut at %zu)", keys[i], cut);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // wd_pread_all never hands a parser more than cap - 1 bytes.
    if (size > READ_CAP - 1) return -1;

    results r;
    run_all(data, size, &r);

    CHECK(r.u64_rc == 0 || r.u64_rc == -EINVAL, "wd_parse_u64 returned %d", r.u64_rc);
    CHECK(r.netdev_rc == 0 || r.netdev_rc == -EINVAL, "wd_parse_netdev returned %d", r.netdev_rc);
    CHECK(r.psi_rc == 0 || r.psi_rc == -EINVAL, "wd_parse_psi returned %d", r.psi_rc);
    CHECK(r.stat_rc == 0 || r.stat_rc == -EINVAL, "wd_parse_proc_stat_cpu returned %d", r.stat_rc);
    check_u64(data, size, &r);
    check_keyed(data, size, &r);
    check_psi(data, size, &r);
    check_stat(data, size, &r);
    check_blkio(data, size, &r);
    check_io_stat(data, size, &r);
    check_netdev(data, size, &r);

    // Split after the first newline and after the first newline past the middle.
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl && (size_t)(nl - data) + 1 < size) check_split(data, size, (size_t)(nl - data) + 1, &r);
    const uint8_t *mid = size > 2 ? memchr(data + size / 2, '\n', size - size / 2) : NULL;
    if (mid && mid != nl && (size_t)(mid - data) + 1 < size) check_split(data, size, (size_t)(mid - data) + 1, &r);

    // /proc/stat through HostCounters' 1 KiB buffer: same answer when the first line fits in it.
    if (size > STAT_CAP - 1) {
        const uint8_t *eol = memchr(data, '\n', STAT_CAP - 1);
        char *cut = text_copy(data, STAT_CAP - 1);
        uint64_t ticks = SENTINEL;
        int rc = wd_parse_proc_stat_cpu(cut, STAT_CAP - 1, &ticks);
        free(cut);
        if (eol) CHECK(rc == r.stat_rc && (rc != 0 || ticks == r.stat), "/proc/stat cut at 1023 bytes parses differently");
    }
    return 0;
}
