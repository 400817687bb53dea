import CMultiSocketShims
import Glibc
import Synchronization

/// The server side of one opening handshake: read the request, answer 101 and hand the connection to the
/// path's listener, or answer 400/404 and close. All state is touched on the reactor thread only.
final class ServerHandshake: ReactorHandler, @unchecked Sendable {
    private enum Phase {
        case reading
        /// Writing the response; then handing off to `route`, or lingering when refused (`nil`).
        case responding(WebSocketTransport.Route?)
        /// Refused: reading and discarding until the client closes or the linger time passes.
        case draining
        case done
    }

    private let fd: Int32
    private let server: WebSocketServer
    private var phase = Phase.reading
    private var received: [UInt8] = []
    private var headerEnd = 0
    private var path = ""
    private var response: [UInt8] = []
    private var written = 0
    private var registered = false
    private var timer: UInt64?

    init(fd: Int32, server: WebSocketServer) {
        self.fd = fd
        self.server = server
    }

    func start() {
        guard server.reactor.register(fd, handler: self) else {
            end()
            return
        }
        registered = true
        timer = server.reactor.schedule(after: WebSocketTransport.handshakeTimeout) { [self] in end() }
        advance()
    }

    func reactorEvent(_ events: UInt32) {
        advance()
    }

    /// Closes the connection; the server is closing.
    func abort() {
        end()
    }

    private func advance() {
        while true {
            switch phase {
            case .done:
                return
            case .reading:
                let searched = received.count
                switch WebSocketTransport.readSome(fd, into: &received) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress:
                    if let end = WebSocketHandshake.headerEnd(in: received, searchedBefore: searched),
                       end <= WebSocketHandshake.maxHeaderSize {
                        decide(headerEnd: end)
                    } else if received.count > WebSocketHandshake.maxHeaderSize {
                        refuse(WebSocketHandshake.Refusal(status: 400, reason: "request header longer than 8 KiB"))
                    }
                }
            case .responding(let route):
                switch WebSocketTransport.writeSome(fd, response, written: &written) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress:
                    if let route { return handOff(to: route) }
                    // Let the client read the refusal: no more from us, and close once it has closed.
                    shutdown(fd, Int32(SHUT_WR))
                    phase = .draining
                    if let timer { server.reactor.cancelTimer(timer) }
                    timer = server.reactor.schedule(after: WebSocketTransport.refusalLinger) { [self] in end() }
                }
            case .draining:
                received.removeAll(keepingCapacity: true)
                switch WebSocketTransport.readSome(fd, into: &received) {
                case .wouldBlock: return
                case .closed: return end()
                case .progress: continue
                }
            }
        }
    }

    private func decide(headerEnd: Int) {
        switch WebSocketHandshake.parseRequest(received[..<headerEnd]) {
        case .failure(let refusal):
            refuse(refusal)
        case .success(let request):
            guard let route = WebSocketTransport.route(server.key, request.path) else {
                return refuse(WebSocketHandshake.Refusal(status: 404, reason: "no listener at \(request.path)"))
            }
            // A framed listener needs the client to speak multisocket.binary; a raw one speaks plain content and
            // selects no subprotocol.
            let subprotocol = WebSocketHandshake.subprotocol
            if !route.options.raw && !request.protocols.contains(subprotocol) {
                return refuse(WebSocketHandshake.Refusal(status: 400, reason: "subprotocol \(subprotocol) not offered"))
            }
            self.headerEnd = headerEnd
            path = request.path
            response = WebSocketHandshake.response(
                accepting: request, subprotocol: route.options.raw ? nil : subprotocol)
            phase = .responding(route)
        }
    }

    private func refuse(_ refusal: WebSocketHandshake.Refusal) {
        response = WebSocketHandshake.response(refusing: refusal)
        phase = .responding(nil)
    }

    private func handOff(to route: WebSocketTransport.Route) {
        // The path may have stopped listening while the response was written (its port lives on for others).
        guard WebSocketTransport.route(server.key, path)?.listener === route.listener else { return end() }
        phase = .done
        if let timer { server.reactor.cancelTimer(timer) }
        server.reactor.deregister(fd, handler: self)
        server.ended(self)
        let link = WebSocketTransport.makeLink(
            fd: fd, family: server.family, role: .server, path: path, options: route.options, reactor: server.reactor,
            alreadyRead: Array(received[headerEnd...])
        )
        route.accept(link)
    }

    private func end() {
        if case .done = phase { return }
        phase = .done
        if let timer { server.reactor.cancelTimer(timer) }
        if registered { server.reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        server.ended(self)
    }
}
