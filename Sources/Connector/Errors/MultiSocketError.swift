/// The one error type thrown by MultiSocket operations.
///
/// Each error has a ``code`` that says what went wrong and a human-readable ``context`` that says where.
/// Cancellation is reported with Swift's `CancellationError`, not with this type.
public struct MultiSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The socket, pipe, dialer or listener is closed.
        case closed
        /// An operation did not complete within its deadline.
        case timedOut
        /// The first id of a destination path names no live pipe.
        case brokenPath
        /// A best-effort send found its queue full; the message was not sent.
        case messageDropped
        /// A message is larger than the frame format or the configured limit allows.
        case messageTooLarge
        /// The address could not be parsed or resolved, or names something that is not a socket.
        case badAddress
        /// The address scheme names no known transport.
        case unsupportedScheme
        /// The address is already bound, or a dialer for it is already active.
        case addressInUse
        /// Nobody is listening at the address.
        case connectionRefused
        /// The peer speaks an incompatible protocol.
        case protocolMismatch
        /// The socket's strategy does not allow this operation (for example receiving on a send-only socket).
        case notSupported
        /// An operating-system call failed in a way that has no more specific code.
        case systemError
        /// No peer took the message before its deadline: it was never sent (for example a `Req` request
        /// timing out with no replier connected). `timedOut` means it was sent and nothing came back.
        case noPeer
        /// The peer's handler failed on the request; the context holds the error it reported (for example a
        /// `Rep` whose `serve` handler threw).
        case handlerFailed
        /// The peer accepted the connection and then refused it (its pipe veto); the context holds the
        /// reason it gave.
        case refusedByPeer
    }

    /// What went wrong.
    public let code: Code
    /// Where and why, for people reading logs.
    public let context: String

    /// Creates an error with a code and a context string.
    public init(_ code: Code, _ context: String = "") {
        self.code = code
        self.context = context
    }

    /// The code, followed by the context when there is one.
    public var description: String {
        context.isEmpty ? "MultiSocketError.\(code.rawValue)" : "MultiSocketError.\(code.rawValue): \(context)"
    }

    /// Errors compare equal when their codes are equal; the context is informational.
    public static func == (lhs: MultiSocketError, rhs: MultiSocketError) -> Bool {
        lhs.code == rhs.code
    }
}
