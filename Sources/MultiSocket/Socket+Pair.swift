extension Socket {
    /// Two sockets joined in process by one pipe, with no address: for tests and pipelines.
    ///
    /// Messages between them follow the usual receive rule (each side sees the pipe in the source path),
    /// so `sendTo(message.source, …)` answers work. Closing either side removes the pipe from the other.
    public static func pair(options: SocketOptions = .init()) -> (Socket, Socket) {
        let first = Socket(options: options)
        let second = Socket(options: options)
        first.connector.join(second.connector)
        return (first, second)
    }
}
