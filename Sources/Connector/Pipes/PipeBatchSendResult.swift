/// The outcome of handing a batch of messages to a pipe (``PipeLink/send(batch:)``).
package struct PipeBatchSendResult: Sendable {
    /// Whether the pipe can take more after the batch.
    package enum Room: Sendable {
        /// It has room for more.
        case available
        /// Its outbound queue is at capacity; ``PipeDelegate/pipeDrained(_:)`` follows.
        case full
        /// It is closed.
        case closed
    }

    /// Messages taken.
    package var sent = 0
    /// Content bytes of the messages taken.
    package var bytes = 0
    /// Messages that could not be encoded, dropped (and removed from the batch).
    package var unencodable = 0
    /// What the pipe can take now.
    package var room = Room.available

    package init() {}
}
