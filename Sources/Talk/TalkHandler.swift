/// A registered handler: for single calls, or for streams.
enum TalkHandler: Sendable {
    case unary(@Sendable (TalkRequest) async throws -> [UInt8])
    case stream(@Sendable (TalkStream, TalkRequest) async throws -> Void)
}
