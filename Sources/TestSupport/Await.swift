import Foundation
import Glibc
import MultiSocket
import Synchronization

/// Waits on socket events instead of sleeping.
public enum Await {
    /// Returns once `condition` holds for `socket`'s statistics, re-checking after each event the socket
    /// reports. Throws ``TimeoutError`` after `timeout` seconds (the condition must change together with an
    /// event: pipes, rejected frames, drops).
    public static func statistics(
        _ socket: Socket,
        _ what: String,
        timeout: Double = 20,
        _ condition: @escaping @Sendable (SocketStatistics) -> Bool
    ) async throws {
        let events = socket.events()
        if condition(socket.statistics) { return }
        try await withTimeout(timeout, what) {
            for await _ in events where condition(socket.statistics) { return }
            if !condition(socket.statistics) { throw TimeoutError(what: "\(what) (event stream ended)", seconds: 0) }
        }
    }

    /// Returns the first event in `events` for which `match` returns a value. Throws ``TimeoutError``
    /// after `timeout` seconds or if the stream ends first.
    public static func event<T: Sendable>(
        _ events: AsyncStream<SocketEvent>,
        _ what: String,
        timeout: Double = 20,
        _ match: @escaping @Sendable (SocketEvent) -> T?
    ) async throws -> T {
        try await withTimeout(timeout, what) {
            for await event in events {
                if let found = match(event) { return found }
            }
            throw TimeoutError(what: "\(what) (event stream ended)", seconds: 0)
        }
    }

    /// Counts events in `events` matching `match` until there are `count` of them.
    public static func events(
        _ events: AsyncStream<SocketEvent>,
        count: Int,
        _ what: String,
        timeout: Double = 20,
        _ match: @escaping @Sendable (SocketEvent) -> Bool
    ) async throws {
        guard count > 0 else { return }
        try await withTimeout(timeout, what) {
            var seen = 0
            for await event in events where match(event) {
                seen += 1
                if seen >= count { return }
            }
            throw TimeoutError(what: "\(what) (event stream ended after \(seen))", seconds: 0)
        }
    }
}
