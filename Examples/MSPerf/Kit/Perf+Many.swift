import MultiSocket
import MultiSocketProtocols
import Synchronization

/// The many-connection load generator (`remote_many`).
extension Perf {
    /// What a many-connection run measured.
    struct ManyResult: Sendable {
        /// Requests answered.
        var requests: Int
        /// From the first request sent to the last reply received.
        var elapsed: Duration
        /// Every request's round trip, in ascending order.
        var roundTrips: [Duration]

        /// The nearest-rank `percent` percentile of the round trips.
        func percentile(_ percent: Int) -> Duration {
            guard !roundTrips.isEmpty else { return .zero }
            let rank = (roundTrips.count * percent + 99) / 100
            return roundTrips[max(rank, 1) - 1]
        }
    }

    /// Hands out the run's `limit` requests to the clients, one at a time, from any thread.
    private final class Tickets: Sendable {
        private let issued = Atomic(0)
        private let limit: Int

        init(_ limit: Int) { self.limit = limit }

        /// Whether a request is left to send (and claims it).
        func take() -> Bool { issued.wrappingAdd(1, ordering: .relaxed).oldValue < limit }
    }

    /// Dials `connections` ``Req`` sockets to `address`, then keeps one request in flight on each until
    /// `requests` have been answered in all; closes them and returns the figures.
    ///
    /// Each client's loop runs on its own socket's I/O thread (unless `MSPERF_EXECUTOR=pool`), so with
    /// several I/O threads the clients spread over them. Cancellation closes the sockets and throws
    /// `CancellationError`.
    /// - Throws: ``MultiSocketError`` from dialing or a request (`timedOut` after 30 s); ``PerfError`` for a
    ///   reply of the wrong size.
    static func manyClients(_ address: String, size: Int, requests: Int,
                            connections: Int) async throws -> ManyResult {
        let clients = (0..<connections).map { _ in Req(options: socketOptions) }
        do {
            for client in clients { try await client.dial(address) }
            let result = try await load(clients, size: size, requests: requests)
            for client in clients { await client.close() }
            return result
        } catch {
            for client in clients { await client.close() }
            throw error
        }
    }

    private static func load(_ clients: [Req], size: Int, requests: Int) async throws -> ManyResult {
        let content = [UInt8](repeating: 0x78, count: size)
        let tickets = Tickets(requests)
        let clock = ContinuousClock()
        let start = clock.now
        var roundTrips = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for client in clients {
                group.addTask(executorPreference: onIOThread ? client.socket.executor : nil) {
                    var own: [Duration] = []
                    while tickets.take() {
                        let sent = clock.now
                        try check(try await client.request(content, timeout: .seconds(30)).count, size)
                        own.append(clock.now - sent)
                    }
                    return own
                }
            }
            var all: [Duration] = []
            all.reserveCapacity(requests)
            for try await own in group { all += own }
            return all
        }
        let elapsed = clock.now - start
        roundTrips.sort()
        return ManyResult(requests: roundTrips.count, elapsed: elapsed, roundTrips: roundTrips)
    }
}
