#!/usr/bin/env bash
# Builds what the quick cgroup v2 VM test boots: Debian's current kernel (the one linux-image-amd64 depends on,
# downloaded once and cached by package name) and an initramfs holding static busybox, the given wakedock-monitor
# binary with every shared library it loads, and Tests/vm/v2-init.sh as /init.
#   build-v2-vm.sh BINARY OUT_DIR      → OUT_DIR/vmlinuz, OUT_DIR/initrd.gz
# The kernel cache (WAKEDOCK_VM_CACHE, default /var/cache/wakedock-tests) is trusted only when a previous run
# finished writing it (.complete); anything else there is thrown away and fetched again.
set -euo pipefail
binary=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
cache=${WAKEDOCK_VM_CACHE:-/var/cache/wakedock-tests}
mkdir -p "$out"

kernel_package() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
package=$(kernel_package)
if [ -z "$package" ]; then
    apt-get update -qq
    package=$(kernel_package)
fi
[ -n "$package" ] || { echo "build-v2-vm: apt knows no linux-image-amd64" >&2; exit 1; }
kernel_dir=$cache/kernel/$package
if [ ! -f "$kernel_dir/.complete" ]; then
    rm -rf "$kernel_dir"
    mkdir -p "$kernel_dir"
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    if ! (cd "$scratch" && apt-get download "$package" >/dev/null 2>&1); then
        apt-get update -qq
        (cd "$scratch" && apt-get download "$package" >/dev/null)
    fi
    dpkg-deb -x "$scratch"/*.deb "$scratch/unpacked"
    cp "$scratch"/unpacked/boot/vmlinuz-* "$kernel_dir/vmlinuz"
    touch "$kernel_dir/.complete"
fi
cp "$kernel_dir/vmlinuz" "$out/vmlinuz"

root=$(mktemp -d)
trap 'rm -rf "$root" ${scratch:+"$scratch"}' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,wd}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    # An applet named busybox would make the binary a link to itself.
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$binary" "$root/wd/wakedock-monitor"
# Every library the dynamic loader would load, at the path it would load it from, and the loader itself.
ldd "$binary" | awk '/=> \// { print $3 } /^[ \t]*\/.*ld-linux/ { print $1 }' | while read -r library; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
done
cp "$here/v2-init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 > "$out/initrd.gz")
echo "build-v2-vm: kernel $package, initramfs $(du -h "$out/initrd.gz" | cut -f1)"
