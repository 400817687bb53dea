/// Codable payloads through a ``TalkCoder``, with its errors made ``TalkError`` `badPayload`.
enum TalkCoding {
    static func encode<Value: Encodable>(_ value: Value, with coder: any TalkCoder) throws(TalkError) -> [UInt8] {
        do {
            return try coder.encode(value)
        } catch {
            throw TalkError(.badPayload, "cannot encode \(Value.self): \(error)")
        }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ bytes: [UInt8],
                                         with coder: any TalkCoder) throws(TalkError) -> Value {
        do {
            return try coder.decode(type, from: bytes)
        } catch {
            throw TalkError(.badPayload, "cannot decode \(Value.self): \(error)")
        }
    }
}
