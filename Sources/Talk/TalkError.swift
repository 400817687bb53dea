/// What a Talk call, stream or notification can fail with: each outcome other than a result is its own
/// code, thrown at once when the peer says so (never turned into a timeout).
///
/// A handler may throw ``retry(after:_:)`` itself to say it is overloaded; any other error a handler throws
/// reaches the caller as ``Code/handlerFailed`` with the error's text.
public struct TalkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The peer has no handler of that name.
        case unknownOperation
        /// The peer's handler threw; ``TalkError/message`` is its text.
        case handlerFailed
        /// The peer is overloaded (a handler said so, or a per-connection limit was reached): try again
        /// after ``TalkError/retryAfter``.
        case retry
        /// The peer speaks another Talk version; the link is refused.
        case versionMismatch
        /// The pipe the call went out on was removed (closed, lost, or silent past the heartbeat limit).
        case peerLost
        /// No reply, part or credit within the read timeout.
        case timedOut
        /// A payload could not be encoded or decoded (a `Codable` value, an over-long name, an over-large part).
        case badPayload
        /// The peer broke the Talk protocol (for example it sent parts beyond its credit).
        case protocolViolation
        /// The other side cancelled the stream or call.
        case cancelled
        /// The Talk peer is closed (or its ``Talk/run()`` ended).
        case closed
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for people.
    public let message: String
    /// For ``Code/retry``: how long the peer asked to wait.
    public let retryAfter: Duration?

    /// Creates an error.
    public init(_ code: Code, _ message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// What a handler throws to say it is overloaded: the caller gets ``Code/retry`` with `delay` (and may
    /// retry automatically, see ``TalkCallOptions/retries``).
    public static func retry(after delay: Duration, _ reason: String = "overloaded") -> TalkError {
        TalkError(.retry, reason, retryAfter: delay)
    }

    /// The code and message.
    public var description: String {
        if let retryAfter { return "talk \(code.rawValue) (after \(retryAfter)): \(message)" }
        return "talk \(code.rawValue): \(message)"
    }
}
