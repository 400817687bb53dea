import Synchronization

/// The inproc transport: a process-wide table of listener names.
enum InprocTransport {
    private static let listeners = Locked<[String: InprocListener]>([:])
    private static let dialCount = Atomic<Int>(0)

    static func listen(
        _ name: String,
        options: PipeOptions,
        accept: @escaping @Sendable (any PipeLink) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let listener = InprocListener(name: name, options: options, accept: accept)
        let taken = listeners.withLock { table -> Bool in
            if table[name] != nil { return true }
            table[name] = listener
            return false
        }
        if taken { throw MultiSocketError(.addressInUse, "inproc://\(name)") }
        return listener
    }

    /// Connects at once: the listener's side is handed to its connector on the caller's thread.
    static func dial(_ name: String, options: PipeOptions) throws(MultiSocketError) -> any PipeLink {
        guard let listener = listeners.withLock({ $0[name] }) else {
            throw MultiSocketError(.connectionRefused, "nobody listens on inproc://\(name)")
        }
        let number = dialCount.wrappingAdd(1, ordering: .relaxed).newValue
        let dialerName = "inproc://\(name).dialer#\(number)"
        let channel = InprocChannel(options: (options, listener.options))
        let dialerEnd = InprocLink(channel: channel, side: 0, localAddress: dialerName, remoteAddress: "inproc://\(name)")
        let listenerEnd = InprocLink(channel: channel, side: 1, localAddress: "inproc://\(name)", remoteAddress: dialerName)
        listener.accept(listenerEnd)
        return dialerEnd
    }

    /// Two connected ends with no listener, for joining sockets directly.
    static func pair(_ options: (PipeOptions, PipeOptions)) -> (any PipeLink, any PipeLink) {
        let channel = InprocChannel(options: options)
        return (InprocLink(channel: channel, side: 0, localAddress: "inproc://pair#0", remoteAddress: "inproc://pair#1"),
                InprocLink(channel: channel, side: 1, localAddress: "inproc://pair#1", remoteAddress: "inproc://pair#0"))
    }

    fileprivate static func remove(_ listener: InprocListener) {
        listeners.withLock { table in
            if table[listener.name] === listener { table[listener.name] = nil }
        }
    }
}

private final class InprocListener: TransportListener {
    let name: String
    let options: PipeOptions
    let accept: @Sendable (any PipeLink) -> Void
    var address: Address { .inproc(name: name) }

    init(name: String, options: PipeOptions, accept: @escaping @Sendable (any PipeLink) -> Void) {
        self.name = name
        self.options = options
        self.accept = accept
    }

    func close() async {
        InprocTransport.remove(self)
    }
}
