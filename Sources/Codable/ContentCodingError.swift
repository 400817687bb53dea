/// A value that could not be encoded into message content, or content that does not decode as the type asked
/// for. Thrown by the Codable calls of this module; never a crash.
///
/// A decoding failure keeps what was received — the ``content`` bytes and, where there was one, the whole
/// ``message`` (its source path included) — so the receiver can still look at it, log it, or answer it.
public struct ContentCodingError: Error, Sendable, CustomStringConvertible {
    /// Which way the coding failed.
    public enum Direction: String, Sendable, Hashable {
        /// A value could not be encoded; nothing was sent.
        case encoding
        /// Received content does not decode; it was consumed from the socket and is kept here.
        case decoding
    }

    /// Which way the coding failed.
    public let direction: Direction
    /// The name of the type being encoded or decoded, for example `"Order"` or `"Array<Int>"`.
    public let typeName: String
    /// The content that did not decode (empty for an encoding failure).
    public let content: [UInt8]
    /// The received message whose content did not decode, when the call received a whole message (`nil` for
    /// an encoding failure and for a reply or answer body, whose envelope the role consumed).
    public let message: Message?
    /// The coder's own error, as text.
    public let reason: String

    /// Creates an error; the Codable calls do this, and so may a role or coder written elsewhere.
    public init(_ direction: Direction, typeName: String, content: [UInt8] = [], message: Message? = nil,
                reason: String) {
        self.direction = direction
        self.typeName = typeName
        self.content = content
        self.message = message
        self.reason = reason
    }

    /// `cannot decode Order from 12 bytes: …`, `cannot encode Order: …`.
    public var description: String {
        switch direction {
        case .encoding: "cannot encode \(typeName): \(reason)"
        case .decoding: "cannot decode \(typeName) from \(content.count) bytes: \(reason)"
        }
    }
}
