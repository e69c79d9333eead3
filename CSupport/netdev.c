// /proc/<pid>/net/dev: per-interface counters of one network namespace, summed without the loopback.
#include "csupport.h"

#include <errno.h>
#include <string.h>

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

int wd_parse_netdev(const char *s, size_t n, wd_netdev_totals *out) {
    const char *end = s + n;
    wd_netdev_totals t = {0, 0, 0, 0, 0};
    const char *line = s;
    for (; line < end; ) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        // Interface lines look like "  eth0: 1234 5 0 0 0 0 0 0 5678 9 0 0 0 0 0 0"; the two header lines
        // have no ':' before a digit run and are skipped. Large counters may touch the colon ("eth0:123").
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            const char *name = line;
            while (name < colon && *name == ' ') name++;
            int is_lo = (colon - name == 2 && memcmp(name, "lo", 2) == 0);
            uint64_t field[10];
            int got = 0;
            const char *p = colon + 1;
            while (got < 10 && p < eol) {
                while (p < eol && *p == ' ') p++;
                if (p >= eol || !is_digit(*p)) break;
                uint64_t v = 0;
                while (p < eol && is_digit(*p)) v = v * 10 + (uint64_t)(*p++ - '0');
                field[got++] = v;
            }
            if (got < 10) return -EINVAL;
            if (!is_lo) {
                // Fields: rx bytes, packets, errs, drop, fifo, frame, compressed, multicast, then tx bytes, packets.
                t.rx_bytes += field[0];
                t.rx_packets += field[1];
                t.tx_bytes += field[8];
                t.tx_packets += field[9];
                t.interfaces++;
            }
        }
        line = eol + 1;
    }
    *out = t;
    return 0;
}
