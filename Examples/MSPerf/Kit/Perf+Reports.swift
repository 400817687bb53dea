import Glibc

/// The output lines, in libzmq's perf tools' format, written without Foundation.
extension Perf {
    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    /// `value` with `digits` decimals, as `printf("%.*f")` writes it.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            _ = withVaList([Int32(digits), value]) { vsnprintf(buffer.baseAddress, buffer.count, "%.*f", $0) }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// The latency lines of `roundtrips` round trips, of which all but the warm-up took `elapsed`.
    static func latencyReport(size: Int, roundtrips: Int, elapsed: Duration) -> String {
        let total = seconds(elapsed)
        let timed = max(roundtrips - warmup(roundtrips), 1)
        return """
            message size: \(size) [B]
            roundtrip count: \(roundtrips)
            average latency: \(fixed(total * 1e6 / Double(2 * timed), 3)) [us]
            total time: \(fixed(total, 3)) [s]
            """
    }

    static func throughputReport(size: Int, count: Int, elapsed: Duration) -> String {
        let total = max(seconds(elapsed), 1e-9)
        let rate = Double(count) / total
        return """
            message size: \(size) [B]
            message count: \(count)
            mean throughput: \(Int(rate)) [msg/s]
            mean throughput: \(fixed(rate * Double(size) * 8 / 1e6, 3)) [Mb/s]
            total time: \(fixed(total, 3)) [s]
            """
    }

    /// The lines of a many-connection run: requests per second and round-trip (not one-way) percentiles.
    static func manyReport(size: Int, connections: Int, result: ManyResult) -> String {
        let total = max(seconds(result.elapsed), 1e-9)
        return """
            message size: \(size) [B]
            connections: \(connections)
            request count: \(result.requests)
            mean throughput: \(Int(Double(result.requests) / total)) [req/s]
            p50 round-trip latency: \(fixed(seconds(result.percentile(50)) * 1e6, 1)) [us]
            p99 round-trip latency: \(fixed(seconds(result.percentile(99)) * 1e6, 1)) [us]
            total time: \(fixed(total, 3)) [s]
            """
    }
}
