import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Every role, with what the conformance suite needs to know about it.
enum Role: String, CaseIterable, CustomStringConvertible {
    case pair, pub, sub, req, rep, push, pull, surveyor, respondent, bus, busDevice

    var description: String { rawValue }

    func make() -> any ProtocolRole {
        switch self {
        case .pair: Pair()
        case .pub: Pub()
        case .sub: Sub()
        case .req: Req()
        case .rep: Rep()
        case .push: Push()
        case .pull: Pull()
        case .surveyor: Surveyor()
        case .respondent: Respondent()
        case .bus: Bus()
        case .busDevice: BusDevice()
        }
    }

    /// NNG's numbers: (own, peer).
    var numbers: (UInt16, UInt16) {
        switch self {
        case .pair: (0x10, 0x10)
        case .pub: (0x20, 0x21)
        case .sub: (0x21, 0x20)
        case .req: (0x30, 0x31)
        case .rep: (0x31, 0x30)
        case .push: (0x50, 0x51)
        case .pull: (0x51, 0x50)
        case .surveyor: (0x62, 0x63)
        case .respondent: (0x63, 0x62)
        case .bus, .busDevice: (0x70, 0x70)
        }
    }

    /// Whether `socket.send` (the to-one send) is allowed.
    var canSendFreely: Bool { [.pair, .pub, .req, .push, .surveyor, .bus].contains(self) }
    /// Whether the socket sends at all (path-addressed replies count).
    var sends: Bool { ![.sub, .pull].contains(self) }
    /// Whether the socket receives.
    var receives: Bool { ![.pub, .push].contains(self) }

    /// The role's own main operation, for checking it after close.
    func operate(_ role: any ProtocolRole) async throws {
        switch role {
        case let role as Pair: try await role.send([1])
        case let role as Pub: try await role.publish([1])
        case let role as Sub: _ = try await role.receive()
        case let role as Req: _ = try await role.request([1], timeout: .seconds(5))
        case let role as Rep: _ = try await role.receive()
        case let role as Push: try await role.send([1])
        case let role as Pull: _ = try await role.receive()
        case let role as Surveyor: _ = try await role.survey([1], deadline: .seconds(5))
        case let role as Respondent: _ = try await role.receive()
        case let role as Bus: try await role.send([1])
        case let role as BusDevice: _ = try await role.socket.receive()
        default: Issue.record("unknown role \(role)")
        }
    }
}

@Suite struct RoleConformanceTests {
    @Test(arguments: Role.allCases)
    func identityNumbers(_ kind: Role) async {
        let role = kind.make()
        #expect(role.identity.id == kind.numbers.0)
        #expect(role.identity.peer == kind.numbers.1)
        #expect(role.socket.options.identity == role.identity)
        await role.close()
    }

    @Test(arguments: Role.allCases)
    func forbiddenOperationsThrowNotSupported(_ kind: Role) async {
        let role = kind.make()
        if kind.canSendFreely {
            // Not sent: with no peer a to-one message would wait in the queue and hold close for the linger.
            #expect(role.socket.sendStrategy == .toOne || role.socket.sendStrategy == .toAll)
        } else {
            #expect(code(await thrown { try await role.socket.send([1]) }) == .notSupported)
        }
        if !kind.sends {
            #expect(code(await thrown { try await role.socket.sendAll([1]) }) == .notSupported)
            #expect(code(await thrown { try await role.socket.sendTo([1], [1]) }) == .notSupported)
        }
        if !kind.receives {
            #expect(code(await thrown { _ = try await role.socket.receive() }) == .notSupported)
        }
        await role.close()
    }

