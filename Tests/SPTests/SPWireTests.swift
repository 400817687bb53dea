import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// The SP wire byte for byte: the framing's encoding of each kind of message, the backtrace mapping onto
/// paths, the spProtocol option, and plain sockets on the SP wire.
@Suite(.timeLimit(.minutes(1)))
struct SPWireTests {
    static let rep = PipeOptions()

    /// A reply leaving a REP by pipe 7 along `[7, 3, 4]` carries the hops 3 and 4, then the id and body.
    @Test func replyCarriesItsRemainingHopsAsBacktrace() throws {
        let framing = SPFraming(mapping: .tcp, local: 0x31, options: Self.rep)
        let reply = Message(content: [0x80, 0, 0, 9, 0x41], sendType: .toDest, destination: [7, 3, 4])
        var buffer: [UInt8] = []
        #expect(try framing.encodeHeader(reply, into: &buffer))
        #expect(buffer == SPHostileTests.length(13) + [0, 0, 0, 3, 0, 0, 0, 4])
    }

    /// A request a REQ forwards after crossing pipes 5 and 6 carries them as hops; ipc puts type 1 first.
    @Test func forwardedRequestCarriesItsSourceAsBacktrace() throws {
        var framing = SPFraming(mapping: .ipc, local: 0x30, options: Self.rep)
        let request = Message(content: [0x80, 0, 0, 1], source: [5, 6])
        var buffer: [UInt8] = []
        try framing.encode(request, into: &buffer)
        #expect(buffer == [1] + SPHostileTests.length(12) + [0, 0, 0, 5, 0, 0, 0, 6, 0x80, 0, 0, 1])
    }

    /// Protocols without a header send the content alone, whatever path the message has.
    @Test func headerlessProtocolsSendContentOnly() throws {
        var framing = SPFraming(mapping: .tcp, local: 0x20, options: Self.rep)
        var buffer: [UInt8] = []
        try framing.encode(Message(content: [1, 2], source: [5]), into: &buffer)
        #expect(buffer == SPHostileTests.length(2) + [1, 2])
    }

    /// The socket's internal hello has no SP form: nothing is written for it.
    @Test func internalMessagesAreNotWritten() throws {
        var framing = SPFraming(mapping: .tcp, local: 0x31, options: Self.rep)
        var buffer: [UInt8] = []
        try framing.encode(Message(content: [0x4D, 0x53, 1, 0, 0x31, 0, 0x30], flags: .internal, ttl: 1), into: &buffer)
        #expect(buffer.isEmpty)
    }

    /// A request with two hops arrives at a REP with the arrival pipe and the hops as its source, the id
    /// in the content; at a REQ, a reply's hops become its destination.
    @Test func backtraceMapsOntoPaths() throws {
        let body: [UInt8] = [0, 0, 0, 3, 0, 0, 0, 4, 0x80, 0, 0, 9, 0x41]
        var unit = SPHostileTests.header(0x30) + SPHostileTests.length(UInt64(body.count)) + body
        var atRep = SPFraming(mapping: .tcp, local: 0x31, options: Self.rep)
        let request = try unit.withUnsafeMutableBytes { bytes in
            guard case .consumed(8, nil) = try atRep.decode(bytes, arrivingOn: 11) else { return nil as Message? }
            guard case .message(let message, _) = try atRep.decode(.init(rebasing: bytes[8...]), arrivingOn: 11)
            else { return nil }
            return message
        }
        #expect(request?.source == [11, 3, 4])
        #expect(request?.content == [0x80, 0, 0, 9, 0x41])
        unit = SPHostileTests.header(0x31) + SPHostileTests.length(UInt64(body.count)) + body
        var atReq = SPFraming(mapping: .tcp, local: 0x30, options: Self.rep)
        let reply = try unit.withUnsafeMutableBytes { bytes in
            _ = try atReq.decode(bytes, arrivingOn: 12)
            guard case .message(let message, _) = try atReq.decode(.init(rebasing: bytes[8...]), arrivingOn: 12)
            else { return nil as Message? }
            return message
        }
        #expect(reply?.sendType == .toDest)
        #expect(reply?.destination == [3, 4])
        #expect(reply?.source == [12])
    }

