/// The client side of the WebSocket opening handshake (RFC 6455 §4.1) as a ``Preamble``: send the upgrade
/// request, check the server's response. Bytes after the response header are the first frames.
///
/// Errors: ``MultiSocketError/Code/timedOut`` when no response comes within
/// ``WebSocketTransport/handshakeTimeout``; ``MultiSocketError/Code/connectionRefused`` when the connection
/// ends or breaks first, or the server answers 404; ``MultiSocketError/Code/protocolMismatch`` for any other
/// wrong response (see ``WebSocketHandshake/checkResponse(_:key:subprotocol:address:)``) or one whose header
/// exceeds ``WebSocketHandshake/maxHeaderSize``.
struct WebSocketClientPreamble: Preamble {
    private let address: Address
    private let key = WebSocketHandshake.makeKey()
    private let subprotocol: String?
    private let request: [UInt8]

    /// A handshake asking for `path` on `host` (as the Host header shows it), for a raw pipe (no subprotocol)
    /// or a framed one (``WebSocketHandshake/subprotocol(for:peer:)``: multisocket frames, or the SP protocol
    /// of the peer on the SP wire) as `options` say. `address` names the peer in errors.
    init(address: Address, host: String, path: String, options: PipeOptions) {
        self.address = address
        // A raw pipe carries plain content, not multisocket frames: it offers no subprotocol.
        subprotocol = options.raw ? nil : WebSocketHandshake.subprotocol(for: options, peer: true)
        request = WebSocketHandshake.request(host: host, path: path, key: key, subprotocol: subprotocol)
    }

    var timeout: Duration { WebSocketTransport.handshakeTimeout }

    func opening() -> [UInt8] {
        request
    }

    func received(_ bytes: [UInt8], searchedBefore: Int) -> PreambleStep<Void> {
        if let end = WebSocketHandshake.headerEnd(in: bytes, searchedBefore: searchedBefore),
           end <= WebSocketHandshake.maxHeaderSize {
            if let error = WebSocketHandshake.checkResponse(
                bytes[..<end], key: key, subprotocol: subprotocol, address: address
            ) {
                return .refused(error, reply: [], linger: .zero)
            }
            return .done((), consumed: end, reply: [])
        }
        if bytes.count > WebSocketHandshake.maxHeaderSize {
            let error = MultiSocketError(.protocolMismatch, "\(address): handshake response header over 8 KiB")
            return .refused(error, reply: [], linger: .zero)
        }
        return .needMore
    }

    func error(for failure: PreambleFailure) -> MultiSocketError {
        switch failure {
        case .timedOut:
            MultiSocketError(.timedOut, "\(address): no WebSocket handshake response in time")
        case .ended, .broken:
            MultiSocketError(.connectionRefused, "\(address): connection closed during the WebSocket handshake")
        case .unregistrable:
            SystemSocket.systemError("epoll_ctl")
        case .cancelled:
            MultiSocketError(.closed, "\(address): WebSocket handshake cancelled")
        }
    }
}
