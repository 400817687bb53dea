/// What one ``ByteStream/read(into:)`` did.
public enum ByteStreamRead: Equatable, Sendable {
    /// This many bytes (at least 1) were stored at the start of the buffer.
    case bytes(Int)
    /// Nothing can be read now; the next readiness event of the stream's descriptor says when to try again.
    case wouldBlock
    /// The peer ended the stream in order: nothing more will arrive.
    case end
    /// The stream broke: nothing more will arrive.
    case failed(ByteStreamError)
}
