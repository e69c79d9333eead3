#!/usr/bin/env bash
# Builds WakeDock Monitor's libFuzzer targets (Tests/fuzz/) and runs each for a bounded time:
#   parsers — CSupport's kernel-text parsers (C, ASan + UBSan)
#   history — the history-line reader, HistoryLine.swift and HistoryFileName.swift (Swift, ASan)
# Every file of Tests/fuzz/regressions/<target>/ is run through its target first (inputs that once crashed),
# then the target fuzzes a copy of Tests/fuzz/corpus/<target>/ for WAKEDOCK_FUZZ_SECONDS (default 30) seconds
# (0: run the seeds once, no fuzzing).
# Targets run side by side when the machine has two cores or more. Any crash makes the script exit non-zero
# and print the crashing input. Nothing in the repository is modified: binaries, corpus copies, logs and
# crash artifacts go to .build-fuzz/ (ignored by git; WAKEDOCK_FUZZ_BUILD overrides it).
#
#   scripts/fuzz.sh                 # every target
#   scripts/fuzz.sh history         # one target
#   WAKEDOCK_FUZZ_SECONDS=600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${WAKEDOCK_FUZZ_SECONDS:-30}
build=${WAKEDOCK_FUZZ_BUILD:-$root/.build-fuzz}
all_targets=(parsers history)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
    case " ${all_targets[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2; exit 2 ;; esac
done
case $seconds in '' | *[!0-9]*) echo "fuzz: WAKEDOCK_FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac

# ---- what the build needs: the Swift toolchain's clang (it ships libFuzzer and the sanitizers) -------------
if ! command -v swiftc >/dev/null 2>&1 || ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: swiftc and clang from a Swift 6.1+ toolchain must be on PATH (see swift.org)" >&2
    exit 1
