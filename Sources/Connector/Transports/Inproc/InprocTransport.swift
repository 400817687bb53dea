import Synchronization

/// The inproc transport (`inproc://name`): a process-wide table of listener names; messages pass between
/// sockets as values, with no encoding, so it carries no raw pipes.
struct InprocTransport: Transport {
    private static let listeners = Locked<[String: InprocListener]>([:])
    private static let dialCount = Atomic<Int>(0)

    var schemes: [String] { ["inproc"] }
    var addressForm: AddressForm { .local }

    /// Rejects raw pipes: there is no byte stream to carry them.
    func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
        if options.raw { throw MultiSocketError(.badAddress, "raw pipes need a stream transport") }
    }

    /// Registers the name; a dial hands the listener's end to `accept` on the dialing thread.
    func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (TransportConnection) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        let name = address.path
        let listener = InprocListener(name: name, address: address, options: options) { accept(.link($0)) }
        let taken = Self.listeners.withLock { table -> Bool in
            if table[name] != nil { return true }
            table[name] = listener
            return false
        }
        if taken { throw MultiSocketError(.addressInUse, "\(address)") }
        return listener
    }

    /// Connects at once, on the caller's thread: `completion` gets the dialer's end after the listener's
    /// connector has been handed the other, or `connectionRefused` when nobody listens on the name.
    func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
    ) {
        let name = address.path
        guard let listener = Self.listeners.withLock({ $0[name] }) else {
            return completion(.failure(MultiSocketError(.connectionRefused, "nobody listens on inproc://\(name)")))
        }
        let number = Self.dialCount.wrappingAdd(1, ordering: .relaxed).newValue
        let dialerName = "inproc://\(name).dialer#\(number)"
        let channel = InprocChannel(options: (options, listener.options))
        let dialerEnd = InprocLink(channel: channel, side: 0, localAddress: dialerName, remoteAddress: "inproc://\(name)")
        let listenerEnd = InprocLink(channel: channel, side: 1, localAddress: "inproc://\(name)", remoteAddress: dialerName)
        listener.accept(listenerEnd)
        completion(.success(.link(dialerEnd)))
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
    let address: Address

    init(name: String, address: Address, options: PipeOptions, accept: @escaping @Sendable (any PipeLink) -> Void) {
        self.name = name
        self.address = address
        self.options = options
        self.accept = accept
    }

    func close() async {
        InprocTransport.remove(self)
    }
}
