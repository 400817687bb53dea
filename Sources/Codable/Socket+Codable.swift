/// Codable values as message content on a raw ``/MultiSocket/Socket``.
///
/// The labels say which conversion happens: `send(_:)` with a `String` sends its UTF-8 and with `[UInt8]` its
/// bytes, never JSON; `send(encoding:)` encodes any `Encodable` — a `String` too — with the coder. The calls run
/// on the caller's task; the coder runs there before the send (or after the receive).
extension Socket {
    /// Encodes `value` with `coder` (JSON by default) and sends it as `send(_: [UInt8])` sends bytes.
    /// Cancellation: as `send(_: [UInt8])`.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `send(_: [UInt8])`.
    public func send<Value: Encodable>(encoding value: Value,
                                       coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await send(coder.content(of: value))
    }

    /// Encodes `value` with `coder` and sends it along `path`, as `sendTo(_: MessagePath, _: [UInt8])`.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `sendTo(_: MessagePath, _: [UInt8])`.
    public func sendTo<Value: Encodable>(_ path: MessagePath, encoding value: Value,
                                         coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await sendTo(path, coder.content(of: value))
    }

    /// Receives the next message, as `receive()`, and decodes its content as a `type` with `coder`.
    ///
    /// A message that does not decode is consumed: it is in the thrown error (``ContentCodingError/message``),
    /// and the next call receives the next message. Cancellation: as `receive()`.
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the message); as `receive()`.
    public func receive<Value: Decodable>(decoding type: Value.Type,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws -> Value {
        try await receive().decode(type, coder: coder)
    }

    /// As ``receive(decoding:coder:)``, waiting at most `timeout` (as `receive(timeout:)`).
    /// - Throws: ``ContentCodingError`` (`decoding`); as `receive(timeout:)` (`timedOut`, `closed`, …).
    public func receive<Value: Decodable>(decoding type: Value.Type, timeout: Duration,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws -> Value {
        try await receive(timeout: timeout).decode(type, coder: coder)
    }
}
