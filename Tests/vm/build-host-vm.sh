#!/usr/bin/env bash
# Builds what the full cgroup v2 host test boots: a Debian 12 server (systemd as PID 1, docker.io on its
# default systemd cgroup driver, qemu's guest agent) made by debootstrap, with the given wakedock-monitor
# binary, our systemd unit (enabled) and Tests/vm/host-wakedock.env as /etc/default/wakedock-monitor.
#   build-host-vm.sh BINARY OUT_DIR   → OUT_DIR/vmlinuz, OUT_DIR/initrd.img (Debian's own, from that root)
#                                        and OUT_DIR/disk.img (ext4, the root filesystem, booted as /dev/vda)
#
# The debootstrapped root is cached as a tarball (WAKEDOCK_VM_CACHE, default /var/cache/wakedock-tests), keyed
# by the suite's release (the Version and Date of bookworm's InRelease: a point release or update makes a new
# key) and by a hash of the package list and Tests/vm/host-base.sh. It is used only when a previous build
# finished (.complete) and the tarball still matches its checksum; anything else is thrown away and built
# again. Without network the newest complete root of the same recipe is used.
set -euo pipefail
binary=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${WAKEDOCK_VM_CACHE:-/var/cache/wakedock-tests}/debian-host
mirror=${WAKEDOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=systemd,systemd-sysv,udev,dbus,linux-image-amd64,apparmor,docker.io,qemu-guest-agent,iproute2,procps
debootstrap_options=(--variant=minbase --include="$packages")
mkdir -p "$out" "$cache"
log() { echo "build-host-vm: $*" >&2; }

for tool in debootstrap mke2fs; do
    command -v "$tool" >/dev/null || { log "$tool is missing: the README's test command installs it"; exit 1; }
done

recipe=$( { echo "${debootstrap_options[*]}"; cat "$here/host-base.sh"; } | sha256sum | cut -c1-12)
release=$(curl -fsS --max-time 20 "$mirror/dists/$suite/InRelease" 2>/dev/null |
    awk -F': ' '/^Version:/ { v = $2 } /^Date:/ { d = $2 } END { if (v != "" && d != "") print v "-" d }' |
    tr -c 'A-Za-z0-9.\n-' '_' || true)

complete() { [ -f "$1/.complete" ] && (cd "$1" && sha256sum --status -c rootfs.tar.gz.sha256 2>/dev/null); }
# The newest complete root of this recipe, if any (its suite may be behind the mirror's).
newest_complete() {
    { ls -dt "$cache"/"$suite"-*-"$recipe" 2>/dev/null || true; } | while read -r dir; do
        if complete "$dir"; then echo "$dir"; break; fi; done
}

# One build at a time per cache: a second run waits rather than deleting the first one's root.
exec 9> "$cache/.lock"
flock 9

scratch=$(mktemp -d "${TMPDIR:-/tmp}/wd-host-vm.XXXXXX")
# debootstrap mounts proc and sys inside the root: unmount before removing, and never cross a mount.
cleanup() {
    if [ -d "$scratch/root" ]; then umount -R "$scratch/root/proc" "$scratch/root/sys" 2>/dev/null || true; fi
    rm -rf --one-file-system "$scratch"
}
trap cleanup EXIT

base=${release:+$cache/$suite-$release-$recipe}
if [ -z "$base" ]; then
    base=$(newest_complete)
    [ -n "$base" ] || { log "cannot reach $mirror and no cached root of recipe $recipe"; exit 1; }
    log "offline: using $(basename "$base")"
fi

if ! complete "$base"; then
    log "building the Debian root $(basename "$base") (debootstrap, about 2 minutes)"
    rm -rf "$base"
    if ! debootstrap "${debootstrap_options[@]}" "$suite" "$scratch/root" "$mirror" > "$scratch/debootstrap.log" 2>&1; then
        tail -30 "$scratch/debootstrap.log" >&2
        umount -R "$scratch/root/proc" "$scratch/root/sys" 2>/dev/null || true
        rm -rf --one-file-system "$scratch/root"
        # A mirror mid-sync or a network that failed half-way: an older root of the same recipe still serves.
        base=$(newest_complete)
        [ -n "$base" ] || exit 1
        log "debootstrap failed; using $(basename "$base")"
    else
        cp "$here/host-base.sh" "$scratch/root/tmp/host-base.sh"
        chroot "$scratch/root" /bin/sh /tmp/host-base.sh
        rm -f "$scratch/root/tmp/host-base.sh"
        mkdir -p "$base"
        tar -C "$scratch/root" --numeric-owner --xattrs -cf - . | gzip -1 > "$base/rootfs.tar.gz"
        (cd "$base" && sha256sum rootfs.tar.gz > rootfs.tar.gz.sha256)
        touch "$base/.complete"
        rm -rf --one-file-system "$scratch/root"
        # Older roots are only disk spent: a root is about 350 MB.
        for old in "$cache"/*; do [ "$old" = "$base" ] || rm -rf "$old"; done
    fi
fi

root=$scratch/root
mkdir -p "$root"
tar -C "$root" --numeric-owner --xattrs -xzf "$base/rootfs.tar.gz"
install -m 0755 "$binary" "$root/usr/local/bin/wakedock-monitor"
install -m 0644 "$repo/packaging/systemd/wakedock-monitor.service" "$root/etc/systemd/system/wakedock-monitor.service"
install -m 0644 "$here/host-wakedock.env" "$root/etc/default/wakedock-monitor"
ln -sf /etc/systemd/system/wakedock-monitor.service "$root/etc/systemd/system/multi-user.target.wants/wakedock-monitor.service"
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"
rm -f "$out/disk.img"
# 4 GiB, sparse: room for Docker's layers and the containers' writes.
mke2fs -q -t ext4 -L wd-v2-host -d "$root" "$out/disk.img" 4G
log "root $(basename "$base"), disk $(du -h "$out/disk.img" | cut -f1) used of 4G"
