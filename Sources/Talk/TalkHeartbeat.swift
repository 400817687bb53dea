/// A heartbeat (or the hello that opens a link) heard from a directly connected Talk peer.
public struct TalkHeartbeat: Sendable, Hashable {
    /// The pipe it came in on.
    public let pipeID: UInt32
    /// The peer's load, 0 (idle) … 1 (saturated).
    public let load: Double
    /// The peer's heartbeat interval.
    public let interval: Duration
    /// Whether this is the hello that opened the link.
    public let isHello: Bool
}
