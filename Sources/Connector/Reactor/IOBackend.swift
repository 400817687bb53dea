import Glibc

/// How a ``Reactor`` waits for readiness. A public enum that may gain cases (kqueue): `switch` with a
/// `default`.
public enum IOBackend: String, Sendable, CaseIterable {
    /// Linux's edge-triggered `epoll`: the default, O(ready descriptors) per turn.
    case epoll
    /// POSIX `poll(2)`, level-triggered, with edges emulated from handlers' hints
    /// (``Reactor/awaitWritable(_:)``, ``Reactor/setReadInterest(_:_:)``): the portable fallback, O(all
    /// descriptors) per turn. Selectable on Linux so that the portable path is tested here.
    case poll

    /// The backend new reactor groups use unless told otherwise: `MULTISOCKET_IO_BACKEND` (`epoll` or
    /// `poll`) when set to one of them, else ``epoll``. Read once per process; any thread.
    public static let `default`: IOBackend = {
        guard let value = getenv("MULTISOCKET_IO_BACKEND") else { return .epoll }
        return IOBackend(rawValue: String(cString: value).lowercased()) ?? .epoll
    }()
}
