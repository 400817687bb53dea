import Glibc
import MultiSocket
@testable import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// Hand-made WebSocket bytes for playing a client or server byte by byte.
enum WS {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    static let maskKey: [UInt8] = [0x12, 0x34, 0x56, 0x78]

    static func requestLines(path: String) -> [String] {
        ["GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: multisocket.binary"]
    }

    static func http(_ lines: [String]) -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    /// A frame, masked when `masked` (as a client sends).
    static func frame(_ opcode: UInt8, _ payload: [UInt8], final: Bool = true, masked: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(final ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        guard masked else { return bytes + payload }
        return bytes + maskKey + payload.enumerated().map { $0.element ^ maskKey[$0.offset % 4] }
    }

    /// A multisocket frame: to-one, ttl 16, no path.
    static func inner(_ content: [UInt8]) -> [UInt8] {
        [0, 16, 0, 0] + bigEndianBytes(UInt32(content.count)) + content
    }

    /// Reads one frame from `client`; returns opcode and unmasked payload (empty opcode 0xFF on failure).
    static func readFrame(_ client: PlainClient) async -> (opcode: UInt8, payload: [UInt8]) {
        let head = await client.read(count: 2)
        guard head.count == 2 else { return (0xFF, []) }
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let extended = await client.read(count: 2)
            guard extended.count == 2 else { return (0xFF, []) }
            length = Int(extended[0]) << 8 | Int(extended[1])
        }
        let key = head[1] & 0x80 != 0 ? await client.read(count: 4) : []
        let payload = await client.read(count: length)
        guard payload.count == length else { return (0xFF, []) }
        if key.count == 4 { return (head[0] & 0x0F, payload.enumerated().map { $0.element ^ key[$0.offset % 4] }) }
        return (head[0] & 0x0F, payload)
    }

    /// Performs a good client handshake on `client` for `path`.
    static func handshake(_ client: PlainClient, path: String) async throws {
        try client.write(http(requestLines(path: path)))
        let header = String(decoding: await client.readHeader(), as: UTF8.self)
        #expect(header.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(header.contains("Sec-WebSocket-Accept: \(accept)\r\n"))
        #expect(header.contains("Sec-WebSocket-Protocol: multisocket.binary\r\n"))
    }

    static func expectStillServes(_ server: Socket, at address: Address) async throws {
        let client = Socket()
        try await Marry.connect(client, to: server, at: "\(address)")
        try await client.send(Array("fine".utf8))
        let message = try await withTimeout(10, "a message from a good client") { try await server.receive() }
        #expect(message.content == Array("fine".utf8))
        await client.close()
    }
}

/// The ws transport beyond the conformance suite: shared ports, handshakes, RFC 6455 framing on the wire.
@Suite(.timeLimit(.minutes(1)))
struct WebSocketTransportTests {
    /// Two sockets listen on one port under different paths; each gets only its own clients' traffic. The
    /// same path twice is `addressInUse`; a closed path answers 404; the last close frees the port.
    @Test func severalPathsShareOnePort() async throws {
        let a = Socket()
        let b = Socket()
        let boundA = try a.listen("ws://127.0.0.1:0/a")
        let wsPort = try #require(port(of: boundA))
        #expect(wsPort != 0)
        #expect(boundA == Address(scheme: "ws", host: "127.0.0.1", port: wsPort, path: "/a"))
        let boundB = try b.listen("ws://127.0.0.1:\(wsPort)/b")
        #expect(boundB == Address(scheme: "ws", host: "127.0.0.1", port: wsPort, path: "/b"))
        #expect(throws: MultiSocketError(.addressInUse)) { try b.listen("ws://127.0.0.1:\(wsPort)/a") }
        #expect(throws: MultiSocketError(.addressInUse)) { try a.listen("ws://127.0.0.1:\(wsPort)/a") }
        #expect(throws: MultiSocketError(.addressInUse)) { try b.listen("tcp://127.0.0.1:\(wsPort)") }

        let clientA = Socket()
        let clientB = Socket()
        try await Marry.connect(clientA, to: a, at: "\(boundA)")
        try await Marry.connect(clientB, to: b, at: "\(boundB)")
        for index in 0..<5 {
            try await clientA.send(Array("a\(index)".utf8))
            try await clientB.send(Array("b\(index)".utf8))
        }
        for index in 0..<5 {
            #expect(try await a.receive().content == Array("a\(index)".utf8))
            #expect(try await b.receive().content == Array("b\(index)".utf8))
        }
        // Replies find their way back along each path.
        let request = try await withTimeout(10, "request") { () async throws -> Message in
            try await clientB.send(Array("ping".utf8))
            return try await b.receive()
        }
        try await b.sendTo(request.source, Array("pong".utf8))
        #expect(try await clientB.receive().content == Array("pong".utf8))
        #expect(a.statistics.messagesReceived == 5)
        #expect(b.statistics.messagesReceived == 6)

        await clientA.close()
        await a.close()
        let late = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        await #expect(throws: MultiSocketError(.connectionRefused)) { try await late.dial("\(boundA)") }
        await late.close()
        try await WS.expectStillServes(b, at: boundB)
        #expect(b.statistics.messagesReceived == 7)

        // A path can be listened on again while the port lives.
        let again = Socket()
        try again.listen("\(boundA)")
        try await WS.expectStillServes(again, at: boundA)
        await again.close()

        await clientB.close()
        await b.close()
        let reuse = Socket()
        try reuse.listen("tcp://127.0.0.1:\(wsPort)")
        await reuse.close()
    }

