/// A call received by a handler: the operation, its payload, and the way back to the caller.
///
/// Through ``call(_:_:timeout:)`` and ``notify(_:_:)`` a handler can call back the very peer that called it
/// while it answers (the page a server is answering, through any switches on the way).
public struct TalkRequest: Sendable {
    /// The operation called.
    public let operation: String
    /// The payload (empty for a stream opened with none).
    public let payload: [UInt8]
    /// The path back to the caller.
    public let peer: MessagePath
    /// The Talk peer handling it.
    public let talk: Talk

    /// The payload decoded as `type` with the configured coder.
    /// - Throws: ``TalkError`` `badPayload`.
    public func decode<Value: Decodable>(_ type: Value.Type = Value.self) throws(TalkError) -> Value {
        try TalkCoding.decode(type, payload, with: talk.configuration.coder)
    }

    /// Calls `operation` on the caller of this request and returns its result. As ``Talk/call(_:_:options:)``.
    /// - Throws: as ``Talk/call(_:_:options:)``.
    public func call(_ operation: String, _ payload: [UInt8], timeout: Duration? = nil) async throws -> [UInt8] {
        try await talk.call(operation, payload, options: TalkCallOptions(to: peer, timeout: timeout))
    }

    /// Sends the notification `name` to the caller of this request. As ``Talk/notify(_:_:to:)``.
    /// - Throws: as ``Talk/notify(_:_:to:)``.
    public func notify(_ name: String, _ payload: [UInt8]) async throws {
        try await talk.notify(name, payload, to: peer)
    }
}
