import MultiSocketConnector

/// Area (c): the WebSocket opening handshake, read the way the ws transport reads it: bytes accumulate
/// read by read until a header ends within 8 KiB (then it is parsed) or 8 KiB pass without one (then the
/// peer is refused).
///
/// Input: `[mode][read-split seed][bytes]`. Mode bit 0 picks the side: 0 a server parsing a request, 1 a
/// client checking a response; bit 1 whether the client offered the multisocket subprotocol.
package enum HandshakeFuzzer {
    /// The key a fuzzed client sent (the RFC's example); a response must answer it.
    static let clientKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let address = Address(scheme: "ws", host: "fuzz.example", port: 80, path: "/")

    /// Checks `data`; throws the first property that did not hold.
    package static func run(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        var input = FuzzInput(data)
        let mode = input.byte()
        let seed = input.byte()
        let stream = input.rest
        var received: [UInt8] = []
        for chunk in ChunkSizes.split(stream, seed: seed) {
            received.append(contentsOf: chunk)
            if let end = WebSocketHandshake.headerEnd(in: received) {
                try checkHeaderEnd(end, in: received)
                if end <= WebSocketHandshake.maxHeaderSize {
                    let header = received[..<end]
                    if mode & 1 == 0 {
                        try serve(header)
                    } else {
                        try check(response: header, subprotocol: mode & 2 == 0 ? nil : WebSocketHandshake.subprotocol)
                    }
                    return
                }
            }
            if received.count > WebSocketHandshake.maxHeaderSize { return }  // refused: header too long
        }
    }

    /// The end must be just past the first CRLF CRLF.
    private static func checkHeaderEnd(_ end: Int, in bytes: [UInt8]) throws(FuzzViolation) {
        let blank: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        try FuzzViolation.check(end >= 4 && end <= bytes.count && Array(bytes[end - 4..<end]) == blank,
                                "header end \(end) is not after a blank line")
        let earlier = end - 4 > 0 && (0..<end - 4).contains { Array(bytes[$0..<$0 + 4]) == blank }
        try FuzzViolation.check(!earlier, "header end \(end) is not the first blank line")
    }

    /// A server's view: an accepted request must be usable, and the client must accept the server's answer
    /// to it; a refusal's response must be a well-formed HTTP response a client turns down.
    private static func serve(_ header: ArraySlice<UInt8>) throws(FuzzViolation) {
        switch WebSocketHandshake.parseRequest(header) {
        case .success(let request):
            try FuzzViolation.check(request.path.hasPrefix("/"), "accepted target \(request.path)")
            try FuzzViolation.check(request.key.utf8.count == 24, "accepted key \(request.key)")
            try FuzzViolation.check(request.protocols.allSatisfy { !$0.isEmpty && !$0.contains(",") },
                                    "offered subprotocols \(request.protocols)")
            for subprotocol in [nil, WebSocketHandshake.subprotocol] {
                let response = WebSocketHandshake.response(accepting: request, subprotocol: subprotocol)
                try FuzzViolation.check(WebSocketHandshake.headerEnd(in: response) == response.count,
                                        "the accepting response is not one header")
                let error = WebSocketHandshake.checkResponse(response[...], key: request.key,
                                                             subprotocol: subprotocol, address: address)
                try FuzzViolation.check(error == nil, "a client rejects the server's acceptance: \(error!)")
            }
        case .failure(let refusal):
            try FuzzViolation.check(refusal.status == 400, "refused with status \(refusal.status)")
            let response = WebSocketHandshake.response(refusing: refusal)
            guard let end = WebSocketHandshake.headerEnd(in: response) else {
                throw FuzzViolation("the refusal has no header end")
            }
            let error = WebSocketHandshake.checkResponse(response[..<end], key: clientKey, subprotocol: nil,
                                                         address: address)
            try FuzzViolation.check(error?.code == .protocolMismatch,
                                    "a client reads the refusal as \(String(describing: error))")
        }
    }

    /// A client's view: a response it accepts must at least be a 101.
    private static func check(response header: ArraySlice<UInt8>, subprotocol: String?) throws(FuzzViolation) {
        let error = WebSocketHandshake.checkResponse(header, key: clientKey, subprotocol: subprotocol,
                                                     address: address)
        if error == nil {
            try FuzzViolation.check(header.starts(with: Array("HTTP/1.".utf8)), "accepted a non-HTTP response")
        } else if let error {
            try FuzzViolation.check(error.code == .protocolMismatch || error.code == .connectionRefused,
                                    "response rejected with \(error.code)")
        }
    }
}
