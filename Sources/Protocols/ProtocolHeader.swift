/// The 4-byte big-endian id that request/reply and survey messages carry before their body (``Req``,
/// ``Rep``, ``Surveyor``, ``Respondent``).
///
/// Public so that a protocol role or a ``/MultiSocket/Switch`` middleware written outside the package reads and writes
/// the same header the built-in roles do. Pure functions: any thread, no locks, nothing thrown.
public enum ProtocolHeader {
    /// The header's size in bytes.
    public static let size = 4

    /// The id's bytes, big-endian.
    public static func encode(_ id: UInt32) -> [UInt8] {
        [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
    }

    /// `body` with the id in front: what goes on the wire.
    public static func prepend(_ id: UInt32, to body: [UInt8]) -> [UInt8] {
        var content = [UInt8]()
        content.reserveCapacity(size + body.count)
        content.append(contentsOf: encode(id))
        content.append(contentsOf: body)
        return content
    }

    /// The id and the body after it, or `nil` when `content` is too short to carry an id.
    public static func split(_ content: [UInt8]) -> (id: UInt32, body: [UInt8])? {
        guard content.count >= size else { return nil }
        let id = content[0..<size].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (id, Array(content[size...]))
    }

    /// The id and body of `message`'s content, or `nil` when it is too short to carry an id.
    public static func split(_ message: Message) -> (id: UInt32, body: [UInt8])? {
        split(message.content)
    }
}
