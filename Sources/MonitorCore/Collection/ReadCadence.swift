import CSupport

/// How often each counter file is read. What a sample shows every tick (CPU time, memory in use, pids,
/// network counters) is read every tick; the rest at the rate its content changes, and carried between reads
/// (the probe's raw record keeps the last value of every file it did not read). One table, so that the cost
/// of a tick can be read off it rather than found in conditions scattered through the collector.
///
/// A row is due on the tick nearest to the end of its period (`NearestTick`): a 1 s row is read every tick at a
/// 1 s interval, every tenth at 0.1 s, and at 0.3 s the tick nearest each second (0.9 or 1.2 s apart, once a
/// second on average: the schedule is anchored, see `nextDue`). The collector adds reads of its own
/// outside the table: every file on a container's first tick and after a Docker `update`, and memory.stat when
/// memory usage moved (see `Collector`).
///
/// The rows are the table; the read times are the state of one collector's schedule (the collector keeps its
/// own copy of the `ReadCadence` it was given).
public struct ReadCadence: Sendable {
    public struct Row: Sendable {
        /// The files (their `wd_file_kind` bits).
        public let files: UInt32
        /// One read per period, on the tick nearest to its end; 0 = every tick.
        public let periodNanos: UInt64
    }

    public static let standard = ReadCadence(rows: [
        // What every sample shows and what tells that a container is gone (CPU and memory usage failing
        // with ENODEV). v2's cpu.stat also holds the throttling counters: read with the CPU time.
        Row(files: WD_F_CPU_USAGE.bit | WD_F_MEM_USAGE.bit | WD_F_PIDS.bit | WD_F_NETDEV.bit, periodNanos: 0),
        // Slow or event-driven: memory.stat (inactive_file, cache — subtracted from usage, so a second-old
        // value moves memory by what page cache changed in that second), the memory limit (a Docker
        // `update` event forces a read at once), failcnt / memory.events / oom_control, block I/O,
        // v1's cpu.stat (throttling). memory.stat is the costliest file the kernel formats for us.
        Row(
            files: WD_F_MEM_STAT.bit | WD_F_MEM_LIMIT.bit | WD_F_MEM_FAILCNT.bit | WD_F_MEM_OOM.bit | WD_F_BLKIO.bit
                | WD_F_CPU_STAT.bit,
            periodNanos: 1_000_000_000),
        // Pressure (PSI) averages: the kernel recomputes them every 2 s (PSI_FREQ in kernel/sched/psi.c).
        Row(files: WD_F_PSI_CPU.bit | WD_F_PSI_MEM.bit | WD_F_PSI_IO.bit, periodNanos: 2_000_000_000),
    ])

    /// Every file on every tick (the `stats` command's single read, and tests that want the old behaviour).
    public static let everything = ReadCadence(rows: [Row(files: wd_file_kind.allBits, periodNanos: 0)])

    public let rows: [Row]
    /// Monotonic time each periodic row is next due at; 0 = not scheduled yet. Anchored: a read moves it on by
    /// whole periods from where it was, not from when the read happened, so a late tick, missed ticks or a
    /// pause of any length do not shift the row's phase (a schedule that counted "a period since the last read" let one stall make
    /// several staggered copies due on the same tick and keep them together from then on).
    private var nextDue: ContiguousArray<UInt64>
    /// When each row was last read (a clock that did not move forward since reads again).
    private var lastRead: ContiguousArray<UInt64>
    private var previousTick: UInt64 = 0
    /// How far into its period each periodic row starts, in 1/1000ths of the period (see `staggered`).
    private var phasePermille: UInt64 = 0

    public init(rows: [Row]) {
        self.rows = rows
        nextDue = ContiguousArray(repeating: 0, count: rows.count)
        lastRead = ContiguousArray(repeating: 0, count: rows.count)
    }

    /// `groups` copies of this schedule whose periodic rows start `k/groups` of a period apart: the collector
    /// gives container i the copy i mod groups, so that the once-a-second reads of 100 containers are spread
    /// over the ten ticks of a second at 0.1 s instead of all falling on one (a tick ten times the others, and
    /// a p99 that grows with the host). Each container still reads each file once per period.
    public func staggered(into groups: Int) -> [ReadCadence] {
        let n = max(groups, 1)
        return (0..<n).map { k in
            var copy = self
            copy.phasePermille = UInt64(k * 1000 / n)
            return copy
        }
    }

    /// The files due on a tick at `now` (monotonic nanoseconds), marking their rows as read. Allocation-free.
    public mutating func due(at now: UInt64) -> UInt32 {
        let gap = previousTick == 0 || now < previousTick ? UInt64.max : now - previousTick
        previousTick = now
        var mask: UInt32 = 0
        for i in rows.indices {
            let period = rows[i].periodNanos
            if period == 0 {
                mask |= rows[i].files
                continue
            }
            if nextDue[i] == 0 || now <= lastRead[i] {
                // First tick, or a clock that did not move forward since the last read (simulated, stepped):
                // read now, unless this is a staggered copy's start — its first period is shortened by its
                // phase (a new container reads every file on its first tick anyway).
                let shortened = nextDue[i] == 0 && phasePermille > 0
                nextDue[i] = now &+ (shortened ? period - period / 1000 &* phasePermille : period)
                if !shortened {
                    mask |= rows[i].files
                    lastRead[i] = now
                }
                continue
            }
            // Due on the tick nearest to its time: early by up to half the gap since the previous tick (so that a
            // period equal to the interval takes every tick despite jitter), as `NearestTick` says.
            let slack = min(period, gap / 2)
            guard now &+ slack >= nextDue[i] else { continue }
            mask |= rows[i].files
            lastRead[i] = now
            // On by whole periods, past this tick: the periods a stall or slow ticks missed are skipped, not read
            // on every tick until the schedule has caught up, and the phase is kept (starting again from `now`
            // put every copy overdue after a gap of a second or more on the same tick for good).
            // (Counted past `now`, not past `now + slack`: a row read early by the slack moves on one period.)
            let periods = now >= nextDue[i] ? (now - nextDue[i]) / period + 1 : 1
            nextDue[i] &+= periods &* period
        }
        return mask
    }
}
