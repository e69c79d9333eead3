#!/bin/sh
# Runs inside the freshly debootstrapped Debian 12 root (chroot) of the full host VM test, once per cached
# root filesystem: what turns a bare debootstrap into a small server that boots under qemu. Nothing of
# WakeDock Monitor is here (the binary and its unit are added on every run, after the cache), so that a
# changed binary never needs a new root. A change to this file changes the cache key.
set -eu
echo wd-v2-host > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 wd-v2-host\n' > /etc/hosts
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > /etc/fstab
# A root without a password on the serial console, for looking around by hand when a run goes wrong.
passwd -d root >/dev/null
# qemu's user network hands out 10.0.2.15 by DHCP; the host reaches the guest's ports through hostfwd.
mkdir -p /etc/systemd/network
printf '[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n' > /etc/systemd/network/80-qemu-user.network
systemctl enable systemd-networkd.service >/dev/null 2>&1 || { echo "host-base: cannot enable systemd-networkd" >&2; exit 1; }
# Docker's API on TCP as well as its socket, so that the host's docker client drives this engine (images
# imported, containers run, `docker stats`) through a forwarded loopback port. Docker keeps its defaults
# otherwise: the systemd cgroup driver, overlay2, iptables.
printf 'DOCKER_OPTS="-H tcp://0.0.0.0:2375"\n' > /etc/default/docker
# Nothing periodic that would compete with the test for two emulated CPUs.
for timer in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer; do
    systemctl mask "$timer" >/dev/null 2>&1 || true
done
# The guest agent (started by udev when qemu's virtio port appears) runs the host's commands in here.
test -x /usr/sbin/qemu-ga
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
