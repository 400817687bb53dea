/// What went wrong with a stream, a listener or a connect, as chanstream names it.
///
/// ``isTemporary`` says whether trying again may succeed (a timeout, a full listen queue); the others end
/// what they happened to.
public struct StreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        /// No listener has that name on the endpoint the connect reached.
        case connectionRefused
        /// A listener with that name already exists on this endpoint.
        case addressInUse
        /// `accept(timeout:)` found no stream in time. Temporary.
        case acceptTimeout
        /// The listener's queue of streams not yet accepted was full. Temporary.
        case listenQueueFull
        /// The connect was not acknowledged in time. Temporary.
        case connectionTimedOut
        /// A read passed its deadline; the stream is still usable. Temporary.
        case readTimeout
        /// A write passed its deadline (the peer gave no credit); the stream is still usable. Temporary.
        case writeTimeout
        /// The stream, listener or endpoint was closed here, or the peer closed the stream.
        case connectionClosed
        /// The peer reset the stream, its link went away, or it broke the protocol.
        case connectionReset
        /// The peer answered none of the keep-alive probes.
        case keepAliveTimeout
        /// A name or option that cannot be used (too long a listener name).
        case invalidArgument
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for logs.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the same operation may succeed if tried again: timeouts and a full listen queue.
    public var isTemporary: Bool {
        switch code {
        case .acceptTimeout, .listenQueueFull, .connectionTimedOut, .readTimeout, .writeTimeout: true
        default: false
        }
    }

    /// Errors are equal when their codes are (the message is for people).
    public static func == (lhs: StreamError, rhs: StreamError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Creates an error with a code only (for comparisons: `#expect(throws: StreamError(.readTimeout))`).
    public init(_ code: Code) { self.init(code, "\(code)") }

    /// The code and the message.
    public var description: String { "\(code): \(message)" }
}
