// Native journal protocol and sd_notify through libsystemd (libsystemd-dev).
// The CODE_FILE/CODE_LINE/CODE_FUNC fields are the Swift caller's, sent by us: keep libsystemd's macros from
// adding this file's.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include "csystemd.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

int wd_journal_send(const char *bytes, const size_t *offsets, const size_t *lengths, int count) {
    struct iovec iov[128];
    if (count < 0 || count > 128) return -EINVAL;
    for (int i = 0; i < count; i++) {
        iov[i].iov_base = (void *)(bytes + offsets[i]);
        iov[i].iov_len = lengths[i];
    }
    return sd_journal_sendv(iov, count);
}

int wd_journal_socket_check(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_un address;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address.sun_path)) {
        close(fd);
        return -ENAMETOOLONG;
    }
    strcpy(address.sun_path, path);
    int rc = connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int wd_notify(const char *state) { return sd_notify(0, state); }

uint64_t wd_watchdog_usec(void) {
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}
