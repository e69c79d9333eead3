import CSupport
import Foundation
import Glibc
@testable import MonitorCore
import Testing

/// CSupport's parsers on the exact text formats the kernel writes.
@Suite struct ParserTests {
    private func parseU64(_ text: String) -> (Int32, UInt64) {
        var value: UInt64 = 0
        var text = text
        let rc = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_u64($0.baseAddress, $0.count, &value) } }
        return (rc, value)
    }

    @Test func unsignedIntegersAndMax() {
        #expect(parseU64("123456789\n") == (0, 123_456_789))
        #expect(parseU64("max\n") == (0, UInt64.max))
        #expect(parseU64("9223372036854771712\n") == (0, 9_223_372_036_854_771_712))
        #expect(parseU64("99999999999999999999999\n").1 == UInt64.max)  // saturates, never wraps
        #expect(parseU64("").0 != 0)
        #expect(parseU64("abc").0 != 0)
    }

    @Test func keyedLinesPickOnlyTheRequestedKeys() {
        var text = "cache 100\nrss 200\ntotal_cache 300\ntotal_inactive_file 4096\n"
        var out: [UInt64] = [0, 0, 0]
        let keys = ["total_inactive_file", "total_cache", "missing"]
        let found = text.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { buf in
                withCStrings(keys) { ptrs in wd_parse_keyed(buf.baseAddress, buf.count, ptrs, 3, &out) }
            }
        }
        #expect(found == 0b011)
        #expect(out[0] == 4096)
        #expect(out[1] == 300)
    }

    @Test func netdevSumsEveryInterfaceButLoopback() {
        var text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:   99999     999    0    0    0     0          0         0    99999     999    0    0    0     0       0          0
              eth0: 1048576    1000    0    0    0     0          0         0  2097152    2000    0    0    0     0       0          0
              eth1:12345678901  300    0    0    0     0          0         0      100       1    0    0    0     0       0          0

            """
        var totals = wd_netdev_totals()
        let rc = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_netdev($0.baseAddress, $0.count, &totals) } }
        #expect(rc == 0)
        #expect(totals.rx_bytes == 1_048_576 + 12_345_678_901)
        #expect(totals.tx_bytes == 2_097_152 + 100)
        #expect(totals.rx_packets == 1300)
        #expect(totals.tx_packets == 2001)
        #expect(totals.interfaces == 2)
    }

    @Test func netdevInterfacesOneByOneWithTheirNames() {
        var text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:   99999     999    0    0    0     0          0         0    99999     999    0    0    0     0       0          0
            veth1a2b3c4: 1048576 1000    0    0    0     0          0         0  2097152    2000    0    0    0     0       0          0
            br-0123456789ab:12345678901  300 0 0    0     0          0         0      100       1    0    0    0     0       0          0

            """
        var out = [wd_netdev_iface](repeating: wd_netdev_iface(), count: 2)
        let count = text.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { wd_parse_netdev_interfaces($0.baseAddress, $0.count, &out, 2) }
        }
        // Three lines, room for two: the count says how much room is needed, the first two are filled.
        #expect(count == 3)
        #expect(HostNetwork.Name(out[0]).description == "lo")
        #expect(HostNetwork.Name(out[1]) == HostNetwork.Name("veth1a2b3c4"))
        #expect(out[1].rx_bytes == 1_048_576 && out[1].tx_bytes == 2_097_152 && out[1].rx_packets == 1000 && out[1].tx_packets == 2000)
        var bigger = [wd_netdev_iface](repeating: wd_netdev_iface(), count: 4)
        _ = text.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { wd_parse_netdev_interfaces($0.baseAddress, $0.count, &bigger, 4) }
        }
        #expect(HostNetwork.Name(bigger[2]).description == "br-0123456789ab")
        #expect(bigger[2].rx_bytes == 12_345_678_901)
        // A name longer than the kernel's 15 bytes is not a net/dev line.
        var long = "abcdefghijklmnop: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
        let rc = long.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { wd_parse_netdev_interfaces($0.baseAddress, $0.count, &bigger, 4) }
        }
        #expect(rc == -Int(EINVAL))
        #expect(HostNetwork.Name("abcdefghijklmnop") == nil)
    }

    /// /proc/<pid>/net/igmp as the kernel prints it (igmp_mc_seq_show): the interfaces' indexes, lo left out.
    @Test func igmpGivesEachInterfacesIndex() throws {
        let text = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
            + "1\tlo        :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n"
            + "1789\teth0      :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n"
            + "1791\teth1      :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n"
        let path = NSTemporaryDirectory() + "wd-igmp-\(getpid())"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect(NamespaceLinks.interfaceIndexes(igmp: path) == ["eth0": 1789, "eth1": 1791])
    }

    @Test func netdevWithOnlyLoopbackIsZero() {
        var text = "Inter-|\n face |\n    lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n"
        var totals = wd_netdev_totals()
        let rc = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_netdev($0.baseAddress, $0.count, &totals) } }
        #expect(rc == 0)
        #expect(totals.rx_bytes == 0 && totals.tx_bytes == 0 && totals.interfaces == 0)
    }

    @Test func blkioV1SumsReadAndWriteOverDevices() {
        var text = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n8:16 Read 1\n8:16 Write 2\nTotal 12291\n"
        var r: UInt64 = 0
        var w: UInt64 = 0
        _ = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_blkio_v1($0.baseAddress, $0.count, &r, &w) } }
        #expect(r == 4097)
        #expect(w == 8194)
    }

    @Test func ioStatV2SumsBytesOverDevices() {
        var text = "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n"
        var r: UInt64 = 0
        var w: UInt64 = 0
        _ = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_io_stat_v2($0.baseAddress, $0.count, &r, &w) } }
        #expect(r == 1_459_200 + 4096)
        #expect(w == 314_773_504 + 8192)
    }

    @Test func psiGivesSomeAvg10InHundredthsAndBothTotals() {
        func parse(_ text: String) -> (Int32, wd_psi) {
            var text = text
            var psi = wd_psi()
            let rc = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_psi($0.baseAddress, $0.count, &psi) } }
            return (rc, psi)
        }
        let (rc, psi) = parse("some avg10=12.34 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n")
        #expect(rc == 0)
        #expect(psi.some_avg10 == 1234 && psi.some_total_us == 123_456 && psi.full_total_us == 789)
        // cpu.pressure before Linux 5.13: no `full` line, so no stalled total.
        let (rc2, cpu) = parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n")
        #expect(rc2 == 0 && cpu.some_total_us == 42 && cpu.full_total_us == .max)
        // A `full` line first, and a `some` line without total=.
        let (rc3, odd) = parse("full avg10=1.00 avg60=0.00 avg300=0.00 total=5\nsome avg10=2.00\n")
        #expect(rc3 == 0 && odd.some_avg10 == 200 && odd.some_total_us == .max && odd.full_total_us == 5)
        #expect(parse("full avg10=1.00 total=5\n").0 == -EINVAL)
        #expect(parse("some avg10=x total=5\n").0 == -EINVAL)
    }

    @Test func procStatSumsTheSevenFieldsDockerUses() {
        var text = "cpu  10000 200 3000 500000 100 0 50 7 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
        var ticks: UInt64 = 0
        let rc = text.withUTF8 { p in p.withMemoryRebound(to: CChar.self) { wd_parse_proc_stat_cpu($0.baseAddress, $0.count, &ticks) } }
        #expect(rc == 0)
        #expect(ticks == 10000 + 200 + 3000 + 500_000 + 100 + 0 + 50)  // steal (7) excluded, as Docker does
    }

    @Test func preadAllReportsErrorsAsErrno() {
        var buffer = [CChar](repeating: 0, count: 64)
        #expect(wd_pread_all(-1, &buffer, 64) == -Int(EBADF))
        #expect(wd_open_ro("/nonexistent/wakedock") == -ENOENT)
    }
}

/// Calls body with a C array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    let pointers = duplicated.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
