/// Runs the soak: every chosen pattern's server and clients in this process over tcp on 127.0.0.1, for a
/// set time, checking every message, reporting at intervals, and judging the run at the end.
public enum Soak {
    /// Runs `options`, passing the header, each report line and the summary lines to `output`.
    ///
    /// Each report line gives the elapsed time, each pattern's throughput over the interval (replies,
    /// deliveries to subscribers, pulls per second), the run's lost, corrupt and counted best-effort drops so
    /// far, resident memory and open descriptors. Cancellation stops the load early (it still drains and
    /// closes) and returns the summary so far.
    /// - Throws: ``MultiSocketError`` if a server cannot listen.
    public static func run(_ options: SoakOptions, output: @escaping @Sendable (String) -> Void) async throws
        -> SoakSummary {
        FileLimit.raiseToMaximum()
        let control = LoadControl()
        let loads: [any SoakLoad] = try options.patterns.map { pattern in
            switch pattern {
            case .reqrep: try ReqRepLoad(options: options)
            case .pubsub: try PubSubLoad(options: options)
            case .pushpull: try PushPullLoad(options: options)
            }
        }
        output("soak: \(options.patterns.map(\.rawValue).joined(separator: ",")) over tcp, "
               + "\(options.peers) peers each, "
               + "\(SoakSummary.format(options.seconds)) s, \(options.size)-byte payloads, churn \(options.churn)/s, "
               + "pub window \(options.pubWindow), warm-up \(SoakSummary.format(options.effectiveWarmup)) s, "
               + "rss tolerance \(SoakSummary.format(options.rssToleranceMiB)) MiB")
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for load in loads { group.addTask { await load.run(control) } }
            }
        }
        // The clock starts once every client is connected (or after a minute): on a loaded machine a hundred
        // dials per pattern take a while, and that time is no part of the soak.
        let clients = options.peers * loads.count
        await control.drain(within: .seconds(60), quiet: .seconds(60), progress: { 0 }) {
            control.connectedClients >= clients
        }
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + seconds(options.seconds)
        let warmedUp = start + seconds(options.effectiveWarmup)
        var baseline: ProcessMetrics?
        var peak = 0
        var previous = loads.map { $0.tally() }
        var lastReport = start
        var reports = 1
        var final = ProcessMetrics.current()
        while true {
            let report = start + seconds(options.reportEvery * Double(reports))
            var wake = min(report, end)
            if baseline == nil && warmedUp < wake && warmedUp < end { wake = warmedUp }
            do {
                try await Task.sleep(until: wake, clock: clock)
            } catch {
                final = ProcessMetrics.current()
                break
            }
            let metrics = ProcessMetrics.current()
            peak = max(peak, metrics.residentBytes)
            if baseline == nil && clock.now >= warmedUp && wake != end { baseline = metrics }
            if wake == report {
                let tallies = loads.map { $0.tally() }
                output(line(elapsed: clock.now - start, interval: clock.now - lastReport, tallies: tallies,
                            previous: previous, metrics: metrics))
                previous = tallies
                lastReport = clock.now
                reports += 1
            }
            if wake == end {
                final = metrics
                break
            }
        }
        let elapsed = clock.now - start
        control.stopAll()
        await running.value
        let summary = SoakSummary(options: options, seconds: Double(elapsed.components.seconds),
                                  tallies: loads.map { $0.tally() },
                                  baseline: baseline, final: final, peakResidentBytes: peak)
        for text in summary.lines { output(text) }
        return summary
    }

    private static func seconds(_ value: Double) -> Duration {
        .milliseconds(Int((value * 1000).rounded()))
    }

    private static func line(elapsed: Duration, interval: Duration, tallies: [SoakTally], previous: [SoakTally],
                             metrics: ProcessMetrics) -> String {
        let span = max(0.001, Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        var parts: [String] = []
        for (now, before) in zip(tallies, previous) {
            let rate = Int((Double(now.received - before.received) / span).rounded())
            parts.append("\(now.pattern.rawValue) \(rate) msg/s")
        }
        let lost = tallies.map(\.lost).reduce(0, +)
        let corrupt = tallies.map(\.corrupt).reduce(0, +)
        let drops = tallies.map(\.countedDrops).reduce(0, +)
        let time = "\(elapsed.components.seconds) s"
        return "[\(String(repeating: " ", count: max(0, 6 - time.count)))\(time)] " + parts.joined(separator: "  ")
            + " | lost \(lost)  corrupt \(corrupt)  counted drops \(drops)"
            + " | rss \(SoakSummary.format(metrics.residentMiB)) MiB"
            + "  fds \(metrics.openFiles)"
    }
}
