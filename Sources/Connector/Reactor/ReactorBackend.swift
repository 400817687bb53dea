/// The readiness source under a ``Reactor``: ``EpollBackend`` or ``PollBackend``.
///
/// Handlers are given epoll's event bits and its edge-triggered contract whichever backend runs. Threads:
/// ``add(_:token:)``, ``remove(_:)``, ``awaitWritable(_:)``, ``setReadInterest(_:_:)`` and ``wake()`` from any
/// thread; ``wait(timeout:_:)`` only on the reactor's thread.
protocol ReactorBackend: AnyObject, Sendable {
    /// Starts reporting `fd`'s readiness with `token` (never 0). Returns `false` when the descriptor cannot be
    /// watched (`errno` says why).
    func add(_ fd: Int32, token: UInt64) -> Bool
    /// Stops reporting `fd`.
    func remove(_ fd: Int32)
    /// A writer met `EAGAIN` on `fd` and waits for an `EPOLLOUT` event. Returns whether the reactor's loop must
    /// be woken to watch for it (it may be asleep without that interest).
    func awaitWritable(_ fd: Int32) -> Bool
    /// Turns reporting of `fd`'s readability on or off (a paused reader leaves bytes unread). Returns whether
    /// the loop must be woken.
    func setReadInterest(_ fd: Int32, _ wanted: Bool) -> Bool
    /// Wakes a loop sleeping in ``wait(timeout:_:)``.
    func wake()
    /// Sleeps until something is ready, a ``wake()`` or `timeout` milliseconds (-1: no limit), then hands each
    /// ready descriptor's token and epoll event bits to `handle`.
    func wait(timeout: Int32, _ handle: (UInt64, UInt32) -> Void)
}
