/// What every role (``Req``, ``Rep``, ``Pub``, ``Sub``, ``Push``, ``Pull``, ``Bus``, ``BusDevice``, ``Pair``,
/// ``Surveyor``, ``Respondent``) shares: a ``/MultiSocket/Socket`` with the role's ``/MultiSocket/ProtocolIdentity``, and the
/// connecting, observing and closing calls, which forward to it.
///
/// The raw ``socket`` stays reachable for anything a role does not wrap; it refuses what the role forbids
/// (for example `receive()` on a ``Push`` throws ``/MultiSocketConnector/MultiSocketError/Code/notSupported``).
public protocol ProtocolRole: AnyObject, Sendable {
    /// The role's protocol number and the number its peers must have.
    static var identity: ProtocolIdentity { get }
    /// The socket the role is built on.
    var socket: Socket { get }
}

extension ProtocolRole {
    /// Dials `address` and keeps the connection up, reconnecting when it is lost. A peer of the wrong
    /// protocol is refused (counted in ``/MultiSocket/SocketStatistics/pipesRefused``, reported as
    /// ``/MultiSocket/SocketEvent/pipeRefused(_:reason:)``).
    ///
    /// `options` replace the socket's endpoint options for this connection (``/MultiSocket/Socket/dial(_:options:waitForConnection:)``);
    /// the address's query overrides single fields of either.
    ///
    /// With `waitForConnection` the first attempt completes before this returns (cancellation does not
    /// interrupt it); otherwise it returns at once and keeps trying in the background.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `badAddress`, `unsupportedScheme`, `connectionRefused`, `addressInUse`
    ///   or `closed`.
    public func dial(_ address: String, options: EndpointOptions? = nil, waitForConnection: Bool = true) async throws {
        try await socket.dial(address, options: options, waitForConnection: waitForConnection)
    }

    /// Dials the address a listener returned.
    /// - Throws: as ``dial(_:options:waitForConnection:)``.
    public func dial(_ address: Address, options: EndpointOptions? = nil, waitForConnection: Bool = true) async throws {
        try await socket.dial("\(address)", options: options, waitForConnection: waitForConnection)
    }

    /// Listens on `address` and returns the address bound (the real port for `tcp://…:0`). `options` replace
    /// the socket's endpoint options for this listener and the pipes it accepts (``/MultiSocket/Socket/listen(_:options:)``).
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `badAddress`, `unsupportedScheme`, `addressInUse` or `closed`.
    @discardableResult
    public func listen(_ address: String, options: EndpointOptions? = nil) throws -> Address {
        try socket.listen(address, options: options)
    }

    /// Closes the role's socket: idempotent, bounded by the linger time, not cancellable. Afterwards every
    /// operation throws ``/MultiSocketConnector/MultiSocketError/Code/closed``; pending operations end with it too.
    public func close() async {
        await socket.close()
    }

    /// A snapshot of the socket's counters.
    public var statistics: SocketStatistics { socket.statistics }

    /// The socket's events from now on (pipes added, removed and refused, drops, dial failures).
    public func events() -> AsyncStream<SocketEvent> { socket.events() }

    /// This role's identity (``ProtocolRole/identity``).
    public var identity: ProtocolIdentity { Self.identity }
}

extension SocketOptions {
    /// These options with `identity` set, for a role's socket.
    func with(_ identity: ProtocolIdentity) -> SocketOptions {
        var options = self
        options.identity = identity
        return options
    }
}
