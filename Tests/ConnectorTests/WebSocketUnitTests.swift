@testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// SHA-1 and base64, the two transforms the WebSocket handshake is built from.
@Suite
struct HandshakeDigestTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// RFC 3174 §7.3's test vectors, plus the empty message and the classic pangram.
    @Test(arguments: [
        ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("a", 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
        ("0123456701234567012345670123456701234567012345670123456701234567", 10,
         "dea356a2cddd90c7a7ecedc5ebb563934f460452"),
        ("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("The quick brown fox jumps over the lazy dog", 1, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ])
    func sha1MatchesKnownVectors(text: String, repeats: Int, digest: String) async {
        // The million-byte vector takes a while in a debug build: hash on a thread of its own, keeping the
        // cooperative pool free for the networked tests running alongside.
        let hash = await offloaded { SHA1.hash((0..<repeats).flatMap { _ in Array(text.utf8) }) }
        #expect(hex(hash) == digest)
    }

    /// Messages around the 55/56/64-byte padding boundaries hash to 20 bytes and differ from each other.
    @Test func sha1PaddingBoundaries() {
        let digests = (50...70).map { SHA1.hash([UInt8](repeating: 0x61, count: $0)) }
        #expect(digests.allSatisfy { $0.count == 20 })
        #expect(Set(digests.map(hex)).count == digests.count)
    }

    /// RFC 4648 §10's vectors, both ways.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg=", "Zg=a", "Z===", "Zh==", "Zm9=", "Zm9v!A==", "=Zm9", "Zm 9", "Zg==Zg=="])
    func base64RejectsNonCanonicalText(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func base64RoundTripsRandomBytes() {
        var random = FastRandom(seed: 7)
        for count in 0..<70 {
            let bytes = random.bytes(count)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    /// RFC 6455 §1.3's worked example (the value Python's `hashlib` and `websockets` compute too).
    @Test func acceptValueOfTheRFCExample() {
        #expect(WebSocketHandshake.acceptValue(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func freshKeysAreBase64Of16RandomBytes() {
        let keys = (0..<8).map { _ in WebSocketHandshake.makeKey() }
        #expect(keys.allSatisfy { Base64.decode($0)?.count == 16 })
        #expect(Set(keys).count == keys.count)
    }
}

/// The opening handshake's request and response, built and checked as pure functions.
@Suite
struct HandshakeMessageTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let address = Address(scheme: "ws", host: "127.0.0.1", port: 1, path: "/chat")

    private func request(_ lines: [String]) -> ArraySlice<UInt8> {
        ArraySlice((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    private static let good = [
        "GET /chat?x=1 HTTP/1.1", "Host: server.example.com", "Upgrade: websocket", "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: chat, multisocket.binary",
    ]

    @Test func parsesAGoodRequest() throws {
        let parsed = try WebSocketHandshake.parseRequest(request(Self.good)).get()
        #expect(parsed == .init(path: "/chat?x=1", key: Self.key, protocols: ["chat", "multisocket.binary"]))
    }

    @Test func headerNamesAndTokensIgnoreCase() throws {
        let lines = ["GET / HTTP/1.1", "host: h", "UPGRADE: WebSocket", "connection: UPGRADE",
                     "sec-websocket-key: \(Self.key)", "SEC-WEBSOCKET-VERSION: 13"]
        let parsed = try WebSocketHandshake.parseRequest(request(lines)).get()
        #expect(parsed.protocols.isEmpty)
    }

    struct BadRequest: Sendable, CustomStringConvertible {
        var description: String
        var replace: (String, String?)
    }

    /// Each case changes one line of the good request (`nil`: drops it).
    @Test(arguments: [
        BadRequest(description: "key not base64", replace: ("Sec-WebSocket-Key", "Sec-WebSocket-Key: not base64!")),
        BadRequest(description: "key of 15 bytes",
                   replace: ("Sec-WebSocket-Key", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA")),
        BadRequest(description: "no key", replace: ("Sec-WebSocket-Key", nil)),
        BadRequest(description: "version 8", replace: ("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")),
        BadRequest(description: "no version", replace: ("Sec-WebSocket-Version", nil)),
        BadRequest(description: "no Upgrade", replace: ("Upgrade", nil)),
        BadRequest(description: "Upgrade: h2c", replace: ("Upgrade", "Upgrade: h2c")),
        BadRequest(description: "no Connection", replace: ("Connection", nil)),
        BadRequest(description: "no Host", replace: ("Host", nil)),
        BadRequest(description: "POST", replace: ("GET", "POST /chat HTTP/1.1")),
        BadRequest(description: "HTTP/1.0", replace: ("GET", "GET /chat HTTP/1.0")),
        BadRequest(description: "absolute target", replace: ("GET", "GET ws://h/chat HTTP/1.1")),
        BadRequest(description: "folded header", replace: ("Upgrade", "Upgrade:\r\n websocket")),
    ])
    func refusesABadRequestWith400(_ bad: BadRequest) {
        let lines = Self.good.compactMap { line in line.hasPrefix(bad.replace.0) ? bad.replace.1 : line }
        guard case .failure(let refusal) = WebSocketHandshake.parseRequest(request(lines)) else {
            Issue.record("accepted a request with \(bad)")
            return
        }
        #expect(refusal.status == 400)
        let response = String(decoding: WebSocketHandshake.response(refusing: refusal), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        if bad.description.hasPrefix("version") { #expect(response.contains("Sec-WebSocket-Version: 13\r\n")) }
    }

    @Test func clientRequestIsAcceptedAndItsResponseChecksOut() throws {
        let key = WebSocketHandshake.makeKey()
        let bytes = WebSocketHandshake.request(host: "127.0.0.1:1", path: "/chat", key: key,
                                               subprotocol: WebSocketHandshake.subprotocol)
        let parsed = try WebSocketHandshake.parseRequest(bytes[...]).get()
        #expect(parsed.path == "/chat")
        #expect(parsed.protocols == [WebSocketHandshake.subprotocol])
        let response = WebSocketHandshake.response(accepting: parsed, subprotocol: WebSocketHandshake.subprotocol)
        #expect(WebSocketHandshake.headerEnd(in: response) == response.count)
        #expect(WebSocketHandshake.checkResponse(response[...], key: key, subprotocol: WebSocketHandshake.subprotocol,
                                                 address: Self.address) == nil)
    }

    private func check(_ lines: [String], subprotocol: String? = WebSocketHandshake.subprotocol) -> MultiSocketError? {
        WebSocketHandshake.checkResponse(request(lines), key: Self.key, subprotocol: subprotocol, address: Self.address)
    }

    private static let goodResponse = [
        "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol: multisocket.binary",
    ]

    @Test func clientChecksTheResponse() {
        #expect(check(Self.goodResponse) == nil)
        let wrongAccept = Self.goodResponse.map {
            $0.hasPrefix("Sec-WebSocket-Accept") ? "Sec-WebSocket-Accept: x=" : $0
        }
        #expect(check(wrongAccept) == MultiSocketError(.protocolMismatch))
        #expect(check(Self.goodResponse.filter { !$0.hasPrefix("Sec-WebSocket-Protocol") })
            == MultiSocketError(.protocolMismatch))
        let otherProtocol = Self.goodResponse.map {
            $0.hasPrefix("Sec-WebSocket-Protocol") ? "Sec-WebSocket-Protocol: chat" : $0
        }
        #expect(check(otherProtocol) == MultiSocketError(.protocolMismatch))
        // A raw dial offers none, so a selected subprotocol is a mismatch too.
        #expect(check(Self.goodResponse, subprotocol: nil) == MultiSocketError(.protocolMismatch))
        #expect(check(Self.goodResponse.filter { !$0.hasPrefix("Upgrade") }) == MultiSocketError(.protocolMismatch))
        #expect(check(Self.goodResponse + ["Sec-WebSocket-Extensions: permessage-deflate"])
            == MultiSocketError(.protocolMismatch))
        #expect(check(["HTTP/1.1 404 Not Found", "Content-Length: 0"]) == MultiSocketError(.connectionRefused))
        #expect(check(["HTTP/1.1 400 Bad Request"]) == MultiSocketError(.protocolMismatch))
        #expect(check(["HTTP/1.1 200 OK"]) == MultiSocketError(.protocolMismatch))
        #expect(check(["SSH-2.0-OpenSSH_9.2"]) == MultiSocketError(.protocolMismatch))
    }

    @Test func headerEndIsFoundOnlyAfterTheBlankLine() {
        let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\nrest".utf8)
        #expect(WebSocketHandshake.headerEnd(in: bytes) == bytes.count - 4)
        #expect(WebSocketHandshake.headerEnd(in: Array(bytes.prefix(bytes.count - 5))) == nil)
        #expect(WebSocketHandshake.headerEnd(in: Array("\r\n\r".utf8)) == nil)
        // A search that resumes where the last one stopped still finds a blank line split across reads.
        #expect(WebSocketHandshake.headerEnd(in: bytes, searchedBefore: bytes.count - 6) == bytes.count - 4)
    }
}

extension StreamDecodeResult: Equatable where Reply: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.message(let a, let x), .message(let b, let y)): a == b && x == y
        case (.expired(let x), .expired(let y)): x == y
        case (.needMore(let x), .needMore(let y)): x == y
        case (.consumed(let x, let a), .consumed(let y, let b)): x == y && a == b
        case (.peerClosed(let x, let a), .peerClosed(let y, let b)): x == y && a == b
        default: false
        }
    }
}

/// RFC 6455 data framing as ws pipes use it: one binary message per multisocket frame.
@Suite
struct WebSocketFramingTests {
    static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    private func options(max: Int? = 128 * 1024, raw: Bool = false) -> PipeOptions {
        PipeOptions(endpoint: .init(maxReceiveSize: max, raw: raw), sendQueueSize: 8)
    }

    /// A hand-made frame; masked with `key` when given.
    private func frame(_ opcode: UInt8, _ payload: [UInt8], final: Bool = true, key: [UInt8]? = key,
                       rsv: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = [(final ? 0x80 : 0) | rsv | opcode]
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: payload.count >> shift))
            }
        }
        guard let key else { return bytes + payload }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    private func innerFrame(_ content: [UInt8]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try MultiSocketCodec().encode(Message(content: content), into: &bytes)
        return bytes
    }

    private func decode(
        _ framing: inout WebSocketFraming,
        _ bytes: [UInt8]
    ) throws -> StreamDecodeResult<WebSocketFraming.Reply> {
        var copy = bytes
        return try copy.withUnsafeMutableBytes { try framing.decode($0, arrivingOn: 42) }
    }

    private func expectedMessage(_ content: [UInt8]) -> Message {
        Message(content: content, ttl: 15, source: [42])
    }

    /// Server frames: no mask, 7-, 16- and 64-bit lengths at their boundaries, payload = one multisocket frame.
    @Test(arguments: [0, 117, 118, 200, 65_527, 65_528, 70_000])
    func serverEncodesEachLengthForm(contentLength: Int) throws {
        var server = WebSocketFraming(role: .server, options: options())
        var random = FastRandom(seed: UInt64(contentLength))
        let content = random.bytes(contentLength)
        var bytes: [UInt8] = []
        try server.encode(Message(content: content), into: &bytes)
        let inner = try innerFrame(content)
        let header: [UInt8]
        switch inner.count {
        case ..<126: header = [0x82, UInt8(inner.count)]
        case ...0xFFFF: header = [0x82, 126, UInt8(inner.count >> 8), UInt8(inner.count & 0xFF)]
        default: header = [0x82, 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: inner.count >> ($0 * 8)) }
        }
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(Array(bytes.dropFirst(header.count)) == inner)

        var client = WebSocketFraming(role: .client, options: options())
        #expect(try decode(&client, bytes) == .message(expectedMessage(content), consumed: bytes.count))
    }

    /// Client frames are masked with a fresh key; unmasking gives the multisocket frame; a server decodes them.
    @Test(arguments: [0, 1, 3, 5, 8, 13, 200, 70_000])
    func clientMasksAndServerUnmasks(contentLength: Int) throws {
        var client = WebSocketFraming(role: .client, options: options())
        var random = FastRandom(seed: 3)
        let content = random.bytes(contentLength)
        var first: [UInt8] = []
        try client.encode(Message(content: content), into: &first)
        var second: [UInt8] = []
        try client.encode(Message(content: content), into: &second)
        let inner = try innerFrame(content)
        let headerSize = inner.count < 126 ? 2 : inner.count <= 0xFFFF ? 4 : 10
        #expect(first[1] & 0x80 != 0)
        let key = Array(first[headerSize..<(headerSize + 4)])
        #expect(key != Array(second[headerSize..<(headerSize + 4)]), "each frame gets its own key")
        let unmasked = first.dropFirst(headerSize + 4).enumerated().map { $0.element ^ key[$0.offset % 4] }
        #expect(unmasked == inner)

        var server = WebSocketFraming(role: .server, options: options())
        #expect(try decode(&server, first) == .message(expectedMessage(content), consumed: first.count))
        #expect(try decode(&server, second) == .message(expectedMessage(content), consumed: second.count))
    }

    @Test func maskingMatchesTheByteWiseDefinition() {
        var random = FastRandom(seed: 11)
        for count in 0..<40 {
            let data = random.bytes(count)
            let key = random.bytes(4)
            var masked = data
            let word = key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            masked.withUnsafeMutableBytes { WebSocketFraming.mask($0, key: UInt64(word) | UInt64(word) << 32) }
            #expect(masked == data.enumerated().map { $0.element ^ key[$0.offset % 4] })
        }
    }

    @Test func serverRejectsUnmaskedFramesAndClientRejectsMaskedOnes() throws {
        let inner = try innerFrame([1, 2, 3])
        var server = WebSocketFraming(role: .server, options: options())
        #expect(throws: FrameError.webSocket(.unmaskedClientFrame)) { try decode(&server, frame(0x2, inner, key: nil)) }
        var client = WebSocketFraming(role: .client, options: options())
        #expect(throws: FrameError.webSocket(.maskedServerFrame)) { try decode(&client, frame(0x2, inner)) }
    }

    @Test func everyPrefixAsksForMoreAndNothingIsUnmaskedEarly() throws {
        let bytes = frame(0x2, try innerFrame(Array(0..<200)))
        var server = WebSocketFraming(role: .server, options: options())
        for count in 0..<bytes.count {
            var prefix = Array(bytes.prefix(count))
            let before = prefix
            let result = try prefix.withUnsafeMutableBytes { try server.decode($0, arrivingOn: 42) }
            guard case .needMore(let size) = result else {
                Issue.record("prefix of \(count) bytes decoded as \(result)")
                return
            }
            if count >= 4 { #expect(size == bytes.count) }
            #expect(prefix == before)
        }
        #expect(try decode(&server, bytes) == .message(expectedMessage(Array(0..<200)), consumed: bytes.count))
    }

    /// A message in three fragments with a ping between the first two: the ping is answered at once, the
    /// message is delivered whole when its last fragment arrives.
    @Test func reassemblesFragmentsAroundAnInterleavedPing() throws {
        let content = Array(UInt8(0)..<UInt8(100))
        let inner = try innerFrame(content)
        let parts = [Array(inner[0..<10]), Array(inner[10..<70]), Array(inner[70...])]
        var server = WebSocketFraming(role: .server, options: options())
        let stream = [frame(0x2, parts[0], final: false), frame(0x9, Array("are you there".utf8)),
                      frame(0x0, parts[1], final: false), frame(0xA, []), frame(0x0, parts[2])]
        #expect(try decode(&server, stream[0]) == .consumed(stream[0].count, reply: nil))
        #expect(try decode(&server, stream[1]) == .consumed(stream[1].count, reply: .pong(Array("are you there".utf8))))
        #expect(try decode(&server, stream[2]) == .consumed(stream[2].count, reply: nil))
        #expect(try decode(&server, stream[3]) == .consumed(stream[3].count, reply: nil))
        #expect(try decode(&server, stream[4]) == .message(expectedMessage(content), consumed: stream[4].count))
        // And the next message starts afresh.
        let next = frame(0x2, try innerFrame([9]))
        #expect(try decode(&server, next) == .message(expectedMessage([9]), consumed: next.count))
    }

    /// The limit is checked from the length field: a 1 TiB claim is rejected from its 14 header bytes.
    @Test func oversizeLengthIsRejectedFromTheHeader() {
        var server = WebSocketFraming(role: .server, options: options(max: 1024))
        let limit = 1024 + WebSocketFraming.frameOverhead
        let header: [UInt8] = [0x82, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0] + Self.key
        #expect(throws: FrameError.webSocket(.messageTooLarge(length: 1 << 40, limit: limit))) {
            try decode(&server, header)
        }
        let sixteen: [UInt8] = [0x82, 0x80 | 126, 0xFF, 0xFF]
        #expect(throws: FrameError.webSocket(.messageTooLarge(length: 0xFFFF, limit: limit))) {
            try decode(&server, sixteen)
        }
        #expect(throws: FrameError.webSocket(.invalidLength)) {
            try decode(&server, [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0])
        }
    }

    /// Fragments count towards the limit as they come: the fragment that would cross it is rejected from its
    /// header.
    @Test func runningFragmentTotalIsLimited() throws {
        var server = WebSocketFraming(role: .server, options: options(max: 100, raw: true))
        let first = frame(0x2, [UInt8](repeating: 1, count: 60), final: false)
        #expect(try decode(&server, first) == .consumed(first.count, reply: nil))
        let header: [UInt8] = [0x00, 0x80 | 50] + Self.key
        #expect(throws: FrameError.webSocket(.messageTooLarge(length: 110, limit: 100))) { try decode(&server, header) }
    }

    /// Within the frame limit, the content limit is the multisocket codec's, reported as for tcp.
    @Test func contentLimitIsTheCodecs() throws {
        var server = WebSocketFraming(role: .server, options: options(max: 100))
        let fits = frame(0x2, try innerFrame([UInt8](repeating: 1, count: 100)))
        let expected = expectedMessage([UInt8](repeating: 1, count: 100))
        #expect(try decode(&server, fits) == .message(expected, consumed: fits.count))
        let over = frame(0x2, try innerFrame([UInt8](repeating: 1, count: 101)))
        #expect(throws: FrameError.tooLarge(length: 101, limit: 100)) { try decode(&server, over) }
    }

    @Test func payloadMustBeExactlyOneFrame() throws {
        var server = WebSocketFraming(role: .server, options: options())
        let inner = try innerFrame([1, 2, 3])
        #expect(throws: FrameError.lengthMismatch(expected: inner.count, actual: inner.count + 1)) {
            try decode(&server, frame(0x2, inner + [0]))
        }
        var other = WebSocketFraming(role: .server, options: options())
        #expect(throws: FrameError.lengthMismatch(expected: inner.count, actual: inner.count - 1)) {
            try decode(&other, frame(0x2, Array(inner.dropLast())))
        }
    }

    struct Violation: Sendable, CustomStringConvertible {
        var description: String
        var bytes: [UInt8]
        var error: FrameError
    }

    static let key2: [UInt8] = [1, 2, 3, 4]

    @Test(arguments: [
        Violation(description: "text frame", bytes: [0x81, 0x82] + key2 + [0x69, 0x6B],
                  error: .webSocket(.textMessage)),
        Violation(description: "rsv1", bytes: [0xC2, 0x80] + key2, error: .webSocket(.reservedBitsSet)),
        Violation(description: "opcode 3", bytes: [0x83, 0x80] + key2, error: .webSocket(.reservedOpcode(3))),
        Violation(description: "opcode 0xB", bytes: [0x8B, 0x80] + key2, error: .webSocket(.reservedOpcode(0xB))),
        Violation(description: "fragmented ping", bytes: [0x09, 0x80] + key2,
                  error: .webSocket(.malformedControlFrame)),
        Violation(description: "126-byte ping", bytes: [0x89, 0x80 | 126, 0, 126] + key2,
                  error: .webSocket(.malformedControlFrame)),
        Violation(description: "continuation first", bytes: [0x80, 0x80] + key2,
                  error: .webSocket(.unexpectedContinuation)),
        Violation(description: "one-byte close", bytes: [0x88, 0x81] + key2 + [0],
                  error: .webSocket(.invalidClosePayload)),
    ])
    func rejectsViolations(_ violation: Violation) {
        var server = WebSocketFraming(role: .server, options: options())
        #expect(throws: violation.error) { try decode(&server, violation.bytes) }
    }

    @Test func newMessageBeforeTheLastFragmentIsRejected() throws {
        var server = WebSocketFraming(role: .server, options: options())
        let first = frame(0x2, [0, 16], final: false)
        #expect(try decode(&server, first) == .consumed(first.count, reply: nil))
        #expect(throws: FrameError.webSocket(.unfinishedMessage)) { try decode(&server, frame(0x2, [1])) }
    }

    @Test func closeFrameIsAnsweredWithItsCode() throws {
        var server = WebSocketFraming(role: .server, options: options())
        let normal = frame(0x8, [0x03, 0xE8] + Array("bye".utf8))
        #expect(try decode(&server, normal) == .peerClosed(consumed: normal.count, reply: .close(code: 1000)))
        let empty = frame(0x8, [])
        #expect(try decode(&server, empty) == .peerClosed(consumed: empty.count, reply: .close(code: nil)))
        let reserved = frame(0x8, [0x03, 0xED])  // 1005 must never be sent: answered with 1002
        #expect(try decode(&server, reserved) == .peerClosed(consumed: reserved.count, reply: .close(code: 1002)))
    }

    @Test func repliesAndCloseFramesAreEncodedForTheRole() {
        var server = WebSocketFraming(role: .server, options: options())
        var bytes: [UInt8] = []
        server.encode(reply: .pong([7, 8]), into: &bytes)
        #expect(bytes == [0x8A, 2, 7, 8])
        bytes = []
        server.encodeClose(reason: .webSocket(.textMessage), into: &bytes)
        #expect(bytes == [0x88, 2, 0x03, 0xEB])  // 1003
        bytes = []
        server.encodeClose(reason: .webSocket(.messageTooLarge(length: 2, limit: 1)), into: &bytes)
        #expect(bytes == [0x88, 2, 0x03, 0xF1])  // 1009

        var client = WebSocketFraming(role: .client, options: options())
        bytes = []
        client.encodeClose(reason: nil, into: &bytes)
        #expect(bytes.count == 8 && bytes[0] == 0x88 && bytes[1] == 0x82)
        #expect([bytes[6] ^ bytes[2], bytes[7] ^ bytes[3]] == [0x03, 0xE8])  // 1000, masked
    }

    /// Raw pipes: each binary message carries plain content, both ways.
    @Test func rawContentTravelsAsPlainBinaryMessages() throws {
        var server = WebSocketFraming(role: .server, options: options(raw: true))
        var bytes: [UInt8] = []
        server.encode(rawContent: Array("hello".utf8), into: &bytes)
        #expect(bytes == [0x82, 5] + Array("hello".utf8))

        let incoming = frame(0x2, Array("world".utf8))
        guard case .message(let message, let consumed) = try decode(&server, incoming) else {
            Issue.record("expected a message")
            return
        }
        #expect(consumed == incoming.count)
        #expect(message.content == Array("world".utf8))
        #expect(message.flags.contains(.raw))
        #expect(message.source == [42])
    }
}
