@_spi(Internals) @testable import MultiSocketConnector

/// A pipe delegate that accepts everything and reports what the link did as an async sequence.
final class LinkEventCollector: PipeDelegate {
    enum Event: Sendable {
        case message(Message)
        case rejected(FrameError)
        case stoppedSending
        case closed
    }

    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// What `start`'s `onClose` should be.
    var onClose: @Sendable () -> Void {
        { [continuation] in continuation.yield(.closed) }
    }

    func pipe(_ pipeID: UInt32, received message: Message) -> Bool {
        continuation.yield(.message(message))
        return true
    }

    func pipe(_ pipeID: UInt32, received messages: inout Ring<Message>) -> Bool {
        while let message = messages.popFirst() { continuation.yield(.message(message)) }
        return true
    }

    func pipeDrained(_ pipeID: UInt32) {}

    func pipeStoppedSending(_ pipeID: UInt32) {
        continuation.yield(.stoppedSending)
    }

    func pipe(_ pipeID: UInt32, rejected reason: FrameError) {
        continuation.yield(.rejected(reason))
    }

    /// The contents of the next `count` messages, skipping other events.
    func contents(_ count: Int) async -> [[UInt8]] {
        var contents: [[UInt8]] = []
        for await event in events {
            if case .message(let message) = event { contents.append(message.content) }
            if contents.count == count { break }
        }
        return contents
    }
}
