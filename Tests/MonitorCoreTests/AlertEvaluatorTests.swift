import MonitorCore
import Synchronization
import Testing

/// Alert evaluation over a sequence of ticks: rises, no storm at 100 ms, cool-down repeats, hysteresis,
/// "above for N s", resolutions, overrides. (The real-container version of this is Tests/e2e/test_alerts.py.)
@Suite struct AlertEvaluatorTests {
    let identity = ContainerIdentity(id: String(repeating: "ab", count: 32), name: "web-1", serviceName: "web")
    let start: Int64 = 1_737_023_400_000_000_000

    /// Feeds one CPU value per 100 ms tick; returns the records emitted.
    func run(_ cpu: [Double], thresholds: ThresholdTable = ThresholdTable(), policy: AlertPolicy = AlertPolicy()) -> [AlertRecord] {
        let log = AlertLog()
        let evaluator = AlertEvaluator(thresholds: thresholds, log: log, policy: policy)
        for (i, value) in cpu.enumerated() {
            var sample = Sample(container: identity, timestampNanos: start + Int64(i) * 100_000_000)
            sample.cpuPercent = value
            let samples = [sample]
            evaluator.collector(didCollect: samples.span, tick: TickInfo(sequence: UInt64(i), wallNanos: sample.timestampNanos, durationNanos: 0))
        }
        return log.newestFirst(notBeforeNanos: .min, limit: .max) { _ in true }.reversed()
    }

    @Test func oneAlertPerRiseNotOnePerTick() {
        let records = run(Array(repeating: 10, count: 5) + Array(repeating: 95, count: 50))
        #expect(records.count == 1)
        #expect(records[0].level == .critical && records[0].message == "CPU critique: 95.0% (seuil: 90%)")
        #expect(records[0].threshold == 90)
    }

    @Test func warningThenCriticalThenResolution() {
        let records = run([10, 75, 75, 95, 95, 50, 10])
        #expect(records.map(\.level) == [.warning, .critical, .info])
        #expect(records[1].message == "CPU critique: 95.0% (seuil: 90%)")
        #expect(records[2].resolved && records[2].resolvedLevel == .critical)
        #expect(records[2].message == "CPU revenu à la normale: 50.0% (seuil: 70%)")
    }

    @Test func hysteresisHoldsALevelJustBelowItsThreshold() {
        // Critical at 90: 85 ≥ 90 × 0.9 keeps it critical; 80 < 81 eases to warning (no news); 60 < 63 resolves.
        let records = run([95, 85, 89, 85, 80, 75, 64, 60])
        #expect(records.map(\.level) == [.critical, .info])
        #expect(records[1].value == 60)
    }

    @Test func aLevelThatPersistsIsRepeatedAfterTheCooldown() {
        let records = run(Array(repeating: 95, count: 31), policy: AlertPolicy(cooldown: .seconds(1)))
        // Ticks 0, 10, 20, 30 (every second at 100 ms).
        #expect(records.count == 4)
        #expect(Set(records.map(\.level)) == [.critical])
    }

    @Test func aFlappingValueMakesOneRaiseAndOneResolutionPerCooldown() {
        // On for 0.5 s, off for 0.5 s, for 30 s, at 100 ms: without a clear delay nor re-opening, 60 raises and
        // 60 resolutions. With a 1 s clear delay the episode never ends while it flaps…
        let flapping = (0..<60).flatMap { _ in Array(repeating: 100.0, count: 5) + Array(repeating: 0.0, count: 5) }
        let steady = run(flapping + Array(repeating: 0, count: 20), policy: AlertPolicy(cooldown: .seconds(300), clear: .seconds(1)))
        #expect(steady.map(\.level) == [.critical, .info])
        // …and with a clear delay shorter than the gaps, the episodes after the first resolution are re-opened
        // quietly within the cool-down: still one raise and one resolution.
        let short = run(flapping + Array(repeating: 0, count: 20), policy: AlertPolicy(cooldown: .seconds(300), clear: .milliseconds(200)))
        #expect(short.map(\.level) == [.critical, .info])
        // A re-opened episode that outlasts the cool-down is announced then, and its end too.
        let long = run([100, 0, 0, 0, 100] + Array(repeating: 100, count: 10) + [0, 0, 0],
                       policy: AlertPolicy(cooldown: .seconds(1), clear: .milliseconds(200)))
        #expect(long.map(\.level) == [.critical, .info, .critical, .info])
    }

