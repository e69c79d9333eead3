// CSupport: the only code in WakeDock Monitor that opens cgroup and proc files.
//
// Everything here works on descriptors that the caller keeps open and re-reads with pread(fd, buf, n, 0):
// cgroup and proc files regenerate their content on every read at offset 0, so a kept descriptor costs a
// quarter of an open+read+close. Text lands in a caller-owned buffer and is parsed in place; nothing here
// allocates. Errors come back as negative errno values, never as crashes.
#ifndef WAKEDOCK_CSUPPORT_H
#define WAKEDOCK_CSUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- descriptors -------------------------------------------------------------------------------------

/// Opens a file read-only with O_CLOEXEC. Returns the descriptor, or -errno.
int wd_open_ro(const char *path);
/// Closes a descriptor if it is >= 0.
void wd_close(int fd);
/// Reads the whole file from offset 0 into buf (at most cap - 1 bytes) and NUL-terminates it.
/// Returns the number of bytes read, or -errno (-ENOBUFS if the file did not fit).
ssize_t wd_pread_all(int fd, char *buf, size_t cap);

// ---- parsers: text already in memory, no allocation ----------------------------------------------------

/// The first unsigned decimal integer in s (leading blanks skipped). "max" parses as UINT64_MAX.
/// Returns 0, or -EINVAL.
int wd_parse_u64(const char *s, size_t n, uint64_t *out);

/// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control): for each of the nkeys
/// keys found, stores its value in out[i] and sets bit i of the returned mask. Unknown lines are skipped.
uint32_t wd_parse_keyed(const char *s, size_t n, const char *const *keys, size_t nkeys, uint64_t *out);

/// Totals of /proc/<pid>/net/dev over every interface except "lo".
typedef struct wd_netdev_totals {
    uint64_t rx_bytes;
    uint64_t rx_packets;
    uint64_t tx_bytes;
    uint64_t tx_packets;
    uint32_t interfaces; // interfaces counted (lo excluded)
} wd_netdev_totals;
/// Returns 0, or -EINVAL when a line cannot be parsed.
int wd_parse_netdev(const char *s, size_t n, wd_netdev_totals *out);

/// One interface line of a net/dev file. `name` is the interface name, NUL-padded to 16 bytes (IFNAMSIZ),
/// kept as two words so that Swift compares and hashes it without building a String.
typedef struct wd_netdev_iface {
    uint64_t name[2];
    uint64_t rx_bytes;
    uint64_t rx_packets;
    uint64_t tx_bytes;
    uint64_t tx_packets;
} wd_netdev_iface;
/// Every interface line (lo included) in file order, the first `cap` of them into `out`. Returns how many
/// interface lines there are (more than `cap`: call again with room for them), or -EINVAL.
long wd_parse_netdev_interfaces(const char *s, size_t n, wd_netdev_iface *out, size_t cap);

/// cgroup v1 blkio.throttle.io_service_bytes ("MAJ:MIN Read N" lines): sums Read and Write over devices.
int wd_parse_blkio_v1(const char *s, size_t n, uint64_t *read_bytes, uint64_t *write_bytes);
/// cgroup v2 io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N ..."): sums rbytes and wbytes over devices.
int wd_parse_io_stat_v2(const char *s, size_t n, uint64_t *read_bytes, uint64_t *write_bytes);
/// One PSI file's figures. A total the file does not give (no `full` line: cpu.pressure before Linux 5.13; no
/// `total=`) is UINT64_MAX.
typedef struct {
    uint64_t some_avg10;     ///< the "some" line's avg10, hundredths of a percent ("avg10=1.23" -> 123)
    uint64_t some_total_us;  ///< the "some" line's total=: microseconds some task waited, cumulative
    uint64_t full_total_us;  ///< the "full" line's total=: microseconds every task was stalled, cumulative
} wd_psi;

/// PSI file (cpu.pressure, memory.pressure, io.pressure): the first "some avg10=" line decides success and
/// gives avg10 and its total=; the first "full " line gives the full total=. Returns 0, or -EINVAL when there is
/// no readable "some avg10=".
int wd_parse_psi(const char *s, size_t n, wd_psi *out);
/// /proc/stat: the host's CPU time in clock ticks, summed as Docker does (user nice system idle iowait
/// irq softirq of the aggregate "cpu" line).
int wd_parse_proc_stat_cpu(const char *s, size_t n, uint64_t *ticks);

