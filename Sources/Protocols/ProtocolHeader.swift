/// The 4-byte big-endian id that request/reply and survey messages carry before their body.
enum ProtocolHeader {
    /// The id's bytes.
    static func encode(_ id: UInt32) -> [UInt8] {
        [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
    }

    /// The id and the body after it, or `nil` when `content` is too short to carry an id.
    static func split(_ content: [UInt8]) -> (id: UInt32, body: [UInt8])? {
        guard content.count >= 4 else { return nil }
        let id = content[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (id, Array(content[4...]))
    }
}