    @Test(arguments: Role.allCases)
    func closeIsIdempotentAndLaterOperationsThrowClosed(_ kind: Role) async {
        let role = kind.make()
        await role.close()
        await role.close()
        async let third: Void = role.close()
        async let fourth: Void = role.close()
        _ = await (third, fourth)
        #expect(code(await thrown { try await kind.operate(role) }) == .closed)
        #expect(code(await thrown { try await role.dial("inproc://after-close") }) == .closed)
        #expect(code(await thrown { _ = try role.listen("inproc://after-close") }) == .closed)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct PeerMismatchTests {
    /// Waits for a refusal on either socket and returns the reason.
    private func refusal(_ a: any ProtocolRole, _ b: any ProtocolRole,
                         connect: () async throws -> Void) async throws -> String? {
        let events = [a.events(), b.events()]
        try await connect()
        return await withTaskGroup(of: String?.self) { group in
            for stream in events {
                group.addTask {
                    for await event in stream {
                        if case .pipeRefused(_, let reason) = event { return reason }
                    }
                    return nil
                }
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }

    /// Dials `address`; the dial may throw `protocolMismatch` (when the listener's hello, which does not fit,
    /// arrives before the pipe closes) or return (when the close wins). Anything else is thrown.
    private func dialExpectingMismatch(_ role: any ProtocolRole, _ address: Address) async throws {
        do {
            try await role.dial(address)
        } catch let error as MultiSocketError where error.code == .protocolMismatch {}
    }

    @Test(arguments: ConformanceTransport.suite)
    func pushDialingSubIsRefused(over transport: ConformanceTransport) async throws {
        let push = Push()
        let sub = Sub()
        let reason = try await refusal(push, sub) {
            let address = try sub.listen(transport.uniqueAddress("mismatch"))
            try await dialExpectingMismatch(push, address)
        }
        #expect(reason != nil)
        #expect(push.statistics.pipesRefused + sub.statistics.pipesRefused >= 1)
        await push.close()
        await sub.close()
    }

    @Test(arguments: [(Role.req, Role.pull), (.pub, .rep), (.bus, .pair), (.surveyor, .sub), (.req, .req)])
    func mismatchedRolesAreRefused(_ kinds: (Role, Role)) async throws {
        let a = kinds.0.make()
        let b = kinds.1.make()
        let reason = try await refusal(a, b) {
            let address = try b.listen(ConformanceTransport.inproc.uniqueAddress("mismatch"))
            try await dialExpectingMismatch(a, address)
        }
        #expect(reason != nil)
        await a.close()
        await b.close()
    }

    @Test func matchingRolesAreNotRefused() async throws {
        let push = Push()
        let pull = Pull()
        try await connect(push, to: pull, over: .inproc)
        try await push.send(bytes("ok"))
        #expect(try await pull.receive().content == bytes("ok"))
        #expect(push.statistics.pipesRefused == 0 && pull.statistics.pipesRefused == 0)
        await push.close()
        await pull.close()
    }
}

/// A role's `dial(_:options:)` and `listen(_:options:)` reach its socket's endpoints.
@Suite(.timeLimit(.minutes(1)))
struct RoleEndpointOptionsTests {
    /// A listener's own receive limit applies to the pipes it accepts: a request over it closes its pipe and
    /// is never answered, while one under it is.
    @Test func listenOptionsLimitWhatAPipeAccepts() async throws {
        let rep = Rep()
        let req = Req(options: SocketOptions(linger: .milliseconds(10)))  // the refused request stays queued
        let address = try rep.listen("tcp://127.0.0.1:0", options: EndpointOptions(maxReceiveSize: 64))
        try await req.dial(address, options: EndpointOptions(reconnect: false))
        let answering = Task { while let request = try? await rep.receive() { try await rep.reply(to: request, request.body) } }
        #expect(try await req.request(bytes("small"), timeout: .seconds(20)) == bytes("small"))
        let events = rep.events()
        await #expect(throws: MultiSocketError.self) {
            _ = try await req.request([UInt8](repeating: 1, count: 1000), timeout: .seconds(2))
        }
        _ = try await Await.event(events, "the oversize frame's pipe closing") { event -> Bool? in
            if case .pipeRemoved = event { return true }
            return nil
        }
        #expect(rep.statistics.rejectedFrames == 1)
        answering.cancel()
        await req.close()
        await rep.close()
    }
}