    /// `spProtocol` parses as hex or decimal; zero and junk are refused; an sp+ address rejects raw and an
    /// unknown protocol.
    @Test func spProtocolOption() throws {
        #expect(try EndpointOptions().applying([.init(name: "spProtocol", value: "0x31")]).spProtocol == 0x31)
        #expect(try EndpointOptions().applying([.init(name: "spprotocol", value: "48")]).spProtocol == 0x30)
        for bad in ["0", "0x", "x31", "70000", "-1"] {
            #expect(throws: MultiSocketError.self) {
                try EndpointOptions().applying([.init(name: "spProtocol", value: bad)])
            }
        }
        #expect(throws: MultiSocketError.self) { try Address("sp+tcp://127.0.0.1:1?raw=true") }
        #expect(throws: MultiSocketError.self) { try Address("sp+tcp://127.0.0.1:1?spProtocol=0x99") }
    }

    /// A plain socket without an identity must name its SP protocol; with `spProtocol` it serves our Req,
    /// seeing the request id at the head of the content as a role does.
    @Test func plainSocketNamesItsProtocol() async throws {
        let plain = Socket(sender: .toDest, receiver: .all)
        let error = #expect(throws: MultiSocketError.self) { try plain.listen("sp+tcp://127.0.0.1:0") }
        #expect(error?.code == .badAddress)
        let bound = try plain.listen("sp+tcp://127.0.0.1:0?spProtocol=0x31")
        let req = Req()
        try await req.dial(bound.endpoint)  // the bound address keeps the query, which would make Req announce 0x31
        let answering = Task {
            let request = try await plain.receive()
            #expect(request.content.first.map { $0 & 0x80 != 0 } == true)
            try await plain.sendTo(request.source, request.content + bytes("!"))
        }
        let reply = try await withTimeout(10, "a reply") { try await req.request(bytes("hi"), timeout: .seconds(8)) }
        #expect(text(reply) == "hi!")
        try await answering.value
        await req.close()
        await plain.close()
    }

    /// The hello a role sends on every new pipe has no SP form: it leaves nothing pending, so closing a socket
    /// whose SP pipe never carried a message does not wait out the linger time (60 s here) for it.
    @Test func unsentHelloLeavesNothingToFlush() async throws {
        let rep = Rep()
        let bound = try rep.listen("sp+tcp://127.0.0.1:0")
        let req = Req(options: SocketOptions(linger: .seconds(60)))
        try await req.dial(bound)
        await Marry.waitForPipes(rep.socket, count: 1)
        let start = ContinuousClock.now
        await req.close()
        await rep.close()
        #expect(ContinuousClock.now - start < .seconds(30), "close did not wait out the linger")
    }

    /// Right after its header, our side writes the first message and nothing before it (no hello).
    @Test func nothingPrecedesTheFirstMessage() async throws {
        let push = Push()
        let bound = try push.listen("sp+tcp://127.0.0.1:0")
        let events = push.events()
        let client = try PlainClient(bound)
        try client.write(SPHostileTests.header(0x51))
        await Marry.waitForPipe(events, unlessAlready: push.statistics.pipes > 0)
        try await push.send([0x78])
        #expect(await client.read(count: 17) == SPHostileTests.header(0x50) + SPHostileTests.length(1) + [0x78])
        client.close()
        await push.close()
    }
}

/// Random bytes after a well-formed peer header, for every protocol and both mappings: decoding either
/// yields units that fit in what was given, asks for more with a size within the limit, or throws a
/// ``FrameError`` — never traps, never asks for more than the limit allows.
@Suite struct SPFramingRandomInputTests {
    @Test(arguments: [UInt16(0x10), 0x21, 0x30, 0x31, 0x62, 0x63])
    func randomBodiesDecodeOrFailTyped(_ local: UInt16) throws {
        var random = FastRandom(seed: UInt64(local))
        let options = PipeOptions(endpoint: EndpointOptions(maxReceiveSize: 256))
        for round in 0..<2000 {
            let mapping: SPFraming.Mapping = round % 2 == 0 ? .tcp : .ipc
            var framing = SPFraming(mapping: mapping, local: local, options: options)
            let peer = SPProtocol.partner(of: local) ?? local
            // Half the rounds: a plausible prefix (type 1, a small length), so decoding gets past it.
            var bytes = SPHostileTests.header(peer)
            if round % 4 < 2 {
                if mapping == .ipc { bytes.append(1) }
                bytes += SPHostileTests.length(UInt64(random.bytes(1)[0]))
            }
            bytes += random.bytes(Int(random.bytes(1)[0]))
            bytes.withUnsafeMutableBytes { buffer in
                var start = 0
                while start < buffer.count {
                    let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[start...])
                    let result: StreamDecodeResult<Never>
                    do {
                        result = try framing.decode(rest, arrivingOn: 1)
                    } catch {
                        return
                    }
                    switch result {
                    case .message(_, let consumed), .expired(let consumed), .consumed(let consumed, _):
                        #expect(consumed > 0 && consumed <= rest.count)
                        start += consumed
                    case .needMore(let frameSize):
                        if let frameSize { #expect(frameSize > rest.count && frameSize <= 256 + 9 + 64) }
                        return
                    case .peerClosed:
                        Issue.record("the SP wire has no in-band close")
                        return
                    }
                }
            }
        }
    }
}
