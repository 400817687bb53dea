/// A named one-way message received from a peer.
public struct TalkNotification: Sendable {
    /// Its name.
    public let name: String
    /// Its payload.
    public let payload: [UInt8]
    /// The path back to the peer that sent it (for ``Talk/call(_:_:options:)`` or ``Talk/notify(_:_:to:)``).
    public let peer: MessagePath
    let coder: any TalkCoder

    /// The payload decoded as `type` with the peer's coder.
    /// - Throws: ``TalkError`` `badPayload`.
    public func decode<Value: Decodable>(_ type: Value.Type = Value.self) throws(TalkError) -> Value {
        try TalkCoding.decode(type, payload, with: coder)
    }
}
