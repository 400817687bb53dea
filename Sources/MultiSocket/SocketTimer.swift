/// A job scheduled with ``Socket/schedule(after:_:)``, to cancel with ``Socket/cancel(_:)``.
public struct SocketTimer: Sendable, Hashable {
    let id: UInt64
}
