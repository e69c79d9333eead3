// net/dev files: per-interface counters of one network namespace — summed without the loopback for one
// container (/proc/<pid>/net/dev), or listed interface by interface for the host (/proc/net/dev).
#include "csupport.h"

#include <errno.h>
#include <string.h>

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

// One interface line, "  eth0: 1234 5 0 0 0 0 0 0 5678 9 0 0 0 0 0 0" (large counters may touch the colon,
// "eth0:123"). Returns 1 for an interface line, 0 for a header line (no ':'), -EINVAL for a broken one. The
// name is kept in `out` only when `named` (a name over the kernel's 15 bytes is then broken); `*is_lo` says
// whether it is the loopback, whatever its length.
static int parse_line(const char *line, const char *eol, wd_netdev_iface *out, int named, int *is_lo) {
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon) return 0;
    const char *name = line;
    while (name < colon && *name == ' ') name++;
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
    size_t len = (size_t)(colon - name);
    *is_lo = len == 2 && name[0] == 'l' && name[1] == 'o';
    if (named) {
        if (len >= sizeof out->name) return -EINVAL;  // IFNAMSIZ is 16 with its NUL: never longer in the kernel
        memset(out->name, 0, sizeof out->name);
        memcpy(out->name, name, len);
    }
    // Fields: rx bytes, packets, errs, drop, fifo, frame, compressed, multicast, then tx bytes, packets.
    out->rx_bytes = field[0];
    out->rx_packets = field[1];
    out->tx_bytes = field[8];
    out->tx_packets = field[9];
    return 1;
}

int wd_parse_netdev(const char *s, size_t n, wd_netdev_totals *out) {
    const char *end = s + n;
    wd_netdev_totals t = {0, 0, 0, 0, 0};
    for (const char *line = s; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        wd_netdev_iface i;
        int lo = 0;
        int rc = parse_line(line, eol, &i, 0, &lo);
        if (rc < 0) return rc;
        if (rc == 1 && !lo) {
            t.rx_bytes += i.rx_bytes;
            t.rx_packets += i.rx_packets;
            t.tx_bytes += i.tx_bytes;
            t.tx_packets += i.tx_packets;
            t.interfaces++;
        }
        line = eol + 1;
    }
    *out = t;
    return 0;
}

long wd_parse_netdev_interfaces(const char *s, size_t n, wd_netdev_iface *out, size_t cap) {
    const char *end = s + n;
    size_t count = 0;
    for (const char *line = s; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        wd_netdev_iface scratch;
        int lo = 0;
        int rc = parse_line(line, eol, count < cap ? &out[count] : &scratch, 1, &lo);
        if (rc < 0) return rc;
        count += (size_t)rc;
        line = eol + 1;
    }
    return (long)count;
}