    @Test func anEscalationAfterAResolutionIsNewsEvenWithinTheCooldown() {
        // Warning raised, resolved, then critical within the cool-down: the critical is announced at once.
        let records = run([75, 10, 10, 95, 95], policy: AlertPolicy(cooldown: .seconds(300), clear: .milliseconds(100)))
        #expect(records.map(\.level) == [.warning, .info, .critical])
    }

    @Test func aResolutionWaitsForTheClearDelay() {
        let records = run([95, 10, 10, 95, 10, 10, 10, 10], policy: AlertPolicy(clear: .milliseconds(300)))
        #expect(records.map(\.level) == [.critical, .info])
        #expect(records[1].timestampNanos == start + 7 * 100_000_000)
    }

    @Test func aDurationDelaysTheRiseAndIgnoresSpikes() {
        let table = ThresholdTable()
        table.set(Threshold(warning: 70, critical: 90, duration: 0.5), for: .cpuPercent)
        // A 3-tick spike (0.2 s above) raises nothing; then 0.5 s above raises critical at the 6th tick.
        let records = run([95, 95, 95, 10] + Array(repeating: 95, count: 8), thresholds: table)
        #expect(records.count == 1)
        #expect(records[0].timestampNanos == start + 9 * 100_000_000)
    }

    @Test func serviceAndContainerOverridesWin() {
        let table = ThresholdTable()
        table.set(Threshold(warning: 150, critical: 190), for: .cpuPercent, scope: .service("web"))
        #expect(run([120, 120], thresholds: table).isEmpty)  // normal for this service
        #expect(run([160], thresholds: table).map(\.threshold) == [150])
        table.set(Threshold(warning: 10, critical: 20), for: .cpuPercent, scope: .container(identity.id))
        #expect(run([15], thresholds: table).map(\.threshold) == [10])
        table.removeOverride(for: .cpuPercent, scope: .container(identity.id))
        #expect(run([15], thresholds: table).isEmpty)
    }

    @Test func aDisabledThresholdRaisesNothing() {
        let table = ThresholdTable()
        table.set(Threshold(warning: 70, critical: 90, enabled: false), for: .cpuPercent)
        #expect(run([95, 95], thresholds: table).isEmpty)
    }

    @Test func callbacksHearEveryRecordOffTheTick() async {
        let log = AlertLog()
        let heard = Mutex<[String]>([])
        let (done, finish) = AsyncStream.makeStream(of: Void.self)
        log.addCallback { record in
            heard.withLock { $0.append(record.message) }
            if record.resolved { finish.yield() }
        }
        let evaluator = AlertEvaluator(thresholds: ThresholdTable(), log: log)
        for (i, value) in [95.0, 10].enumerated() {
            var sample = Sample(container: identity, timestampNanos: start + Int64(i) * 100_000_000)
            sample.cpuPercent = value
            let samples = [sample]
            evaluator.collector(didCollect: samples.span, tick: TickInfo(sequence: UInt64(i), wallNanos: 0, durationNanos: 0))
        }
        for await _ in done { break }
        #expect(heard.withLock { $0 } == ["CPU critique: 95.0% (seuil: 90%)", "CPU revenu à la normale: 10.0% (seuil: 70%)"])
    }

    @Test func networkMessagesUseMegabytesPerSecond() {
        #expect(
            AlertMessage.text(metric: .networkRx, level: .warning, value: 120.5 * 1_048_576, threshold: 100 * 1_048_576)
                == "Trafic réseau élevé (RX): 120.5 MB/s (seuil: 100 MB/s)")
        #expect(
            AlertMessage.text(metric: .networkTx, level: .critical, value: 512.3 * 1_048_576, threshold: 500 * 1_048_576)
                == "Trafic réseau critique (TX): 512.3 MB/s (seuil: 500 MB/s)")
        #expect(AlertMessage.text(metric: .memoryPercent, level: .warning, value: 85, threshold: 80) == "Mémoire élevée: 85.0% (seuil: 80%)")
        #expect(
            AlertMessage.resolution(metric: .networkRx, value: 1_048_576, threshold: 100 * 1_048_576)
                == "Trafic réseau (RX) revenu à la normale: 1.0 MB/s (seuil: 100 MB/s)")
    }
}
