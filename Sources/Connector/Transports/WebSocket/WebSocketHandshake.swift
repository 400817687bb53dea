/// The RFC 6455 opening handshake as pure functions: building and checking the HTTP/1.1 upgrade request
/// and its response. The I/O that carries them is in ``WebSocketTransport``.
package enum WebSocketHandshake {
    /// The subprotocol a framed ws pipe offers and requires: one multisocket frame per binary message.
    package static let subprotocol = "multisocket.binary"

    /// The subprotocol a framed pipe with `options` speaks: ``subprotocol``, or on the SP wire the name of
    /// an SP protocol (`rep.sp.nanomsg.org`) — its own for a listener (`peer` false), its peer's for a
    /// dialer (`peer` true), as NNG does.
    static func subprotocol(for options: PipeOptions, peer: Bool) -> String {
        guard options.scalabilityProtocols, let local = options.spProtocol else { return subprotocol }
        return SPProtocol.webSocketSubprotocol(of: peer ? SPProtocol.partner(of: local) ?? local : local)
    }
    /// The longest request or response header accepted, blank line included.
    package static let maxHeaderSize = 8 * 1024
    /// The WebSocket version this implementation speaks.
    static let version = "13"
    private static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// An upgrade request, as the server reads it.
    package struct Request: Equatable {
        /// The request target (path and query), which picks the listener.
        package var path: String
        /// `Sec-WebSocket-Key`.
        package var key: String
        /// The subprotocols the client offers, in its order of preference.
        package var protocols: [String]
    }

    /// Why a server turns a request down: the HTTP status and a one-line reason sent as the body.
    package struct Refusal: Error, Equatable {
        /// The HTTP status code.
        package var status: Int
        /// Why, in one line.
        package var reason: String
        /// Extra header lines for the response (for a version mismatch, the version spoken).
        var headers: [String] = []
    }

    /// An HTTP header split into its start line and fields (names lowercased, repeated fields joined by
    /// commas).
    struct Header: Equatable {
        var startLine: String
        var fields: [String: String]

        /// Whether the comma-separated field `name` lists `token`, ignoring case.
        func lists(_ name: String, _ token: String) -> Bool {
            guard let value = fields[name] else { return false }
            return value.split(separator: ",").contains { trimmed($0).lowercased() == token }
        }
    }

    // MARK: Keys

    /// The `Sec-WebSocket-Accept` value that answers `key`: base64(SHA-1(key + the RFC's GUID)).
    static func acceptValue(for key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64.
    package static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    // MARK: Reading headers

    /// The offset just past the blank line that ends an HTTP header in `bytes`, if it holds one. No blank line
    /// ends before offset `start` (a reader passes how many bytes it had already searched, so that a header
    /// trickled in byte by byte costs a linear search, not a quadratic one).
    package static func headerEnd(in bytes: [UInt8], searchedBefore start: Int = 0) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in max(3, start)..<bytes.count where bytes[index] == 0x0A && bytes[index - 1] == 0x0D
            && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    /// Splits a header (with or without its blank line) into start line and fields; `nil` if malformed.
    ///
    /// Control bytes are refused anywhere (RFC 9110 §5.5: a field value is visible characters, spaces and
    /// tabs; CR and LF only as line ends), so a header cannot smuggle a line break or a NUL into a value.
    static func parseHeader(_ bytes: ArraySlice<UInt8>) -> Header? {
        var previous: UInt8 = 0
        for (offset, byte) in bytes.enumerated() {
            let next = offset + 1 < bytes.count ? bytes[bytes.startIndex + offset + 1] : 0x0A
            switch byte {
            case 0x0D where next != 0x0A: return nil
            case 0x0A where previous != 0x0D: return nil
            case 0x09, 0x0D, 0x0A: break
            case 0x00..<0x20, 0x7F: return nil
            default: break
            }
            previous = byte
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let startLine = lines.first, !startLine.isEmpty else { return nil }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            // No empty lines inside, no obsolete line folding, and a non-empty name with no space before the colon.
            guard let colon = line.firstIndex(of: ":"), let first = line.first, first != " ", first != "\t"
            else { return nil }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
            let key = name.lowercased()
            let value = trimmed(line[line.index(after: colon)...])
            fields[key] = fields[key].map { "\($0), \(value)" } ?? value
        }
        return Header(startLine: String(startLine), fields: fields)
    }

    // MARK: Server side

    /// Checks an upgrade request (its header, blank line optional) against RFC 6455 §4.2.1.
    package static func parseRequest(_ bytes: ArraySlice<UInt8>) -> Result<Request, Refusal> {
        guard let header = parseHeader(bytes) else { return .failure(Refusal(status: 400, reason: "malformed header")) }
        let parts = header.startLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] == "HTTP/1.1" else {
            return .failure(Refusal(status: 400, reason: "malformed request line"))
        }
        guard parts[0] == "GET" else { return .failure(Refusal(status: 400, reason: "method \(parts[0]) is not GET")) }
        guard parts[1].hasPrefix("/") else {
            return .failure(Refusal(status: 400, reason: "request target is not a path"))
        }
        guard header.fields["host"] != nil else { return .failure(Refusal(status: 400, reason: "no Host header")) }
        guard header.lists("upgrade", "websocket") else {
            return .failure(Refusal(status: 400, reason: "no 'Upgrade: websocket' header"))
        }
        guard header.lists("connection", "upgrade") else {
            return .failure(Refusal(status: 400, reason: "no 'Connection: Upgrade' header"))
        }
        guard header.fields["sec-websocket-version"] == version else {
            return .failure(Refusal(status: 400, reason: "unsupported Sec-WebSocket-Version",
                                    headers: ["Sec-WebSocket-Version: \(version)"]))
        }
        guard let key = header.fields["sec-websocket-key"], Base64.decode(key)?.count == 16 else {
            return .failure(Refusal(status: 400, reason: "Sec-WebSocket-Key is not base64 of 16 bytes"))
        }
        let protocols = header.fields["sec-websocket-protocol"].map {
            $0.split(separator: ",").map { trimmed($0) }.filter { !$0.isEmpty }
        } ?? []
        return .success(Request(path: String(parts[1]), key: key, protocols: protocols))
    }

    /// The `101 Switching Protocols` response that accepts `request`, selecting `subprotocol` if given.
    package static func response(accepting request: Request, subprotocol: String?) -> [UInt8] {
        var text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Accept: \(acceptValue(for: request.key))\r\n"
        if let subprotocol { text += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// The error response for `refusal`; the server closes the connection after it.
    package static func response(refusing refusal: Refusal) -> [UInt8] {
        let phrase = switch refusal.status {
        case 400: "Bad Request"
        case 404: "Not Found"
        default: "Error"
        }
        let body = refusal.reason + "\n"
        var text = "HTTP/1.1 \(refusal.status) \(phrase)\r\nConnection: close\r\nContent-Type: text/plain\r\n"
        text += "Content-Length: \(body.utf8.count)\r\n"
        for line in refusal.headers { text += line + "\r\n" }
        return Array((text + "\r\n" + body).utf8)
    }

    // MARK: Client side

    /// The upgrade request for `path` on `host` (as the Host header shows it), offering `subprotocol` if given.
    static func request(host: String, path: String, key: String, subprotocol: String?) -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(version)\r\n"
        if let subprotocol { text += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Checks the server's response to a request made with `key` and `subprotocol` (RFC 6455 §4.1).
    ///
    /// - Returns: `nil` when the handshake succeeded; otherwise the error the dial fails with:
    ///   ``MultiSocketError/Code/connectionRefused`` for a 404 (nobody listens at that path: like a closed
    ///   port, worth redialing), ``MultiSocketError/Code/protocolMismatch`` for anything else (another
    ///   status, not HTTP, a wrong accept value, a missing or unexpected subprotocol or extension).
    package static func checkResponse(
        _ bytes: ArraySlice<UInt8>,
        key: String,
        subprotocol: String?,
        address: Address
    ) -> MultiSocketError? {
        func mismatch(_ why: String) -> MultiSocketError {
            MultiSocketError(.protocolMismatch, "\(address): WebSocket handshake failed: \(why)")
        }
        guard let header = parseHeader(bytes) else { return mismatch("malformed response header") }
        let parts = header.startLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            return mismatch("not an HTTP response")
        }
        guard status == 101 else {
            if status == 404 {
                return MultiSocketError(.connectionRefused, "\(address): no WebSocket listener at that path (HTTP 404)")
            }
            return mismatch("HTTP \(header.startLine.dropFirst(parts[0].count + 1))")
        }
        guard header.lists("upgrade", "websocket"), header.lists("connection", "upgrade") else {
            return mismatch("no 'Upgrade: websocket' and 'Connection: Upgrade' headers")
        }
        guard header.fields["sec-websocket-accept"] == acceptValue(for: key) else {
            return mismatch("wrong Sec-WebSocket-Accept")
        }
        guard header.fields["sec-websocket-extensions"] == nil else { return mismatch("unrequested extension") }
        let selected = header.fields["sec-websocket-protocol"]
        if selected != subprotocol {
            let why = subprotocol.map { "the server did not select subprotocol \($0)" }
            return mismatch(why ?? "the server selected a subprotocol that was not offered")
        }
        return nil
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
