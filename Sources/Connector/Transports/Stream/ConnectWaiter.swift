import Glibc

/// Waits on the reactor for a non-blocking connect to finish.
final class ConnectWaiter: ReactorHandler, @unchecked Sendable {
    private let fd: Int32
    private let reactor: Reactor
    /// Reactor thread only (checked).
    private var completion: ((Int32) -> Void)?

    init(fd: Int32, reactor: Reactor, completion: @escaping @Sendable (Int32) -> Void) {
        self.fd = fd
        self.reactor = reactor
        self.completion = completion
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        guard let completion else { return }
        self.completion = nil
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        reactor.deregister(fd, handler: self)
        completion(error)
    }
}
