import CMultiSocketShims
import Glibc
import Synchronization

/// The client side of one opening handshake: send the request, check the response, and complete the dial
/// with a link or a typed error. All state is touched on the reactor thread only.
final class ClientHandshake: ReactorHandler, @unchecked Sendable {
    private let fd: Int32
    private let family: Int32
    private let address: Address
    private let path: String
    private let options: PipeOptions
    private let reactor: Reactor
    private let key = WebSocketHandshake.makeKey()
    private let subprotocol: String?
    private let request: [UInt8]
    private var written = 0
    private var received: [UInt8] = []
    private var registered = false
    private var timer: UInt64?
    private var completion: (@Sendable (Result<any PipeLink, MultiSocketError>) -> Void)?

    init(fd: Int32, family: Int32, address: Address, host: String, path: String, options: PipeOptions,
         reactor: Reactor, completion: @escaping @Sendable (Result<any PipeLink, MultiSocketError>) -> Void) {
        self.fd = fd
        self.family = family
        self.address = address
        self.path = path
        self.options = options
        self.reactor = reactor
        self.completion = completion
        // A raw pipe carries plain content, not multisocket frames: it offers no subprotocol.
        subprotocol = options.raw ? nil : WebSocketHandshake.subprotocol
        request = WebSocketHandshake.request(host: host, path: path, key: key, subprotocol: subprotocol)
    }

    func start() {
        guard reactor.register(fd, handler: self) else { return fail(SystemSocket.systemError("epoll_ctl")) }
        registered = true
        timer = reactor.schedule(after: WebSocketTransport.handshakeTimeout) { [self] in
            fail(MultiSocketError(.timedOut, "\(address): no WebSocket handshake response in time"))
        }
        advance()
    }

    func reactorEvent(_ events: UInt32) {
        advance()
    }

    private func advance() {
        guard completion != nil else { return }
        switch WebSocketTransport.writeSome(fd, request, written: &written) {
        case .wouldBlock: return
        case .closed: return fail(lost())
        case .progress: break
        }
        while true {
            let searched = received.count
            switch WebSocketTransport.readSome(fd, into: &received) {
            case .wouldBlock: return
            case .closed: return fail(lost())
            case .progress:
                if let end = WebSocketHandshake.headerEnd(in: received, searchedBefore: searched),
                   end <= WebSocketHandshake.maxHeaderSize {
                    return finish(headerEnd: end)
                }
                if received.count > WebSocketHandshake.maxHeaderSize {
                    return fail(MultiSocketError(.protocolMismatch, "\(address): handshake response header over 8 KiB"))
                }
            }
        }
    }

    private func lost() -> MultiSocketError {
        MultiSocketError(.connectionRefused, "\(address): connection closed during the WebSocket handshake")
    }

    private func finish(headerEnd: Int) {
        if let error = WebSocketHandshake.checkResponse(
            received[..<headerEnd], key: key, subprotocol: subprotocol, address: address
        ) {
            return fail(error)
        }
        guard let completion = takeCompletion() else { return }
        reactor.deregister(fd, handler: self)
        let link = WebSocketTransport.makeLink(
            fd: fd, family: family, role: .client, path: path, options: options, reactor: reactor,
            alreadyRead: Array(received[headerEnd...])
        )
        completion(.success(link))
    }

    private func fail(_ error: MultiSocketError) {
        guard let completion = takeCompletion() else { return }
        if registered { reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        completion(.failure(error))
    }

    private func takeCompletion() -> (@Sendable (Result<any PipeLink, MultiSocketError>) -> Void)? {
        guard let completion else { return nil }
        self.completion = nil
        if let timer { reactor.cancelTimer(timer) }
        return completion
    }
}
