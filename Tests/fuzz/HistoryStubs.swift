// The fuzz target compiles HistoryLine.swift and HistoryFileName.swift on their own, without NIO and the rest
// of MonitorStore. HistoryFileName.name formats its date through DailyJSONLFile (a ByteBuffer writer); the
// harness never asks for `name`, so this stand-in only lets the file compile.
enum DailyJSONLFile {
    static func dateString(day: Int64) -> String { fatalError("DailyJSONLFile.dateString is not part of the fuzz target") }
}
