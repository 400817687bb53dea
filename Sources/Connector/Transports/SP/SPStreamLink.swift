/// Turns any connected ``ByteStream`` into an SP pipe link: runs the SP header exchange
/// (``SPHeaderPreamble``) over it with a ``PreambleDriver`` on the reactor, then frames it with
/// ``SPFraming`` in a ``StreamLink``. The sp+tcp and sp+ipc transports hand it their sockets; a stream of
/// another kind (TLS) plugs in the same way.
enum SPStreamLink {
    /// How long the header exchange may take, either side.
    static let headerTimeout: Duration = .seconds(10)

    /// A driver that, once started on `reactor`'s thread, exchanges headers over `stream` (which it now owns)
    /// announcing `local`, and completes with the link, or with the error after closing the stream.
    /// `checksPeer` (the dialing side) refuses an incompatible peer with `protocolMismatch`; a listening side
    /// leaves that to the pipe (``SPFraming``). Cancelling it (on `reactor`'s thread) closes the stream and
    /// completes with `closed`. Any thread; the exchange and `completion` run on `reactor`'s thread.
    static func driver(
        stream: any ByteStream,
        mapping: SPFraming.Mapping,
        local: UInt16,
        checksPeer: Bool,
        endpoint: String,
        options: PipeOptions,
        reactor: Reactor,
        localAddress: String,
        remoteAddress: String,
        completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void
    ) -> PreambleDriver<SPHeaderPreamble> {
        let preamble = SPHeaderPreamble(local: local, checksPeer: checksPeer, endpoint: endpoint,
                                        timeout: headerTimeout)
        return PreambleDriver(preamble: preamble, stream: stream, reactor: reactor) { result in
            completion(result.map { done -> any PipeLink in
                StreamLink(stream: stream, reactor: reactor, options: options,
                           framing: SPFraming(mapping: mapping, local: local, options: options),
                           localAddress: localAddress, remoteAddress: remoteAddress, alreadyRead: done.leftover)
            })
        }
    }
}
