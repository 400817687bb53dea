/// Dispatches dial and listen to the transport an address names.
enum Transports {
    static func dial(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void
    ) {
        switch address {
        case .tcp, .ipc:
            StreamTransport.dial(address, options: options, reactor: reactor, completion: completion)
        case .ws:
            WebSocketTransport.dial(address, options: options, reactor: reactor, completion: completion)
        case .inproc(let name):
            do {
                completion(.success(try InprocTransport.dial(name, options: options)))
            } catch {
                completion(.failure(error))
            }
        }
    }

    static func listen(
        _ address: Address,
        options: PipeOptions,
        reactor: Reactor,
        accept: @escaping @Sendable (any PipeLink) -> Void
    ) throws(MultiSocketError) -> any TransportListener {
        switch address {
        case .tcp, .ipc:
            try StreamTransport.listen(address, options: options, reactor: reactor, accept: accept)
        case .ws:
            try WebSocketTransport.listen(address, options: options, reactor: reactor, accept: accept)
        case .inproc(let name):
            try InprocTransport.listen(name, options: options, accept: accept)
        }
    }
}
