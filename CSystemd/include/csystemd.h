#ifndef WAKEDOCK_CSYSTEMD_H
#define WAKEDOCK_CSYSTEMD_H
// The daemon's few calls into libsystemd: native journal entries and sd_notify.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sends one journal entry: `count` fields `NAME=value`, field i being bytes[offsets[i] ..< offsets[i] + lengths[i]]
/// (values may hold newlines). Returns 0, or -errno (-ECONNREFUSED for a stale socket). At most 128 fields.
int wd_journal_send(const char *bytes, const size_t *offsets, const size_t *lengths, int count);

/// Whether `path` (the journal's socket) accepts datagrams: 0, or -errno (-ENOENT: none, -ECONNREFUSED: stale).
int wd_journal_socket_check(const char *path);

/// sd_notify(0, state): > 0 sent, 0 no NOTIFY_SOCKET, < 0 -errno.
int wd_notify(const char *state);

/// The watchdog interval systemd asked for (WATCHDOG_USEC), in microseconds; 0 when none.
uint64_t wd_watchdog_usec(void);

#ifdef __cplusplus
}
#endif
#endif
