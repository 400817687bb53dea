#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The default ``TalkCoder``: JSON (UTF-8), as the JavaScript client expects. Stateless; any thread.
public struct JSONTalkCoder: TalkCoder {
    /// Creates the coder.
    public init() {}

    /// The JSON bytes of `value`.
    /// - Throws: `EncodingError`.
    public func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    /// The value whose JSON is `bytes`.
    /// - Throws: `DecodingError`.
    public func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
