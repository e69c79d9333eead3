// Kept descriptors: open each counter file of a container once, then re-read it with pread at offset 0.
#include "csupport.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int wd_open_ro(const char *path) {
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

void wd_close(int fd) {
    if (fd >= 0) close(fd);
}

ssize_t wd_pread_all(int fd, char *buf, size_t cap) {
    if (fd < 0) return -EBADF;
    if (cap < 2) return -ENOBUFS;
    size_t len = 0;
    // cgroup and proc files are seq_files. A seq_file read returns whole records until its page-sized
    // buffer would overflow, so a read that stops well short of a page (our records are < 1 KiB) is the
    // whole file: one syscall, the common case. A longer one (the host's net/dev with many veths) may be
    // cut at a page boundary, so read on until a read returns nothing.
    for (;;) {
        size_t want = cap - 1 - len;
        if (want == 0) {
            char extra;
            ssize_t more = pread(fd, &extra, 1, (off_t)len);
            if (more > 0) return -ENOBUFS;
            break;
        }
        ssize_t r = pread(fd, buf + len, want, (off_t)len);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        len += (size_t)r;
        if (r == 0 || (size_t)r < 2048) break;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

void wd_probe_init(wd_probe *probe, int version) {
    for (int i = 0; i < WD_F_COUNT; i++) probe->fd[i] = -1;
    probe->version = version;
}

int wd_probe_open(wd_probe *probe, wd_file_kind kind, const char *path) {
    if ((int)kind < 0 || kind >= WD_F_COUNT) return -EINVAL;
    wd_close(probe->fd[kind]);
    probe->fd[kind] = -1;
    int fd = wd_open_ro(path);
    if (fd < 0) return fd;
    probe->fd[kind] = fd;
    return 0;
}

void wd_probe_close_kind(wd_probe *probe, wd_file_kind kind) {
    if ((int)kind < 0 || kind >= WD_F_COUNT) return;
    wd_close(probe->fd[kind]);
    probe->fd[kind] = -1;
}

void wd_probe_close(wd_probe *probe) {
    for (int i = 0; i < WD_F_COUNT; i++) {
        wd_close(probe->fd[i]);
        probe->fd[i] = -1;
    }
}

static const char *const v1_mem_stat_keys[] = {"total_inactive_file", "total_cache"};
static const char *const v2_mem_stat_keys[] = {"inactive_file", "file"};
static const char *const v1_cpu_stat_keys[] = {"nr_throttled"};
static const char *const v2_cpu_stat_keys[] = {"usage_usec", "nr_throttled"};
static const char *const v2_mem_events_keys[] = {"max", "oom_kill"};
static const char *const v1_oom_control_keys[] = {"oom_kill"};

// Parses one file's text into its fields of `out`. Returns 0, or -EINVAL.
static int parse_kind(int version, wd_file_kind kind, const char *buf, size_t n, wd_raw *out) {
    uint64_t v[2] = {0, 0};
    switch (kind) {
    case WD_F_CPU_USAGE:
        if (version == 1) return wd_parse_u64(buf, n, &out->cpu_usage_ns);
        if ((wd_parse_keyed(buf, n, v2_cpu_stat_keys, 2, v) & 1u) == 0) return -EINVAL;
        out->cpu_usage_ns = v[0] * 1000u;
        out->cpu_throttled_periods = v[1];
        return 0;
    case WD_F_CPU_STAT:
        if (wd_parse_keyed(buf, n, v1_cpu_stat_keys, 1, v) == 0) return -EINVAL;
        out->cpu_throttled_periods = v[0];
        return 0;
    case WD_F_MEM_USAGE:
        return wd_parse_u64(buf, n, &out->mem_usage);
    case WD_F_MEM_LIMIT:
        return wd_parse_u64(buf, n, &out->mem_limit);
    case WD_F_MEM_STAT: {
        uint32_t found = wd_parse_keyed(buf, n, version == 1 ? v1_mem_stat_keys : v2_mem_stat_keys, 2, v);
        if ((found & 1u) == 0) return -EINVAL;
        out->mem_inactive_file = v[0];
        out->mem_cache = (found & 2u) ? v[1] : 0;
        return 0;
    }
    case WD_F_MEM_FAILCNT:
        if (version == 1) return wd_parse_u64(buf, n, &out->mem_failcnt);
        {
            uint32_t found = wd_parse_keyed(buf, n, v2_mem_events_keys, 2, v);
            out->mem_failcnt = (found & 1u) ? v[0] : 0;
            out->oom_kills = (found & 2u) ? v[1] : 0;
        }
        return 0;
    case WD_F_MEM_OOM:
        out->oom_kills = (wd_parse_keyed(buf, n, v1_oom_control_keys, 1, v) & 1u) ? v[0] : 0;
        return 0;
    case WD_F_PIDS:
        return wd_parse_u64(buf, n, &out->pids);
    case WD_F_BLKIO:
        return version == 1 ? wd_parse_blkio_v1(buf, n, &out->blk_read_bytes, &out->blk_write_bytes)
                            : wd_parse_io_stat_v2(buf, n, &out->blk_read_bytes, &out->blk_write_bytes);
    case WD_F_NETDEV: {
        wd_netdev_totals t;
        int rc = wd_parse_netdev(buf, n, &t);
        if (rc != 0) return rc;
        out->net_rx_bytes = t.rx_bytes;
        out->net_tx_bytes = t.tx_bytes;
        out->net_rx_packets = t.rx_packets;
        out->net_tx_packets = t.tx_packets;
        return 0;
    }
    case WD_F_PSI_CPU:
        return wd_parse_psi(buf, n, &out->psi_cpu);
    case WD_F_PSI_MEM:
        return wd_parse_psi(buf, n, &out->psi_mem);
    case WD_F_PSI_IO:
        return wd_parse_psi(buf, n, &out->psi_io);
    default:
        return -EINVAL;
    }
}

int wd_probe_read(const wd_probe *probe, uint32_t mask, wd_raw *out, char *buf, size_t cap) {
    int failures = 0;
    out->ok_mask = 0;
    out->fail_mask = 0;
    out->last_errno = 0;
    for (int k = 0; k < WD_F_COUNT; k++) {
        if (!(mask & WD_MASK(k)) || probe->fd[k] < 0) continue;
        ssize_t n = wd_pread_all(probe->fd[k], buf, cap);
        int rc = n < 0 ? (int)n : parse_kind(probe->version, (wd_file_kind)k, buf, (size_t)n, out);
        if (rc == 0) {
            out->ok_mask |= WD_MASK(k);
        } else {
            out->fail_mask |= WD_MASK(k);
            out->last_errno = -rc;
            failures++;
        }
    }
    return failures;
}

long wd_clock_ticks_per_second(void) { return sysconf(_SC_CLK_TCK); }

long wd_raise_nofile_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
    }
    return (long)rl.rlim_cur;
}
