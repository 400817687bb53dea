/// What a ``Talk`` peer dropped or refused, for monitoring (``Talk/statistics``).
public struct TalkStatistics: Sendable, Hashable {
    /// Messages that were not well-formed Talk frames (dropped).
    public var malformedFrames = 0
    /// Frames for calls or streams no longer known (late replies after a timeout or cancellation; dropped).
    public var lateFrames = 0
    /// Notifications with no handler (dropped).
    public var unhandledNotifications = 0
    /// Streams ended because the peer broke the protocol (parts beyond its credit).
    public var protocolViolations = 0
    /// Calls and streams answered ``TalkError/Code/retry`` because a per-connection limit was reached.
    public var limitedCalls = 0
    /// Frames of another Talk version answered with a version mismatch.
    public var versionMismatches = 0
    /// Control frames (cancel, retry, hello …) dropped because the peer's pipe was full. Stream credit is
    /// never dropped: see ``delayedControlFrames``.
    public var droppedControlFrames = 0
    /// Stream credits that found the peer's pipe full on the receive loop and went out later, once it had
    /// room (a dropped credit would stall the peer's writer for good).
    public var delayedControlFrames = 0
    /// Pipes closed because their peer stopped heartbeating.
    public var deadPeers = 0
}
