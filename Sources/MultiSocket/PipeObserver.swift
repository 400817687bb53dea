/// Something that hears a socket's pipes come and go, synchronously: what a protocol role registers with
/// ``Socket/addPipeObserver(_:)`` to act on its peers (for example `Req` resends a request at once when
/// the pipe that carried it dies).
///
/// Unlike ``Socket/events()``, the calls are made in line (and stop when the socket begins to close), on the thread that changed the pipe set (the
/// socket's I/O thread, or a task that dialed, closed a pipe or closed the socket), after the socket's
/// own state has taken the change and outside every lock of the socket. So an observer sees a removed pipe
/// gone already (no send picks it any more) and an added one ready to take messages, and may call any
/// socket method that does not suspend (``Socket/trySend(_:)``, ``Socket/schedule(after:_:)``,
/// ``Socket/statistics``). It must not block or wait: it holds up the I/O of every pipe on that thread.
/// It is never called under a lock of the observer's own, so it may take its own locks.
public protocol PipeObserver: AnyObject, Sendable {
    /// `pipe` was added to the socket and can carry messages.
    func pipeAdded(_ pipe: MessagePipe)
    /// `pipe` was removed from the socket: whatever was written to it and not answered is lost with it.
    func pipeRemoved(_ pipe: MessagePipe)
}
