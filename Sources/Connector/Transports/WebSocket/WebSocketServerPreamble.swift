/// The server side of the WebSocket opening handshake (RFC 6455 §4.2) as a ``Preamble``: read the upgrade
/// request, route it by path to the endpoint's listener, and answer 101 — or refuse with HTTP 400 (a
/// malformed request, a header over ``WebSocketHandshake/maxHeaderSize``, a framed listener's subprotocol not
/// offered) or 404 (nobody listens at the path), letting the client read the refusal for
/// ``WebSocketTransport/refusalLinger`` before the connection closes.
///
/// The outcome is the route and the path; whoever completes the handshake checks that the route still
/// listens (it may have closed while the answer was written). Errors go nowhere but the driver's completion.
struct WebSocketServerPreamble: Preamble {
    /// The endpoint whose routes a request may choose.
    private let key: String

    /// A handshake for a connection accepted on the endpoint `key`.
    init(key: String) {
        self.key = key
    }

    var timeout: Duration { WebSocketTransport.handshakeTimeout }

    func opening() -> [UInt8] {
        []
    }

    func received(
        _ bytes: [UInt8], searchedBefore: Int
    ) -> PreambleStep<(route: WebSocketTransport.Route, path: String)> {
        if let end = WebSocketHandshake.headerEnd(in: bytes, searchedBefore: searchedBefore),
           end <= WebSocketHandshake.maxHeaderSize {
            return decide(bytes[..<end])
        }
        if bytes.count > WebSocketHandshake.maxHeaderSize {
            return refuse(WebSocketHandshake.Refusal(status: 400, reason: "request header longer than 8 KiB"))
        }
        return .needMore
    }

    private func decide(
        _ header: ArraySlice<UInt8>
    ) -> PreambleStep<(route: WebSocketTransport.Route, path: String)> {
        switch WebSocketHandshake.parseRequest(header) {
        case .failure(let refusal):
            return refuse(refusal)
        case .success(let request):
            guard let route = WebSocketTransport.route(key, request.path) else {
                return refuse(WebSocketHandshake.Refusal(status: 404, reason: "no listener at \(request.path)"))
            }
            // A framed listener needs the client to speak multisocket.binary (on the SP wire, the listener's SP
            // protocol); a raw one speaks plain content and selects no subprotocol.
            let subprotocol = WebSocketHandshake.subprotocol(for: route.options, peer: false)
            if !route.options.raw && !request.protocols.contains(subprotocol) {
                return refuse(WebSocketHandshake.Refusal(status: 400, reason: "subprotocol \(subprotocol) not offered"))
            }
            let response = WebSocketHandshake.response(
                accepting: request, subprotocol: route.options.raw ? nil : subprotocol)
            return .done((route, request.path), consumed: header.count, reply: response)
        }
    }

    private func refuse(
        _ refusal: WebSocketHandshake.Refusal
    ) -> PreambleStep<(route: WebSocketTransport.Route, path: String)> {
        .refused(
            MultiSocketError(.protocolMismatch, "WebSocket request refused: HTTP \(refusal.status) \(refusal.reason)"),
            reply: WebSocketHandshake.response(refusing: refusal),
            linger: WebSocketTransport.refusalLinger
        )
    }

    func error(for failure: PreambleFailure) -> MultiSocketError {
        switch failure {
        case .timedOut: MultiSocketError(.timedOut, "no WebSocket request in time")
        case .ended, .broken: MultiSocketError(.connectionRefused, "connection closed during the WebSocket handshake")
        case .unregistrable: SystemSocket.systemError("epoll_ctl")
        case .cancelled: MultiSocketError(.closed, "WebSocket listener closed during the handshake")
        }
    }
}
