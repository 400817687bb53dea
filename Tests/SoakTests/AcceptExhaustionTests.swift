import Glibc
import MultiSocketProtocols
import MultiSocketTestSupport
import MultiSocketSoakKit
import Testing

/// A server out of descriptors: a connection that arrives then cannot be accepted, and nothing else arrives
/// afterwards. Once a descriptor is free again, the listener must accept it by itself (it retries on a timer):
/// an edge-triggered listener that gave up at `EMFILE` would leave it waiting for yet another connection.
///
/// The server is `soak serve --pattern reqrep` in a child process that lowers its own descriptor limit to
/// leave exactly `spare` free once it listens.
@Suite(.timeLimit(.minutes(1)))
struct AcceptExhaustionTests {
    private static let spare = 3

    private static func body(_ sequence: UInt64) -> [UInt8] {
        SoakStamp(peer: 1, sequence: sequence).encode(payloadSize: 16)
    }

    /// Starts the starved server on `address`; returns it and the address it is listening on.
    private static func starvedServer(_ address: String) async throws -> (SoakProcess, String) {
        let server = try SoakProcess(["serve", "--pattern", "reqrep", "--address", address, "--spare-fds", "\(spare)"])
        let listening = try await server.line("the server listening") { $0.hasPrefix("listening ") }
        try await server.line("the server starved of descriptors") { $0 == "ready spare \(spare)" }
        return (server, String(listening.dropFirst("listening ".count)))
    }

    /// Connects `spare` clients, each served, so that the server has no descriptor left.
    private static func exhaust(_ address: String) async throws -> [Req] {
        var clients: [Req] = []
        for index in 0..<spare {
            let client = Req(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
            try await client.dial(address)
            let request = body(UInt64(index))
            #expect(try await client.request(request, timeout: .seconds(10)) == request)
            clients.append(client)
        }
        return clients
    }

    @Test func tcpConnectionWaitingDuringExhaustionIsAcceptedOnceADescriptorIsFree() async throws {
        let (server, address) = try await Self.starvedServer("tcp://127.0.0.1:0")
        defer { server.kill(SIGKILL) }
        let clients = try await Self.exhaust(address)

        // Connected as far as the kernel goes (it waits in the listen backlog); the server's accept fails.
        let late = Req(options: SocketOptions(connector: .init(endpoint: .init(reconnect: false))))
        try await late.dial(address)
        let lateRequest = Self.body(100)
        let lateReply = Task { try await late.request(lateRequest, timeout: .seconds(15)) }
        // A served request on an older connection, after the late one arrived: the server has handled the
        // late connection's readiness event (and failed to accept it) before it answered.
        #expect(try await clients[0].request(Self.body(101), timeout: .seconds(10)) == Self.body(101))

        // One client leaves: its pipe closes on the server and frees a descriptor. No connection arrives.
        await clients[1].close()
        #expect(try await lateReply.value == lateRequest, "the waiting connection was never accepted")
        #expect(try await clients[2].request(Self.body(102), timeout: .seconds(10)) == Self.body(102))
        for client in clients { await client.close() }
        await late.close()
    }

    @Test func wsConnectionWaitingDuringExhaustionIsAcceptedOnceADescriptorIsFree() async throws {
        let (server, address) = try await Self.starvedServer("ws://127.0.0.1:0/soak")
        defer { server.kill(SIGKILL) }
        let clients = try await Self.exhaust(address)

        // A plain connection: it returns once the kernel holds it in the backlog (a ws dial would wait for the
        // handshake, which needs the accept). Then the handshake request, answered only after an accept.
        let port = try #require(address.split(separator: ":").last?.split(separator: "/").first.flatMap { UInt16($0) })
        let late = try PlainClient(port: port, timeout: 15)
        let upgrade = "GET /soak HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: multisocket.binary\r\n\r\n"
        try late.write(Array(upgrade.utf8))
        #expect(try await clients[0].request(Self.body(101), timeout: .seconds(10)) == Self.body(101))

        await clients[1].close()
        let response = String(decoding: await late.readHeader(), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 101"), "the waiting connection was never accepted: '\(response)'")
        late.close()
        for client in clients { await client.close() }
    }
}
