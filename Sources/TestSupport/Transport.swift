import Glibc
import Synchronization

/// The transports every conformance test runs over.
public enum Transport: String, Sendable, CaseIterable, CustomStringConvertible {
    /// In-process.
    case inproc
    /// Unix-domain sockets.
    case ipc
    /// TCP on loopback.
    case tcp
    /// WebSocket on loopback.
    case ws

    private static let counter = Atomic(0)

    /// A listen address unique to this process and call: a fresh inproc name, a fresh ipc path under
    /// the temporary directory, tcp port 0 on loopback, or a fresh ws path on port 0 on loopback.
    public func uniqueAddress(_ label: String = "t") -> String {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        switch self {
        case .inproc: return "inproc://\(label)-\(getpid())-\(number)"
        case .ipc: return "ipc:///tmp/ms-\(label.prefix(20))-\(getpid())-\(number).sock"
        case .tcp: return "tcp://127.0.0.1:0"
        case .ws: return "ws://127.0.0.1:0/\(label)-\(getpid())-\(number)"
        }
    }

    /// The transport's name.
    public var description: String { rawValue }
}
