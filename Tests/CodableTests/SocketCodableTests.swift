import MultiSocketCodable
import MultiSocketTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct SocketCodableTests {
    @Test(arguments: codableTransports)
    func socketSendsAndReceivesCodableValues(over transport: ConformanceTransport) async throws {
        let client = Socket(), server = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "codable-socket")
        let order = Order(id: 7, item: "tea", quantities: [1.5, 2])
        try await client.send(encoding: order)
        let received = try await withTimeout(20, "order") { try await server.receive(decoding: Order.self) }
        #expect(received == order)
        try await client.send(encoding: order)
        let message = try await withTimeout(20, "message") { try await server.receive() }
        #expect(try message.decode(Order.self) == order)
        try await server.sendTo(message.source, encoding: Receipt(orderID: 7, accepted: true))
        let receipt = try await withTimeout(20, "receipt") {
            try await client.receive(decoding: Receipt.self, timeout: .seconds(20))
        }
        #expect(receipt == Receipt(orderID: 7, accepted: true))
        await client.close()
        await server.close()
    }

    /// `String` and `[UInt8]` are themselves `Encodable`: the unlabeled sends must stay text and bytes, and only
    /// the `encoding:` label makes JSON.
    @Test func stringsAndBytesAreNeverSilentlyJSON() async throws {
        let client = Socket(), server = Socket()
        try await Marry.connect(client, to: server, over: .inproc, label: "codable-overloads")
        let raw: [UInt8] = [0x22, 0x01, 0xFF]
        try await client.send("hello")
        try await client.send(raw)
        try await client.send(contentsOf: raw[1...])
        try await client.send(encoding: "hello")
        try await client.send(encoding: raw)
        try await client.send(encoding: Order(id: 1, item: "x", quantities: []))
        var contents: [[UInt8]] = []
        for _ in 0..<6 { contents.append(try await withTimeout(20, "content") { try await server.receive() }.content) }
        #expect(contents[0] == bytes("hello"))
        #expect(contents[1] == raw)
        #expect(contents[2] == [0x01, 0xFF])
        #expect(contents[3] == bytes("\"hello\""))
        #expect(contents[4] == bytes("[34,1,255]"))
        #expect(try JSONMessageCoder().decode(Order.self, from: contents[5]) == Order(id: 1, item: "x", quantities: []))
        await client.close()
        await server.close()
    }

    @Test(arguments: codableTransports)
    func undecodableContentIsATypedErrorThatKeepsTheMessage(over transport: ConformanceTransport) async throws {
        let client = Socket(), server = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "codable-bad")
        try await client.send("not json at all")
        try await client.send(encoding: Receipt(orderID: 1, accepted: false))  // JSON, but of another shape
        try await client.send(encoding: Order(id: 2, item: "ok", quantities: [3]))
        for expected in [bytes("not json at all"), try JSONMessageCoder().encode(Receipt(orderID: 1, accepted: false))] {
            let error = await thrown { _ = try await withTimeout(20, "bad") { try await server.receive(decoding: Order.self) } }
            let failure = try #require(error as? ContentCodingError)
            #expect(failure.direction == .decoding)
            #expect(failure.typeName == "Order")
            #expect(failure.content == expected)
            #expect(failure.message?.content == expected)
            #expect(failure.message?.source.isEmpty == false, "the message keeps the path back to its sender")
            #expect("\(failure)".contains("Order"))
        }
        // The failures consumed only their own messages: the next one decodes.
        let good = try await withTimeout(20, "good") { try await server.receive(decoding: Order.self) }
        #expect(good == Order(id: 2, item: "ok", quantities: [3]))
        await client.close()
        await server.close()
    }

    @Test func unencodableValueIsATypedErrorAndSendsNothing() async throws {
        let client = Socket(), server = Socket()
        try await Marry.connect(client, to: server, over: .inproc, label: "codable-nan")
        let error = await thrown { try await client.send(encoding: Order(id: 1, item: "nan", quantities: [.nan])) }
        let failure = try #require(error as? ContentCodingError)
        #expect(failure.direction == .encoding)
        #expect(failure.typeName == "Order")
        #expect(client.statistics.messagesSent == 0)
        await client.close()
        await server.close()
    }

    @Test(arguments: codableTransports)
    func theCoderIsReplaceable(over transport: ConformanceTransport) async throws {
        let client = Socket(), server = Socket()
        try await Marry.connect(client, to: server, over: transport, label: "codable-coder")
        let order = Order(id: 3, item: "coffee", quantities: [1])
        try await client.send(encoding: order, coder: InvertingCoder())
        try await client.send(encoding: order, coder: InvertingCoder())
        let decoded = try await withTimeout(20, "inverted") {
            try await server.receive(decoding: Order.self, coder: InvertingCoder())
        }
        #expect(decoded == order)
        // The default JSON coder cannot read it: the coders really differ.
        let error = await thrown { _ = try await withTimeout(20, "json") { try await server.receive(decoding: Order.self) } }
        #expect((error as? ContentCodingError)?.direction == .decoding)
        await client.close()
        await server.close()
    }
}
