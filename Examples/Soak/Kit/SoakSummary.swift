/// The outcome of a soak run: every pattern's tally, the process's memory and descriptors at the
/// warm-up baseline and at the end of the load, and the verdict.
public struct SoakSummary: Sendable {
    /// The run's settings.
    public var options: SoakOptions
    /// Seconds the load ran (until the stop; draining and closing come after).
    public var seconds: Double
    /// One tally per pattern, in the order of ``SoakOptions/patterns``.
    public var tallies: [SoakTally]
    /// The process after the warm-up, or `nil` if the run ended first.
    public var baseline: ProcessMetrics?
    /// The process at the end of the load, before anything closed.
    public var final: ProcessMetrics
    /// The highest resident memory seen at any sample, in bytes.
    public var peakResidentBytes: Int

    /// Creates a summary.
    public init(options: SoakOptions, seconds: Double, tallies: [SoakTally], baseline: ProcessMetrics?,
                final: ProcessMetrics, peakResidentBytes: Int) {
        self.options = options
        self.seconds = seconds
        self.tallies = tallies
        self.baseline = baseline
        self.final = final
        self.peakResidentBytes = peakResidentBytes
    }

    /// Resident memory gained between the baseline and the end, in MiB (0 without a baseline).
    public var residentGrowthMiB: Double {
        baseline.map { final.residentMiB - $0.residentMiB } ?? 0
    }

    /// Descriptors gained between the baseline and the end (0 without a baseline).
    public var openFilesGrowth: Int {
        baseline.map { final.openFiles - $0.openFiles } ?? 0
    }

    /// Why the run failed; empty when it passed.
    public var failures: [String] {
        var failures: [String] = []
        for tally in tallies {
            if tally.lost > 0 { failures.append("\(tally.pattern): \(tally.lost) lost") }
            if tally.corrupt > 0 { failures.append("\(tally.pattern): \(tally.corrupt) corrupt") }
            if tally.errors > 0 { failures.append("\(tally.pattern): \(tally.errors) socket errors") }
            if tally.received == 0 { failures.append("\(tally.pattern): nothing received") }
        }
        if residentGrowthMiB > options.rssToleranceMiB {
            failures.append("resident memory grew \(Self.format(residentGrowthMiB)) MiB after the warm-up "
                            + "(tolerance \(Self.format(options.rssToleranceMiB)) MiB)")
        }
        if openFilesGrowth > options.fdTolerance {
            failures.append("open descriptors grew by \(openFilesGrowth) after the warm-up "
                            + "(tolerance \(options.fdTolerance))")
        }
        return failures
    }

    /// Whether nothing was lost or corrupt, no socket failed, and memory and descriptors stayed within
    /// their tolerances.
    public var passed: Bool { failures.isEmpty }

    /// The summary as text lines.
    public var lines: [String] {
        var lines = ["summary: \(Self.format(seconds)) s, \(options.peers) peers per pattern, "
                     + "\(options.size)-byte payloads, "
                     + "churn \(options.churn)/s per pattern"]
        for tally in tallies {
            let name = tally.pattern.rawValue
            var line = "  \(name)\(String(repeating: " ", count: max(1, 10 - name.count)))"
                + "sent \(tally.sent), received \(tally.received), lost \(tally.lost), corrupt \(tally.corrupt)"
            if tally.pattern == .pubsub {
                line += ", missing \(tally.missing), counted best-effort drops \(tally.countedDrops)"
            }
            line += ", errors \(tally.errors), clients \(tally.clients)"
            lines.append(line)
        }
        if let baseline {
            lines.append("  rss: \(Self.format(baseline.residentMiB)) MiB after the warm-up "
                         + "(\(Self.format(options.effectiveWarmup)) s), "
                         + "\(Self.format(final.residentMiB)) MiB at the end, "
                         + "growth \(Self.format(residentGrowthMiB)) MiB "
                         + "(tolerance \(Self.format(options.rssToleranceMiB)) MiB), "
                         + "peak \(Self.format(Double(peakResidentBytes) / 1_048_576)) MiB")
            lines.append("  fds: \(baseline.openFiles) after the warm-up, \(final.openFiles) at the end "
                         + "(tolerance +\(options.fdTolerance))")
        } else {
            lines.append("  rss: \(Self.format(final.residentMiB)) MiB at the end; "
                         + "no growth check (the run was shorter "
                         + "than the \(Self.format(options.effectiveWarmup)) s warm-up)")
            lines.append("  fds: \(final.openFiles) at the end")
        }
        lines.append(passed ? "result: PASS" : "result: FAIL: " + failures.joined(separator: "; "))
        return lines
    }

    /// `value` with one decimal.
    static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let sign = tenths < 0 ? "-" : ""
        let magnitude = Int(abs(tenths))
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}
