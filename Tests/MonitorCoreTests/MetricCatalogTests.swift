import Testing

@testable import MonitorCore

/// The catalog is the one room of each metric: these checks fail when an entry is missing, doubled, or worded
/// unlike the original's alerts.
@Suite struct MetricCatalogTests {
    @Test func everyThresholdMetricHasExactlyOneEntryAndKeysAreUnique() {
        for type in MetricType.allCases {
            #expect(MetricCatalog.metrics.filter { $0.alert?.metric == type }.count == 1, "\(type)")
            #expect(type.spec.alert?.metric == type)
        }
        let keys = MetricCatalog.metrics.map(\.name)
        #expect(Set(keys).count == keys.count)
        let names = MetricCatalog.metrics.compactMap(\.exposition?.name)
        #expect(Set(names).count == names.count)
        // Prometheus' metric name grammar: [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total where they are cAdvisor's.
        for name in names {
            #expect(name.first.map { $0.isLetter || $0 == "_" } == true && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "\(name)")
        }
    }

    /// Each field is one entry's, and an entry written as a whole number reads a whole number.
    @Test func everyFieldHasOneEntryAndItsFormatFitsItsValue() {
        let sample = Sample(container: ContainerIdentity(id: "x", name: "x"), timestampNanos: 0)
        for field in SampleField.allCases {
            #expect(MetricCatalog.metrics.filter { $0.field == field }.count == 1, "\(field)")
        }
        for metric in MetricCatalog.metrics {
            if case .integer = metric.format, case .decimal = metric.field.read(sample) { Issue.record("\(metric.name)") }
            if case .decimal = metric.format, case .integer = metric.field.read(sample) { Issue.record("\(metric.name)") }
        }
        #expect(MetricCatalog.layout.map(\.field) == MetricCatalog.metrics.filter(\.inJSON).map(\.field))
    }

    @Test func eachMetricTypeReadsItsOwnField() {
        var s = Sample(container: ContainerIdentity(id: "x", name: "x"), timestampNanos: 0)
        s.cpuPercent = 1; s.memoryUsage = 2; s.memoryPercent = 3; s.memoryLimit = 4; s.networkRxRate = 5
        s.networkTxRate = 6; s.blockReadRate = 7; s.blockWriteRate = 8; s.pids = 9
        #expect(MetricType.allCases.map { $0.value(in: s) } == [1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    /// Every metric's three messages, as the original words them.
    @Test func alertWordsForEveryMetric() {
        let mb = ThresholdTable.megabyte
        let cases: [(MetricType, Double, Double, String, String, String)] = [
            (.cpuPercent, 95, 90, "CPU élevé: 95.0% (seuil: 90%)", "CPU critique: 95.0% (seuil: 90%)", "CPU revenu à la normale: 95.0% (seuil: 90%)"),
            (.memoryPercent, 85, 80, "Mémoire élevée: 85.0% (seuil: 80%)", "Mémoire critique: 85.0% (seuil: 80%)",
             "Mémoire revenue à la normale: 85.0% (seuil: 80%)"),
            (.memoryUsage, 3 * mb, 2 * mb, "Utilisation mémoire élevée: 3.0 MB (seuil: 2 MB)", "Utilisation mémoire critique: 3.0 MB (seuil: 2 MB)",
             "Utilisation mémoire revenue à la normale: 3.0 MB (seuil: 2 MB)"),
            (.memoryLimit, 3 * mb, 2 * mb, "Limite mémoire élevée: 3.0 MB (seuil: 2 MB)", "Limite mémoire critique: 3.0 MB (seuil: 2 MB)",
             "Limite mémoire revenue à la normale: 3.0 MB (seuil: 2 MB)"),
            (.networkRx, 120.5 * mb, 100 * mb, "Trafic réseau élevé (RX): 120.5 MB/s (seuil: 100 MB/s)",
             "Trafic réseau critique (RX): 120.5 MB/s (seuil: 100 MB/s)", "Trafic réseau (RX) revenu à la normale: 120.5 MB/s (seuil: 100 MB/s)"),
            (.networkTx, mb, 2 * mb, "Trafic réseau élevé (TX): 1.0 MB/s (seuil: 2 MB/s)", "Trafic réseau critique (TX): 1.0 MB/s (seuil: 2 MB/s)",
             "Trafic réseau (TX) revenu à la normale: 1.0 MB/s (seuil: 2 MB/s)"),
            (.blockRead, mb, 2 * mb, "E/S disque élevées (lecture): 1.0 MB/s (seuil: 2 MB/s)", "E/S disque critiques (lecture): 1.0 MB/s (seuil: 2 MB/s)",
             "E/S disque (lecture) revenues à la normale: 1.0 MB/s (seuil: 2 MB/s)"),
            (.blockWrite, mb, 2 * mb, "E/S disque élevées (écriture): 1.0 MB/s (seuil: 2 MB/s)",
             "E/S disque critiques (écriture): 1.0 MB/s (seuil: 2 MB/s)", "E/S disque (écriture) revenues à la normale: 1.0 MB/s (seuil: 2 MB/s)"),
            (.pids, 500, 400, "Processus élevé: 500 (seuil: 400)", "Processus critique: 500 (seuil: 400)", "Processus revenu à la normale: 500 (seuil: 400)"),
        ]
        #expect(cases.count == MetricType.allCases.count)
        for (metric, value, threshold, warning, critical, resolution) in cases {
            #expect(AlertMessage.text(metric: metric, level: .warning, value: value, threshold: threshold) == warning)
            #expect(AlertMessage.text(metric: metric, level: .critical, value: value, threshold: threshold) == critical)
            #expect(AlertMessage.resolution(metric: metric, value: value, threshold: threshold) == resolution)
        }
    }
}
