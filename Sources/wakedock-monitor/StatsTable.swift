import Foundation
import MonitorApp
import MonitorCore

/// The `docker stats` table: same columns and the same unit conventions (binary units for memory,
/// decimal units for network and block I/O), so the two can be compared by eye.
enum StatsTable {
    static func render(_ samples: [Sample], truncateIDs: Bool) -> String {
        var rows = [["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]]
        for s in samples {
            rows.append([
                truncateIDs ? s.container.shortID : s.container.id,
                s.container.name,
                String(format: "%.2f%%", s.cpuPercent),
                binarySize(s.memoryUsage) + " / " + binarySize(s.memoryLimit),
                String(format: "%.2f%%", s.memoryPercent),
                decimalSize(s.networkRxBytes) + " / " + decimalSize(s.networkTxBytes),
                decimalSize(s.blockReadBytes) + " / " + decimalSize(s.blockWriteBytes),
                String(s.pids),
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                out += cell
                if i < row.count - 1 { out += String(repeating: " ", count: widths[i] - cell.count + 3) }
            }
            out += "\n"
        }
        return out
    }

    /// docker's units.BytesSize: "%.4g" of powers of 1024 with B, KiB, MiB …
    static func binarySize(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], precision: 4)
    }

    /// docker's units.HumanSizeWithPrecision(_, 3): "%.3g" of powers of 1000 with B, kB, MB …
    static func decimalSize(_ bytes: UInt64) -> String {
        scaled(Double(bytes), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB"], precision: 3)
    }

    private static func scaled(_ value: Double, base: Double, units: [String], precision: Int) -> String {
        var v = value
        var i = 0
        while v >= base && i < units.count - 1 {
            v /= base
            i += 1
        }
        return String(format: "%.\(precision)g", v) + units[i]
    }
}
