/// An object that receives readiness events for one file descriptor registered with a ``Reactor``.
///
/// A transport written outside the package registers its listening descriptor with
/// ``Reactor/register(_:handler:)`` and accepts in ``reactorEvent(_:)``.
public protocol ReactorHandler: AnyObject, Sendable {
    /// Called on the reactor's thread (never elsewhere) with the edge-triggered epoll event bits:
    /// `EPOLLIN` 0x001 (readable, or a connection to accept), `EPOLLOUT` 0x004 (writable), `EPOLLERR`
    /// 0x008, `EPOLLHUP` 0x010 and `EPOLLRDHUP` 0x2000 (the peer shut down). Events are edges: read or
    /// accept until `EAGAIN`, or no further event comes. Whichever ``IOBackend`` runs, a handler that wrote
    /// until `EAGAIN` calls ``Reactor/awaitWritable(_:)`` to get its `EPOLLOUT`, and one that stops reading
    /// early on purpose calls ``Reactor/setReadInterest(_:_:)`` (both cost nothing with epoll; the poll
    /// backend needs them). Must not block the thread. Cannot be cancelled and throws nothing.
    func reactorEvent(_ events: UInt32)
}
