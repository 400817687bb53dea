/// Codable values on publish/subscribe. A subscription matches the encoded bytes (for JSON, subscribe to
/// nothing or to a prefix of the encoding such as `{"kind":"price"`).
extension Pub {
    /// Encodes `value` with `coder` (JSON by default) and publishes it, as `publish(_: [UInt8])`.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `publish(_: [UInt8])`.
    public func publish<Value: Encodable>(encoding value: Value,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await publish(coder.content(of: value))
    }
}

extension Sub {
    /// Receives the next matching message, as `receive()`, decoded as a `type` with `coder`. A message that
    /// does not decode is consumed and kept in the error. Cancellation: as `receive()`.
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the message); as `receive()`.
    public func receive<Value: Decodable>(decoding type: Value.Type,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws -> Value {
        try await receive().decode(type, coder: coder)
    }
}
