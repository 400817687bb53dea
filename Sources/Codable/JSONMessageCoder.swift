#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The default ``MessageCoder``: JSON in UTF-8 (what the browser client `multisocket.js` and most other
/// languages read). Stateless: a new encoder or decoder per call, any thread, nothing shared.
public struct JSONMessageCoder: MessageCoder {
    /// Creates the coder.
    public init() {}

    /// The JSON bytes of `value`.
    /// - Throws: `EncodingError` (for example a non-finite floating-point number).
    public func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    /// The value whose JSON is `bytes`.
    /// - Throws: `DecodingError` (not JSON, or JSON of another shape).
    public func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
