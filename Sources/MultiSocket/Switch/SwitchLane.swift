@_spi(Internals) import MultiSocketConnector

/// One lane of a ``Switch`` direction with concurrent routing: a bounded queue between the direction's
/// receiving loop (the one producer) and the lane's router task (the one consumer). Messages of one source
/// always take the same lane, so they are routed in the order they arrived.
///
/// Shared state sits behind a lock as a small state machine; continuations are resumed outside it. The
/// producer suspends while the lane is full, which holds the switch's receiving back (and so, through the
/// receive queue, the peers): back-pressure instead of an unbounded backlog.
final class SwitchLane: Sendable {
    private struct State {
        var items = Ring<Message>()
        var closed = false
        var consumer: UnsafeContinuation<Message?, Never>?
        var producer: UnsafeContinuation<Void, Never>?
    }

    private let capacity: Int
    private let state = Locked(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Hands `message` to the lane, waiting while it is full. Returns `false`, not taking it, once the lane is
    /// closed. Not cancellable (the consumer keeps taking until the lane is closed, and closing wakes a
    /// waiting producer). Producer's task only.
    func push(_ message: Message) async -> Bool {
        enum Action {
            case handed(UnsafeContinuation<Message?, Never>)
            case queued
            case full
            case closed
        }
        while true {
            let action = state.withLock { state -> Action in
                if state.closed { return .closed }
                if let consumer = state.consumer.take() { return .handed(consumer) }
                if state.items.count < capacity {
                    state.items.append(message)
                    return .queued
                }
                return .full
            }
            switch action {
            case .handed(let consumer):
                consumer.resume(returning: message)
                return true
            case .queued:
                return true
            case .closed:
                return false
            case .full:
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    let wait = state.withLock { state -> Bool in
                        guard state.items.count >= capacity, !state.closed else { return false }
                        state.producer = continuation
                        return true
                    }
                    if !wait { continuation.resume() }
                }
            }
        }
    }

    /// The next message, or `nil` once the lane is closed and empty. Consumer's task only.
    func pop() async -> Message? {
        enum Action {
            case message(Message, wake: UnsafeContinuation<Void, Never>?)
            case end
            case wait
        }
        let action = state.withLock { state -> Action in
            if let message = state.items.popFirst() { return .message(message, wake: state.producer.take()) }
            return state.closed ? .end : .wait
        }
        switch action {
        case .message(let message, let wake):
            wake?.resume()
            return message
        case .end:
            return nil
        case .wait:
            return await withUnsafeContinuation { (continuation: UnsafeContinuation<Message?, Never>) in
                enum Now {
                    case message(Message, wake: UnsafeContinuation<Void, Never>?)
                    case end
                    case waiting
                }
                let now = state.withLock { state -> Now in
                    if let message = state.items.popFirst() { return .message(message, wake: state.producer.take()) }
                    if state.closed { return .end }
                    state.consumer = continuation
                    return .waiting
                }
                switch now {
                case .message(let message, let wake):
                    wake?.resume()
                    continuation.resume(returning: message)
                case .end:
                    continuation.resume(returning: nil)
                case .waiting:
                    break
                }
            }
        }
    }

    /// No more messages: the consumer finishes what is queued, then gets `nil`; a waiting producer is woken
    /// and its message refused. Idempotent; any thread.
    func close() {
        let (consumer, producer) = state.withLock { state in
            state.closed = true
            return (state.items.isEmpty ? state.consumer.take() : nil, state.producer.take())
        }
        consumer?.resume(returning: nil)
        producer?.resume()
    }
}
