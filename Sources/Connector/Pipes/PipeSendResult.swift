/// The outcome of handing a message to a pipe.
package enum PipeSendResult: Sendable, Equatable {
    /// Taken. `idle` says whether the pipe's outbound queue is empty again; when it is not, the pipe
    /// reports ``PipeDelegate/pipeDrained(_:)`` once it is.
    case accepted(idle: Bool)
    /// The outbound queue is at capacity; nothing was taken. ``PipeDelegate/pipeDrained(_:)`` follows.
    case full
    /// The pipe is closed; nothing was taken.
    case closed
    /// The message cannot be encoded (a path or content too large); nothing was taken.
    case unencodable(MultiSocketError)
}
