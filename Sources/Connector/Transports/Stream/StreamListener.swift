import CMultiSocketShims
import Glibc
import Synchronization

/// A listening stream socket; accepts on the reactor thread until the kernel has no more connections, and
/// hands each connected descriptor, with the reactor that is to serve it, to `connected`.
final class StreamListener: TransportListener, ReactorHandler, @unchecked Sendable {
    let address: Address
    private let fd: Int32
    private let family: Int32
    private let reactor: Reactor
    private let connected: @Sendable (_ fd: Int32, _ pipeReactor: Reactor) -> Void
    private let closed = Atomic(false)
    /// The socket file this listener created (ipc only); removed on close only if it is still that file.
    private let socketFileInode: UInt?
    /// Retries accepting after the process ran out of descriptors. Reactor thread only (checked).
    private var retry = AcceptRetry()

    init(fd: Int32, address: Address, family: Int32, reactor: Reactor,
         connected: @escaping @Sendable (_ fd: Int32, _ pipeReactor: Reactor) -> Void) {
        self.fd = fd
        self.address = address
        socketFileInode = family == AF_UNIX ? Self.inode(of: address.path) : nil
        self.family = family
        self.reactor = reactor
        self.connected = connected
    }

    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        guard events & cms_epollin() != 0 else { return }
        acceptPending()
    }

    /// Accepts what waits; after `EMFILE` and the like, again on a timer (a closed listener's timer does
    /// nothing: its descriptor may already belong to something else).
    private func acceptPending() {
        reactor.assertInReactor()
        retry.acceptPending(fd, on: reactor, while: { !closed.load(ordering: .acquiring) }) { connection in
            connected(connection, reactor.nextForPipe())
        } retry: { [weak self] in
            guard let self, !closed.load(ordering: .acquiring) else { return }
            acceptPending()
        }
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { continuation in
            reactor.execute { [self] in
                reactor.assertInReactor()
                retry.cancel(on: reactor)
                reactor.deregister(fd, handler: self)
                Glibc.close(fd)
                if let inode = socketFileInode, Self.inode(of: address.path) == inode {
                    unlink(address.path)
                }
                continuation.resume()
            }
        }
    }

    /// The inode of the file at `path`, if any.
    static func inode(of path: String) -> UInt? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt(info.st_ino) : nil
    }
}
