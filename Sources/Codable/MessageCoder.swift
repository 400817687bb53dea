/// How Codable values become message content and back: ``JSONMessageCoder`` by default; give another (both
/// peers must agree) wherever a `coder:` parameter is taken, or to Talk's `TalkConfiguration.coder`.
///
/// Called on the sending or receiving task's thread; it must not block. A coder throws whatever its format
/// throws; the calls that use it (`send(encoding:)`, `receive(decoding:)`, `Req.request(_:as:)`, …) turn that
/// into a ``ContentCodingError`` naming the type, with the undecodable content kept.
public protocol MessageCoder: Sendable {
    /// The bytes of `value`.
    /// - Throws: whatever the format's encoder throws.
    func encode<Value: Encodable>(_ value: Value) throws -> [UInt8]
    /// The value encoded in `bytes`.
    /// - Throws: whatever the format's decoder throws.
    func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value
}
