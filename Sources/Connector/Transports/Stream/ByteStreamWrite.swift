/// What one ``ByteStream/write(_:)`` did.
public enum ByteStreamWrite: Equatable, Sendable {
    /// The stream took this many bytes (at least 1) from the front of the segments.
    case wrote(Int)
    /// The stream takes nothing now: try again when its descriptor turns writable.
    case wouldBlock
    /// The stream can carry nothing more.
    case failed(ByteStreamError)
}
