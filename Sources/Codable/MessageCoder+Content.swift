/// The two conversions every Codable call makes, with the coder's errors made ``ContentCodingError``.
/// Pure functions; any thread.
extension MessageCoder {
    /// The content for `value`.
    /// - Throws: ``ContentCodingError`` (`encoding`).
    public func content<Value: Encodable>(of value: Value) throws -> [UInt8] {
        do {
            return try encode(value)
        } catch {
            throw ContentCodingError(.encoding, typeName: String(describing: Value.self), reason: "\(error)")
        }
    }

    /// The value `content` encodes; `message` (the message it came in, if any) is kept in the error.
    /// - Throws: ``ContentCodingError`` (`decoding`), holding `content` and `message`.
    public func value<Value: Decodable>(_ type: Value.Type, from content: [UInt8],
                                        in message: Message? = nil) throws -> Value {
        do {
            return try decode(type, from: content)
        } catch {
            throw ContentCodingError(.decoding, typeName: String(describing: Value.self), content: content,
                                     message: message, reason: "\(error)")
        }
    }
}

extension Message {
    /// The content decoded as a `type` (JSON unless `coder` says otherwise).
    /// - Throws: ``ContentCodingError`` (`decoding`), which keeps this message.
    public func decode<Value: Decodable>(_ type: Value.Type,
                                         coder: some MessageCoder = JSONMessageCoder()) throws -> Value {
        try coder.value(type, from: content, in: self)
    }
}
