@_spi(Internals) import MultiSocketConnector
import Foundation
import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// A socket or role dropped without `close()` closes itself: its port or socket file is free again, its peers
/// see their pipe go, and the process's descriptors return to where they were.
///
/// The port and path tests run in this process; the descriptor count runs in a child process
/// (`MultiSocketLifecycleFixture drop …`), where no other suite opens descriptors meanwhile.
@Suite(.timeLimit(.minutes(2)))
struct DroppedSocketTests {
    /// What listens and is dropped: a plain socket or a role.
    enum Kind: String, CaseIterable, Sendable {
        case socket, rep, req, surveyor
    }

    /// Makes the subject (which listens) and its peer (which dials), each as its socket and its owner.
    static func subjectAndPeer(_ kind: Kind) -> (subject: Socket, owner: any Sendable, peer: Socket, peerOwner: any Sendable) {
        switch kind {
        case .socket:
            let (subject, peer) = (Socket(), Socket())
            return (subject, subject, peer, peer)
        case .rep:
            let (subject, peer) = (Rep(), Req())
            return (subject.socket, subject, peer.socket, peer)
        case .req:
            let (subject, peer) = (Req(), Rep())
            return (subject.socket, subject, peer.socket, peer)
        case .surveyor:
            let (subject, peer) = (Surveyor(), Respondent())
            return (subject.socket, subject, peer.socket, peer)
        }
    }

    /// Makes the subject, listens on `address` (connecting the peer when asked) and returns what the test keeps:
    /// the bound address, the subject's events (they end once its close finished), the peer and its events. The
    /// subject is dropped when this returns, never closed.
    static func openAndDrop(_ kind: Kind, at address: String, connecting: Bool) async throws
        -> (bound: Address, events: AsyncStream<SocketEvent>, peer: Socket, peerEvents: AsyncStream<SocketEvent>,
            peerOwner: any Sendable) {
        let (subject, owner, peer, peerOwner) = subjectAndPeer(kind)
        let bound = try subject.listen(address)
        let events = subject.events()
        let peerEvents = peer.events()
        if connecting {
            try await peer.dial("\(bound)")
            try await subject.waitForPeers(1, timeout: .seconds(10))
            try await peer.waitForPeers(1, timeout: .seconds(10))
        }
        withExtendedLifetime(owner) {}
        return (bound, events, peer, peerEvents, peerOwner)
    }

    static func address(_ transport: String, _ label: String) -> String {
        transport == "ipc" ? "ipc:///tmp/ms-drop-\(label)-\(UInt32.random(in: 0 ... .max)).sock"
            : "tcp://127.0.0.1:\((try? QuietPort.free()) ?? 0)"
    }

    /// Listens on `address` again. A port below the ephemeral range (``QuietPort``) is not taken by other
    /// tests' outgoing connections, but a child process another suite is starting holds a copy of every
    /// descriptor between its fork and exec: `addressInUse` then is retried for up to two seconds.
    static func listenAgain(_ address: String) async throws -> Socket {
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            let socket = Socket()
            do {
                try socket.listen(address)
                return socket
            } catch let error as MultiSocketError where error.code == .addressInUse && clock.now - start < .seconds(2) {
                await socket.close()
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    @Test(arguments: Kind.allCases, ["tcp", "ipc"])
    func droppedWithoutPipesFreesItsAddress(_ kind: Kind, transport: String) async throws {
        let opened = try await Self.openAndDrop(kind, at: Self.address(transport, kind.rawValue), connecting: false)
        try await withTimeout(20, "the dropped \(kind) to close") { for await _ in opened.events {} }
        if transport == "ipc" {
            #expect(!FileManager.default.fileExists(atPath: opened.bound.path), "socket file left behind")
        }
        let again = try await Self.listenAgain("\(opened.bound)")
        await again.close()
        await opened.peer.close()
    }

    @Test(arguments: Kind.allCases, ["tcp", "ipc"])
    func droppedWithPipesFreesItsAddressAndItsPeerSeesThePipeGo(_ kind: Kind, transport: String) async throws {
        let opened = try await Self.openAndDrop(kind, at: Self.address(transport, kind.rawValue), connecting: true)
        try await withTimeout(20, "the dropped \(kind) to close") { for await _ in opened.events {} }
        let peerEvents = opened.peerEvents
        try await withTimeout(20, "the peer to lose its pipe") {
            for await event in peerEvents { if case .pipeRemoved = event { return } }
        }
        if transport == "ipc" {
            #expect(!FileManager.default.fileExists(atPath: opened.bound.path), "socket file left behind")
        }
        let again = try await Self.listenAgain("\(opened.bound)")
        await again.close()
        await opened.peer.close()
    }

    /// A dropped socket lingers as `close()` does: a message queued for a live peer still arrives.
    @Test func droppedSocketStillDeliversWhatItQueued() async throws {
        let receiver = Socket()
        let bound = try receiver.listen("tcp://127.0.0.1:0")
        do {
            let sender = Socket()
            try await sender.dial("\(bound)")
            try await sender.send(Array("last words".utf8))
        }
        let message = try await withTimeout(20, "the queued message") { try await receiver.receive() }
        #expect(message.text == "last words")
        await receiver.close()
    }

    /// The descriptors, counted in a child process: after each drop (and the peer's close) they are those there
    /// were before the socket was made, and the address can be listened on again — for a socket, a Rep and a Req,
    /// over tcp and ipc, with and without pipes (one child runs the twelve cases in turn).
    @Test func descriptorsReturnAfterADrop() async throws {
        let child = try FixtureProcess(["drop"])
        let exit = try await child.waitForExit(timeout: 90)
        #expect(exit == 0, "\(child.printed) \(child.errorOutput)")
        #expect(child.printed.last == "drop checks failed: 0 of 12", "\(child.printed)")
    }
}
