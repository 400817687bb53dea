import Synchronization
@_spi(Internals) import MultiSocketConnector

/// Fans socket events out to every open ``Socket/events()`` sequence. Yields happen outside the lock.
final class EventHub: Sendable {
    private struct State {
        var finished = false
        var next: UInt64 = 0
        var subscribers: [UInt64: AsyncStream<SocketEvent>.Continuation] = [:]
    }

    private let state = Locked(State())
    private let subscriberCount = Atomic(0)

    func subscribe() -> AsyncStream<SocketEvent> {
        let (stream, continuation) = AsyncStream<SocketEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = state.withLock { state -> UInt64? in
            if state.finished { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        subscriberCount.add(1, ordering: .relaxed)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            if state.withLock({ $0.subscribers.removeValue(forKey: id) }) != nil {
                subscriberCount.subtract(1, ordering: .relaxed)
            }
        }
        return stream
    }

    func emit(_ event: @autoclosure () -> SocketEvent) {
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let event = event()
        for continuation in state.withLock({ Array($0.subscribers.values) }) { continuation.yield(event) }
    }

    func finish() {
        let all = state.withLock { state in
            state.finished = true
            subscriberCount.store(0, ordering: .relaxed)
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}