    @Test func unknownPathGets404() async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/known")
        let wsPort = try #require(port(of: bound))
        let raw = try PlainClient(port: wsPort)
        defer { raw.close() }
        try raw.write(WS.http(WS.requestLines(path: "/unknown")))
        let header = String(decoding: await raw.readHeader(), as: UTF8.self)
        #expect(header.hasPrefix("HTTP/1.1 404 "))
        #expect(await raw.readUntilClosed().isClosed)

        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        await #expect(throws: MultiSocketError(.connectionRefused)) {
            try await client.dial("ws://127.0.0.1:\(wsPort)/unknown")
        }
        #expect(server.statistics.pipesAdded == 0)
        try await WS.expectStillServes(server, at: bound)
        await client.close()
        await server.close()
    }

    struct BadRequest: Sendable, CustomStringConvertible {
        var description: String
        var bytes: [UInt8]
    }

    static func replacing(_ prefix: String, with line: String?) -> [UInt8] {
        WS.http(WS.requestLines(path: "/good").compactMap { $0.hasPrefix(prefix) ? line : $0 })
    }

    static let badRequests = [
        BadRequest(description: "bad key", bytes: replacing("Sec-WebSocket-Key", with: "Sec-WebSocket-Key: short")),
        BadRequest(description: "wrong version",
                   bytes: replacing("Sec-WebSocket-Version", with: "Sec-WebSocket-Version: 8")),
        BadRequest(description: "missing Upgrade", bytes: replacing("Upgrade", with: nil)),
        BadRequest(description: "missing Connection", bytes: replacing("Connection", with: nil)),
        BadRequest(description: "not GET", bytes: replacing("GET", with: "PUT /good HTTP/1.1")),
        BadRequest(description: "no subprotocol", bytes: replacing("Sec-WebSocket-Protocol", with: nil)),
        BadRequest(description: "header over 8 KiB",
                   bytes: Array("GET /good HTTP/1.1\r\n".utf8)
                       + Array(String(repeating: "X-Padding: 0123456789abcdef\r\n", count: 400).utf8)),
        BadRequest(description: "garbage", bytes: Array("\u{16}\u{03}\u{01}\r\n\r\n".utf8)),
        BadRequest(description: "NUL in a value", bytes: replacing("Host", with: "Host: 127.0.0.1\u{0}evil")),
        BadRequest(description: "control byte in a value", bytes: replacing("Host", with: "Host: 127.0.0.1\u{1b}[2J")),
        BadRequest(description: "DEL in a value", bytes: replacing("Host", with: "Host: 127.0.0.1\u{7f}")),
        BadRequest(description: "bare LF in a value",
                   bytes: replacing("Host", with: "Host: 127.0.0.1\nX-Injected: yes")),
        BadRequest(description: "bare CR in a value",
                   bytes: replacing("Host", with: "Host: 127.0.0.1\rX-Injected: yes")),
    ]

    /// Each bad request gets HTTP 400 and a closed connection, makes no pipe, and the listener keeps serving.
    @Test(arguments: WebSocketTransportTests.badRequests)
    func badHandshakeGets400(_ bad: BadRequest) async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/good")
        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        try raw.write(bad.bytes)
        let header = String(decoding: await raw.readHeader(), as: UTF8.self)
        #expect(header.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "got \(header)")
        if bad.description == "wrong version" { #expect(header.contains("Sec-WebSocket-Version: 13\r\n")) }
        #expect(await raw.readUntilClosed().isClosed)
        #expect(server.statistics.pipesAdded == 0)
        try await WS.expectStillServes(server, at: bound)
        #expect(server.statistics.pipesAdded == 1)
        await server.close()
    }

    /// A client that connects and says nothing is disconnected once the handshake deadline passes.
    @Test func silentClientIsClosedAfterTheHandshakeTimeout() async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/silent")
        let raw = try PlainClient(port: try #require(port(of: bound)), timeout: 30)
        defer { raw.close() }
        try raw.write(Array("GET /silent HTTP/1.1\r\n".utf8))  // and nothing more
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await raw.readUntilClosed() == .closed(bytes: 0))
        let waited = clock.now - start
        #expect(waited >= WebSocketTransport.handshakeTimeout - .milliseconds(100))
        #expect(waited < WebSocketTransport.handshakeTimeout + .seconds(5))
        try await WS.expectStillServes(server, at: bound)
        await server.close()
    }

    /// On the wire: a fragmented message with a ping between its fragments, a pong back at once, the reply
    /// as one unmasked binary message, and the close handshake.
    @Test func fragmentsPingAndCloseOnTheWire() async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/wire")
        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        try await WS.handshake(raw, path: "/wire")
        await Marry.waitForPipes(server, count: 1)

        let inner = WS.inner(Array("fragmented hello".utf8))
        try raw.write(WS.frame(0x2, Array(inner[0..<5]), final: false))
        try raw.write(WS.frame(0x9, Array("ping?".utf8)))
        let pong = await WS.readFrame(raw)
        #expect(pong.opcode == 0xA)
        #expect(pong.payload == Array("ping?".utf8))
        try raw.write(WS.frame(0x0, Array(inner[5..<12]), final: false) + WS.frame(0x0, Array(inner[12...])))
        let message = try await withTimeout(10, "the reassembled message") { try await server.receive() }
        #expect(message.content == Array("fragmented hello".utf8))

        try await server.sendTo(message.source, Array("reply".utf8))
        let reply = await WS.readFrame(raw)
        #expect(reply.opcode == 0x2)
        let pipeID = try #require(message.pipeID)
        #expect(reply.payload == [0x02, 16, 0, 1, 0, 0, 0, 5] + bigEndianBytes(pipeID) + Array("reply".utf8))

        try raw.write(WS.frame(0x8, [0x03, 0xE8]))
        let close = await WS.readFrame(raw)
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xE8])
        #expect(await raw.readUntilClosed().isClosed)
        await Marry.waitForPipesDown(server, to: 0)
        #expect(server.statistics.rejectedFrames == 0)
        await server.close()
    }

    struct Violation: Sendable, CustomStringConvertible {
        var description: String
        var bytes: [UInt8]
        var reason: FrameError
        var closeCode: UInt16
    }

    static let violations = [
        Violation(description: "unmasked frame", bytes: WS.frame(0x2, WS.inner([1]), masked: false),
                  reason: .webSocket(.unmaskedClientFrame), closeCode: 1002),
        Violation(description: "text frame", bytes: WS.frame(0x1, Array("hi".utf8)), reason: .webSocket(.textMessage),
                  closeCode: 1003),
        Violation(description: "1 TiB length", bytes: [0x82, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0] + WS.maskKey,
                  reason: .webSocket(.messageTooLarge(length: 1 << 40, limit: 1024 + WebSocketFraming.frameOverhead)),
                  closeCode: 1009),
        Violation(description: "content over the limit",
                  bytes: WS.frame(0x2, WS.inner([UInt8](repeating: 0, count: 1025))),
                  reason: .tooLarge(length: 1025, limit: 1024), closeCode: 1009),
        Violation(description: "two frames in one message", bytes: WS.frame(0x2, WS.inner([1]) + WS.inner([2])),
                  reason: .lengthMismatch(expected: 9, actual: 18), closeCode: 1002),
        Violation(description: "reserved opcode", bytes: WS.frame(0x3, []), reason: .webSocket(.reservedOpcode(3)),
                  closeCode: 1002),
    ]

    /// Each violation is rejected (counted, reported), answered with a close frame carrying a matching status,
    /// and closes only its connection.
    @Test(arguments: WebSocketTransportTests.violations)
    func violationClosesThePipe(_ violation: Violation) async throws {
        let server = Socket(options: SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: 1024))))
        let bound = try server.listen("ws://127.0.0.1:0/strict")
        let events = server.events()
        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        try await WS.handshake(raw, path: "/strict")
        try raw.write(violation.bytes)
        let reason = try await Await.event(events, "frameRejected for \(violation)") { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == violation.reason)
        let close = await WS.readFrame(raw)
        #expect(close.opcode == 0x8)
        #expect(close.payload == [UInt8(violation.closeCode >> 8), UInt8(violation.closeCode & 0xFF)])
        #expect(await raw.readUntilClosed().isClosed)
        await Marry.waitForPipesDown(server, to: 0)
        #expect(server.statistics.rejectedFrames == 1)
        #expect(server.statistics.messagesReceived == 0)
        try await WS.expectStillServes(server, at: bound)
        await server.close()
    }

    /// Raw pipes over ws: each binary message carries plain content; start and end are explicit.
    @Test func rawPipesCarryPlainContent() async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/raw?raw=true")
        let client = Socket()
        try await client.dial("\(bound)")  // the bound address keeps the query: this end is raw too
        let clientSide = try await client.receive()
        #expect(clientSide.kind == .connected)
        let serverSide = try await server.receive()
        #expect(serverSide.kind == .connected)

        try await client.sendTo(clientSide.source, Array("hello".utf8))
        let data = try await server.receive()
        #expect(data.kind == .data)
        #expect(data.flags.contains(.raw))
        #expect(data.content == Array("hello".utf8))
        #expect(data.source == serverSide.source)
        try await server.sendTo(data.source, Array("world".utf8))
        #expect(try await client.receive().content == Array("world".utf8))

        await client.close()
        let end = try await withTimeout(10, "end of stream") { try await server.receive() }
        #expect(end.kind == .endOfStream)
        await server.close()
    }

    /// A hand-made client on a raw ws listener: no subprotocol, plain content in a binary message.
    @Test func plainWebSocketClientOnARawListener() async throws {
        let server = Socket()
        let bound = try server.listen("ws://127.0.0.1:0/raw", options: EndpointOptions(raw: true))
        let raw = try PlainClient(port: try #require(port(of: bound)))
        defer { raw.close() }
        try raw.write(WS.http(WS.requestLines(path: "/raw").filter { !$0.hasPrefix("Sec-WebSocket-Protocol") }))
        let header = String(decoding: await raw.readHeader(), as: UTF8.self)
        #expect(header.hasPrefix("HTTP/1.1 101 "))
        #expect(!header.contains("Sec-WebSocket-Protocol"))
        #expect(try await server.receive().kind == .connected)
        try raw.write(WS.frame(0x2, Array("plain".utf8)))
        let data = try await server.receive()
        #expect(data.content == Array("plain".utf8))
        try await server.sendTo(data.source, Array("back".utf8))
        let reply = await WS.readFrame(raw)
        #expect(reply.opcode == 0x2)
        #expect(reply.payload == Array("back".utf8))
        await server.close()
    }

    /// Framed and raw ends do not mix: the handshake fails with a typed error.
    @Test func framedAndRawEndsRefuseEachOther() async throws {
        let rawServer = Socket()
        let rawBound = try rawServer.listen("ws://127.0.0.1:0/raw", options: EndpointOptions(raw: true))
        let framed = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        await #expect(throws: MultiSocketError(.protocolMismatch)) { try await framed.dial("\(rawBound)") }

        let framedServer = Socket()
        let framedBound = try framedServer.listen("ws://127.0.0.1:0/framed")
        let rawClient = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        await #expect(throws: MultiSocketError(.protocolMismatch)) {
            try await rawClient.dial("\(framedBound)?raw=true")
        }
        #expect(framedServer.statistics.pipesAdded == 0)
        for socket in [rawServer, framed, framedServer, rawClient] { await socket.close() }
    }
}

