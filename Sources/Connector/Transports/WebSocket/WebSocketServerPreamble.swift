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
        if let served = serveFile(header) { return served }
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

    /// A plain `GET` (no upgrade) of a file a listener on this port serves (``EndpointOptions/webResources``):
    /// the file, or `304` for a matching `If-None-Match`; then the connection closes. `nil` for anything else
    /// (upgrades, and requests for files nobody serves, which the upgrade path refuses as before).
    private func serveFile(
        _ header: ArraySlice<UInt8>
    ) -> PreambleStep<(route: WebSocketTransport.Route, path: String)>? {
        guard let parsed = WebSocketHandshake.parseHeader(header), !parsed.lists("upgrade", "websocket") else {
            return nil
        }
        let parts = parsed.startLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "GET" || parts[0] == "HEAD", parts[1].hasPrefix("/") else { return nil }
        let target = String(parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        // `<path>` itself is its "" file; otherwise `<path>/<name>`.
        var (base, name) = (target, "")
        if WebSocketTransport.route(key, target)?.options.webResources == nil, let slash = target.lastIndex(of: "/") {
            base = slash == target.startIndex ? "/" : String(target[..<slash])
            name = String(target[target.index(after: slash)...])
        }
        guard let resources = WebSocketTransport.route(key, base)?.options.webResources,
              var response = resources.response(for: name, ifNoneMatch: parsed.fields["if-none-match"])
        else { return nil }
        if parts[0] == "HEAD", let end = WebSocketHandshake.headerEnd(in: response) { response.removeSubrange(end...) }
        return .refused(MultiSocketError(.protocolMismatch, "served \(target) over plain HTTP"), reply: response,
                        linger: WebSocketTransport.refusalLinger)
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
