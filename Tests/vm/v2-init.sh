#!/bin/sh
# /init of the quick cgroup v2 test VM (Tests/e2e/test_v2_kernel.py): a real kernel with a pure cgroup v2
# hierarchy, four cgroups named as Docker's systemd driver names them, a workload in each, then our release
# binary's `stats` (cgroup-scan mode) with the kernel's own files read just before and just after, and `serve`
# for a few seconds. Everything the host checks is printed on the serial console behind `WD:` markers.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ifconfig lo 127.0.0.1 up
echo "WD:BOOTED $(cut -d' ' -f1 /proc/uptime)"
echo "WD:CONTROLLERS $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "WD:MEMTOTAL $(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2)"
echo "+cpu +memory +pids +io" > /sys/fs/cgroup/cgroup.subtree_control
mkdir /sys/fs/cgroup/system.slice
echo "+cpu +memory +pids +io" > /sys/fs/cgroup/system.slice/cgroup.subtree_control

BURNER=b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1
HOLDER=401d401d401d401d401d401d401d401d401d401d401d401d401d401d401d401d
LIMITED=11311131113111311131113111311131113111311131113111311131113111ff
IDLE=1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e1d1e

echo 'while :; do :; done' > /tmp/burner.sh
# The memory holders: dd reads its whole block from /dev/zero in one read(), which writes (so faults in) every
# page of its buffer, then blocks for good writing it to a pipe that sleep never reads. One system call fills
# the memory, so it takes a second even under emulation on a busy machine (a shell reading 150 MB through
# `x=$(head | tr)` once took over 90 s there, and the holder was caught half full).
echo 'dd if=/dev/zero bs=150000000 count=1 2>/dev/null | sleep 3600' > /tmp/holder.sh
echo 'dd if=/dev/zero bs=30000000 count=1 2>/dev/null | sleep 3600' > /tmp/limited.sh
echo 'while :; do sleep 3600; done' > /tmp/idle.sh

# start ID SCRIPT [MEMORY_MAX]: a shell that moves itself into the scope, then runs the workload.
start() {
    dir=/sys/fs/cgroup/system.slice/docker-$1.scope
    mkdir "$dir"
    [ -n "$3" ] && echo "$3" > "$dir/memory.max"
    sh -c "echo \$\$ > $dir/cgroup.procs; exec sh /tmp/$2" &
}
start $BURNER burner.sh
start $HOLDER holder.sh
start $LIMITED limited.sh 67108864
start $IDLE idle.sh

# The holder fills its 150 MB, the limited one its 30 MB: wait until both are done (the shell, a blocked dd
# and its sleep), at most 90 s.
settled() {
    for id in $HOLDER $LIMITED; do
        [ "$(cat /sys/fs/cgroup/system.slice/docker-$id.scope/pids.current)" -eq 3 ] || return 1
    done
    [ "$(cat /sys/fs/cgroup/system.slice/docker-$HOLDER.scope/memory.current)" -gt 140000000 ]
}
i=0
until settled || [ $i -ge 180 ]; do
    sleep 0.5; i=$((i + 1))
done
echo "WD:SETTLED $(cut -d' ' -f1 /proc/uptime)"
sleep 1

kernel() {
    for id in $BURNER $HOLDER $LIMITED $IDLE; do
        d=/sys/fs/cgroup/system.slice/docker-$id.scope
        echo "WD:KERNEL $1 $id $(cat $d/memory.current) $(grep '^inactive_file ' $d/memory.stat | cut -d' ' -f2) $(cat $d/pids.current) $(cat $d/memory.max) $(grep '^usage_usec ' $d/cpu.stat | cut -d' ' -f2) $(cut -d' ' -f1 /proc/uptime)"
    done
}

kernel before
# CPU % over 1 s: under emulation a 0.2 s window is too jittery for ±10 points (seen: 89.1 % against 99.7 %).
WAKEDOCK_DOCKER_SOCKET=/nonexistent.sock /wd/wakedock-monitor stats --format json --no-trunc --sample-interval 1 > /tmp/stats.json 2> /tmp/stats.err
echo "WD:STATS-EXIT $?"
kernel after
while read -r line; do echo "WD:STATS $line"; done < /tmp/stats.json
while read -r line; do echo "WD:STATS-ERR $line"; done < /tmp/stats.err
for f in cpu.stat memory.stat memory.events io.stat cpu.pressure memory.pressure io.pressure; do
    [ -e /sys/fs/cgroup/system.slice/docker-$HOLDER.scope/$f ] && echo "WD:FILE $f"
done

WAKEDOCK_DOCKER_SOCKET=/nonexistent.sock WAKEDOCK_LOG_TARGET=stderr \
    /wd/wakedock-monitor serve --interval 0.5 --storage /tmp/metrics > /tmp/serve.log 2>&1 &
serve=$!
i=0
until wget -qO /tmp/status.json http://127.0.0.1:8000/api/v1/monitoring/status 2>/dev/null || [ $i -ge 60 ]; do
    sleep 0.5; i=$((i + 1))
done
sleep 3
wget -qO /tmp/containers.json http://127.0.0.1:8000/api/v1/monitoring/containers
wget -qO /tmp/latest.json "http://127.0.0.1:8000/api/v1/monitoring/metrics/$HOLDER/latest"
echo "WD:SERVE-STATUS $(cat /tmp/status.json)"
echo "WD:SERVE-CONTAINERS $(cat /tmp/containers.json)"
echo "WD:SERVE-LATEST $(cat /tmp/latest.json)"
# The exposition's pressure and memory series of the holder, and the kernel's files beside them.
wget -qO /tmp/exposition.txt http://127.0.0.1:8000/metrics
grep "^container_pressure_\|^container_memory_usage_bytes" /tmp/exposition.txt | grep "$HOLDER" | while read -r line; do
    echo "WD:SERVE-EXPOSED $line"
done
for f in cpu memory io; do
    echo "WD:PRESSURE $f $(tr '\n' ' ' < /sys/fs/cgroup/system.slice/docker-$HOLDER.scope/$f.pressure)"
done
kill -TERM $serve
wait $serve
echo "WD:SERVE-EXIT $?"
echo "WD:SERVE-PERSISTED $(cat /tmp/metrics/metrics_*.jsonl 2>/dev/null | wc -l)"
while read -r line; do echo "WD:SERVE-LOG $line"; done < /tmp/serve.log
echo "WD:DONE"
poweroff -f
