/// How Talk turns `Codable` values into payload bytes and back. ``JSONTalkCoder`` is the default; give
/// another in ``TalkConfiguration/coder`` (both peers must agree). Called on the calling task's thread.
public protocol TalkCoder: Sendable {
    /// The bytes of `value`.
    /// - Throws: whatever the encoder throws; Talk reports it as ``TalkError/Code/badPayload``.
    func encode<Value: Encodable>(_ value: Value) throws -> [UInt8]
    /// The value encoded in `bytes`.
    /// - Throws: whatever the decoder throws; Talk reports it as ``TalkError/Code/badPayload``.
    func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value
}
