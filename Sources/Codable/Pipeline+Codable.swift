/// Codable values on a pipeline (push/pull).
extension Push {
    /// Encodes `value` with `coder` (JSON by default) and pushes it, as `send(_: [UInt8])`.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `send(_: [UInt8])`.
    public func send<Value: Encodable>(encoding value: Value,
                                       coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await send(coder.content(of: value))
    }
}

extension Pull {
    /// Receives the next message, as `receive()`, decoded as a `type` with `coder`. A message that does not
    /// decode is consumed and kept in the error. Cancellation: as `receive()`.
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the message); as `receive()`.
    public func receive<Value: Decodable>(decoding type: Value.Type,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws -> Value {
        try await receive().decode(type, coder: coder)
    }
}