fi
if command -v dpkg >/dev/null 2>&1; then
    packages=()
    need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }
    need libc6-dev         # C headers and crt files
    need libstdc++-12-dev  # libFuzzer's runtime is C++ and links libstdc++
    need binutils          # ld for the links when the toolchain has no ld.lld
    if [ ${#packages[@]} -gt 0 ]; then
        echo "fuzz: installing ${packages[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${packages[@]}" >/dev/null
    fi
fi
clang_ld=() swift_ld=()
if [ -x "$(dirname "$(command -v clang)")/ld.lld" ]; then clang_ld=(-fuse-ld=lld) swift_ld=(-use-ld=lld); fi

run=$build/run
rm -rf "$run"
mkdir -p "$build/obj" "$build/modules/CByteSearch" "$run/logs"

# ---- build -----------------------------------------------------------------------------------------------
build_parsers() {
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined "${clang_ld[@]}" \
        -I CSupport/include CSupport/parse.c CSupport/netdev.c Tests/fuzz/parsers_fuzz.c -o "$build/parsers_fuzz"
}

# HistoryLine.swift imports CByteSearch for wd_memmem/wd_memrchr (CByteSearch/search.c). SwiftPM would make the
# module map; here it is written into the build folder, and the two Swift files that compile without NIO are
# built with the harness as one module (HistoryStubs.swift stands in for the one NIO-bound helper they name).
build_history() {
    printf 'module CByteSearch {\n    header "%s/CByteSearch/include/cbytesearch.h"\n    export *\n}\n' "$root" \
        >"$build/modules/CByteSearch/module.modulemap"
    clang -g -O1 -fsanitize=fuzzer-no-link,address -I CByteSearch/include -c CByteSearch/search.c -o "$build/obj/search.o"
    swiftc -O -g -parse-as-library -sanitize=fuzzer,address "${swift_ld[@]}" -module-name HistoryFuzz \
        -I "$build/modules/CByteSearch" -module-cache-path "$build/module-cache" \
        Sources/MonitorStore/HistoryLine.swift Sources/MonitorStore/HistoryFileName.swift \
        Tests/fuzz/HistoryStubs.swift Tests/fuzz/HistoryLineFuzz.swift "$build/obj/search.o" -o "$build/history_fuzz"
}

started=$SECONDS
for t in "${targets[@]}"; do
    echo "== fuzz: building $t"
    if ! "build_$t" >"$run/logs/$t.build.log" 2>&1; then
        cat "$run/logs/$t.build.log" >&2
        echo "fuzz: building $t failed" >&2
        exit 1
    fi
done
echo "== fuzz: built in $((SECONDS - started)) s"

# ---- run -------------------------------------------------------------------------------------------------
# A Swift runtime trap would otherwise start swift-backtrace, which keeps libFuzzer from reporting the crash.
export SWIFT_BACKTRACE=enable=no
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# Runs one target: its regression inputs one by one, then the timed fuzzing. Writes $run/<t>.result.
run_target() {
    local t=$1 bin=$build/${1}_fuzz regressions=$root/Tests/fuzz/regressions/$1
    local artifacts=$run/artifacts/$t corpus=$run/corpus/$t log=$run/logs/$t.log
    mkdir -p "$artifacts" "$corpus"
    local failed=() passed=0 f
    if [ -d "$regressions" ]; then
        for f in "$regressions"/*; do
            [ -f "$f" ] || continue
            case $(basename "$f") in .gitkeep | README*) continue ;; esac
            if timeout -k 5 60 "$bin" -timeout=10 -artifact_prefix="$artifacts/regression-" "$f" \
                >"$run/logs/$t.regression.$(basename "$f").log" 2>&1; then
                passed=$((passed + 1))
            else
                failed+=("$f")
            fi
        done
    fi
    cp -R "$root/Tests/fuzz/corpus/$t/." "$corpus/"
    local dict=() rc=0
    [ -f "$root/Tests/fuzz/$t.dict" ] && dict=(-dict="$root/Tests/fuzz/$t.dict")
    # 0 seconds: only run the seeds once (libFuzzer's -max_total_time=0 would mean "no limit").
    local limit=(-max_total_time="$seconds")
    [ "$seconds" -eq 0 ] && limit=(-runs=0)
    timeout -k 10 $((seconds + 120)) "$bin" "${limit[@]}" -timeout=10 -print_final_stats=1 \
        "${dict[@]}" -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    {
        echo "runs=${runs:-0}"
        echo "rc=$rc"
        echo "passed=$passed"
        for f in "${failed[@]}"; do echo "regression=$f"; done
        for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
            [ -e "$f" ] && echo "artifact=$f"
        done
        true
    } >"$run/$t.result"
}

echo "== fuzz: running ${targets[*]} for ${seconds} s each (regression inputs first)"
if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then
    pids=()
    for t in "${targets[@]}"; do run_target "$t" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
else
    for t in "${targets[@]}"; do run_target "$t"; done
fi

# ---- report ----------------------------------------------------------------------------------------------
# The first lines that say what went wrong in a libFuzzer/sanitizer log.
explain() {
    grep -m 8 -E 'fuzz property failed|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|Swift runtime failure|^ *#[0-9]+ .* in .*(/Sources/|/CSupport/|/CByteSearch/|/Tests/fuzz/)|^SUMMARY' "$1" |
        sed 's/^/    /' || true
}

status=0
summary=()
for t in "${targets[@]}"; do
    runs=0 rc=0 passed=0 regressions=() artifacts=()
    if [ ! -f "$run/$t.result" ]; then
        echo "fuzz $t: the run did not finish; see $run/logs/"
        status=1
        continue
    fi
    while IFS='=' read -r key value; do
        case $key in
        runs) runs=$value ;;
        rc) rc=$value ;;
        passed) passed=$value ;;
        regression) regressions+=("$value") ;;
        artifact) artifacts+=("$value") ;;
        esac
    done <"$run/$t.result"
    crashes=$((${#regressions[@]} + ${#artifacts[@]}))
    for f in "${regressions[@]}"; do
        echo "fuzz $t: regression input ${f#"$root"/} still crashes:"
        explain "$run/logs/$t.regression.$(basename "$f").log"
        echo "    reproduce: $build/${t}_fuzz $f"
    done
    for f in "${artifacts[@]}"; do
        echo "fuzz $t: crashing input $f ($(wc -c <"$f") bytes; first 120: $(head -c 120 "$f" | cat -v | tr '\n' ' '))"
        explain "$run/logs/$t.log"
        echo "    reproduce: $build/${t}_fuzz $f"
        echo "    keep it as a regression test: cp $f Tests/fuzz/regressions/$t/"
    done
    if [ "$rc" -ne 0 ] && [ ${#artifacts[@]} -eq 0 ]; then
        crashes=$((crashes + 1))
        echo "fuzz $t: the fuzzer exited with status $rc without saving an input; see $run/logs/$t.log"
        explain "$run/logs/$t.log"
    fi
    [ "$crashes" -eq 0 ] || status=1
    summary+=("fuzz $t: $runs runs, $crashes crashes (regression inputs: $passed passed, ${#regressions[@]} crashed)")
done
echo "fuzz: logs in $run/logs, crashing inputs (if any) in $run/artifacts, grown corpus in $run/corpus"
echo "fuzz: total $((SECONDS - started)) s"
printf '%s\n' "${summary[@]}"
exit $status