// ---- a container probe: one descriptor per counter file ------------------------------------------------

/// Which file a probe slot holds. The format read from a slot depends on the probe's cgroup version.
typedef enum wd_file_kind {
    WD_F_CPU_USAGE = 0, ///< v1 cpuacct.usage (ns)            | v2 cpu.stat (usage_usec, nr_throttled)
    WD_F_CPU_STAT,      ///< v1 cpu.stat (nr_throttled)        | v2 unused
    WD_F_MEM_USAGE,     ///< v1 memory.usage_in_bytes          | v2 memory.current
    WD_F_MEM_LIMIT,     ///< v1 memory.limit_in_bytes          | v2 memory.max
    WD_F_MEM_STAT,      ///< memory.stat
    WD_F_MEM_FAILCNT,   ///< v1 memory.failcnt                 | v2 memory.events (max, oom_kill)
    WD_F_MEM_OOM,       ///< v1 memory.oom_control (oom_kill)  | v2 unused
    WD_F_PIDS,          ///< pids.current
    WD_F_BLKIO,         ///< v1 blkio.throttle.io_service_bytes | v2 io.stat
    WD_F_NETDEV,        ///< /proc/<pid>/net/dev of a process in the container's network namespace
    WD_F_PSI_CPU,       ///< cpu.pressure (v2, or the unified tree of a hybrid host)
    WD_F_PSI_MEM,       ///< memory.pressure
    WD_F_PSI_IO,        ///< io.pressure
    WD_F_COUNT
} wd_file_kind;

#define WD_MASK(kind) (1u << (kind))
#define WD_MASK_ALL ((1u << WD_F_COUNT) - 1u)

typedef struct wd_probe {
    int fd[WD_F_COUNT]; ///< -1 where the file does not exist for this container
    int version;        ///< 1 or 2: the format of the cgroup files
} wd_probe;

/// Raw counters of one read. A field is valid when its file's bit is set in ok_mask.
typedef struct wd_raw {
    uint64_t cpu_usage_ns;
    uint64_t cpu_throttled_periods;
    uint64_t mem_usage;
    uint64_t mem_limit;          ///< UINT64_MAX-ish when unlimited
    uint64_t mem_inactive_file;
    uint64_t mem_cache;
    uint64_t mem_failcnt;
    uint64_t oom_kills;
    uint64_t pids;
    uint64_t blk_read_bytes;
    uint64_t blk_write_bytes;
    uint64_t net_rx_bytes;
    uint64_t net_tx_bytes;
    uint64_t net_rx_packets;
    uint64_t net_tx_packets;
    wd_psi psi_cpu;
    wd_psi psi_mem;
    wd_psi psi_io;
    uint32_t ok_mask;            ///< files read and parsed this time
    uint32_t fail_mask;          ///< files that failed this time (read or parse)
    int last_errno;              ///< errno of the last failure (positive), 0 if none
} wd_raw;

/// Sets every slot to -1.
void wd_probe_init(wd_probe *probe, int version);
/// Opens path into a slot (closing what was there). Returns 0, or -errno (the slot stays -1).
int wd_probe_open(wd_probe *probe, wd_file_kind kind, const char *path);
/// Closes one slot (it becomes -1).
void wd_probe_close_kind(wd_probe *probe, wd_file_kind kind);
/// Closes every slot.
void wd_probe_close(wd_probe *probe);
/// Reads the slots in `mask` that are open into `out` (fields of unread slots are left as they were).
/// Returns the number of failed slots; details in out->fail_mask and out->last_errno.
int wd_probe_read(const wd_probe *probe, uint32_t mask, wd_raw *out, char *buf, size_t cap);

/// sysconf(_SC_CLK_TCK), for converting /proc/stat ticks to nanoseconds.
long wd_clock_ticks_per_second(void);
/// Raises RLIMIT_NOFILE's soft limit to its hard limit. Returns the new soft limit, or -errno.
long wd_raise_nofile_limit(void);

/// Asks the kernel to page out the executable's read-only mappings (MADV_PAGEOUT): the start-up code and data
/// steady state no longer touches stop counting in RSS. Returns the bytes advised, or -1.
long wd_release_executable_pages(void);

/// Names the calling thread (at most 15 characters), as `top -H` and perf show it.
void wd_name_this_thread(const char *name);

#ifdef __cplusplus
}
#endif
#endif