/// The dialing side against a hand-made server.
@Suite(.timeLimit(.minutes(1)))
struct WebSocketClientTests {
    /// Accepts the client's connection and returns it with the key its request carried.
    private func acceptRequest(on listener: PlainListener) async throws -> (PlainClient, String) {
        let connection = try await listener.accept()
        let request = String(decoding: await connection.readHeader(), as: UTF8.self)
        #expect(request.hasPrefix("GET /x HTTP/1.1\r\n"))
        #expect(request.contains("Sec-WebSocket-Protocol: multisocket.binary\r\n"))
        let keyLine = request.split(separator: "\r\n").first { $0.hasPrefix("Sec-WebSocket-Key: ") }
        return (connection, String(try #require(keyLine).dropFirst("Sec-WebSocket-Key: ".count)))
    }

    private func goodResponse(_ key: String, subprotocol: String? = "multisocket.binary") -> [UInt8] {
        var lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Accept: \(WebSocketHandshake.acceptValue(for: key))"]
        if let subprotocol { lines.append("Sec-WebSocket-Protocol: \(subprotocol)") }
        return WS.http(lines)
    }

    struct BadResponse: Sendable, CustomStringConvertible {
        var description: String
        var response: @Sendable (String) -> [UInt8]?
        var expected: MultiSocketError.Code
    }

    static let badResponses = [
        BadResponse(description: "HTTP 500", response: { _ in WS.http(["HTTP/1.1 500 Oops", "Content-Length: 0"]) },
                    expected: .protocolMismatch),
        BadResponse(description: "HTTP 404",
                    response: { _ in WS.http(["HTTP/1.1 404 Not Found", "Content-Length: 0"]) },
                    expected: .connectionRefused),
        BadResponse(description: "wrong accept", response: { _ in
            WS.http(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Accept: \(WS.accept)", "Sec-WebSocket-Protocol: multisocket.binary"])
        }, expected: .protocolMismatch),
        BadResponse(description: "no subprotocol", response: { key in
            WS.http(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Accept: \(WebSocketHandshake.acceptValue(for: key))"])
        }, expected: .protocolMismatch),
        BadResponse(description: "not HTTP", response: { _ in Array("SSH-2.0-OpenSSH\r\n\r\n".utf8) },
                    expected: .protocolMismatch),
        BadResponse(description: "closed without answering", response: { _ in nil }, expected: .connectionRefused),
    ]

    @Test(arguments: WebSocketClientTests.badResponses)
    func badResponseFailsTheDial(_ bad: BadResponse) async throws {
        let listener = try PlainListener()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let dialing = Task { try await client.dial("ws://127.0.0.1:\(listener.port)/x") }
        let (connection, key) = try await acceptRequest(on: listener)
        if let response = bad.response(key) { try connection.write(response) } else { connection.close() }
        await #expect(throws: MultiSocketError(bad.expected)) { try await dialing.value }
        #expect(client.statistics.pipesAdded == 0)
        connection.close()
        await client.close()
    }

    /// Frames sent right behind the 101 response (one write) are not lost; pings are answered; a server's
    /// close frame is answered and ends the pipe.
    @Test func framesBehindTheResponsePingAndServerClose() async throws {
        let listener = try PlainListener()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let dialing = Task { try await client.dial("ws://127.0.0.1:\(listener.port)/x") }
        let (connection, key) = try await acceptRequest(on: listener)
        defer { connection.close() }
        try connection.write(goodResponse(key) + WS.frame(0x2, WS.inner(Array("early".utf8)), masked: false))
        try await dialing.value
        #expect(try await client.receive().content == Array("early".utf8))

        try connection.write(WS.frame(0x9, Array("abc".utf8), masked: false))
        let pong = await WS.readFrame(connection)
        #expect(pong.opcode == 0xA)
        #expect(pong.payload == Array("abc".utf8))

        try await client.send(Array("up".utf8))
        let data = await WS.readFrame(connection)
        #expect(data.opcode == 0x2)
        #expect(data.payload == WS.inner(Array("up".utf8)))

        try connection.write(WS.frame(0x8, [0x03, 0xE9], masked: false))  // 1001 going away
        let close = await WS.readFrame(connection)
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xE9])
        #expect(await connection.readUntilClosed().isClosed)
        await Marry.waitForPipesDown(client, to: 0)
        await client.close()
    }

    @Test func maskedServerFrameIsRejected() async throws {
        let listener = try PlainListener()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let events = client.events()
        let dialing = Task { try await client.dial("ws://127.0.0.1:\(listener.port)/x") }
        let (connection, key) = try await acceptRequest(on: listener)
        defer { connection.close() }
        try connection.write(goodResponse(key))
        try await dialing.value
        try connection.write(WS.frame(0x2, WS.inner([1]), masked: true))
        let reason = try await Await.event(events, "frameRejected") { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == .webSocket(.maskedServerFrame))
        let close = await WS.readFrame(connection)
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xEA])  // 1002 protocol error
        #expect(await connection.readUntilClosed().isClosed)
        #expect(client.statistics.rejectedFrames == 1)
        await client.close()
    }

    /// Closing our side sends a close frame first.
    @Test func closingSendsACloseFrame() async throws {
        let listener = try PlainListener()
        let client = Socket(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        let dialing = Task { try await client.dial("ws://127.0.0.1:\(listener.port)/x") }
        let (connection, key) = try await acceptRequest(on: listener)
        defer { connection.close() }
        try connection.write(goodResponse(key))
        try await dialing.value
        await client.close()
        let close = await WS.readFrame(connection)
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xE8])
        #expect(await connection.readUntilClosed().isClosed)
    }
}
