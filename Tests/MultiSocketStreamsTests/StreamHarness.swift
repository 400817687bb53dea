@_spi(Internals) import MultiSocketStreams
import MultiSocketTestSupport
import Testing

/// Two stream endpoints joined over one transport: the server's socket listens, the client's dials.
struct StreamLink {
    let serverSocket: Socket
    let clientSocket: Socket
    let server: StreamEndpoint
    let client: StreamEndpoint

    static func make(
        _ transport: ConformanceTransport, label: String = "s",
        server serverOptions: StreamOptions = .init(), client clientOptions: StreamOptions = .init()
    ) async throws -> StreamLink {
        let serverSocket = Socket()
        let address = try serverSocket.listen(transport.uniqueAddress(label))
        let clientSocket = Socket()
        try await clientSocket.dial("\(address)")
        try await clientSocket.waitForPeers(1, timeout: .seconds(20))
        return StreamLink(serverSocket: serverSocket, clientSocket: clientSocket,
                          server: StreamEndpoint(socket: serverSocket, options: serverOptions),
                          client: StreamEndpoint(socket: clientSocket, options: clientOptions))
    }

    /// Expects both endpoints' tables empty, then closes everything.
    func finish(expectEmpty: Bool = true) async {
        if expectEmpty {
            #expect(server.tableCounts == (0, 0, 0))
            #expect(client.tableCounts == (0, 0, 0))
        }
        await client.close()
        await server.close()
        await clientSocket.close()
        await serverSocket.close()
    }
}

/// Writes `data` in random pieces (1 B … 3 × 64 KiB), then half-closes.
func writeRandomly(_ connection: StreamConnection, _ data: [UInt8], seed: UInt64) async throws {
    var random = FastRandom(seed: seed)
    var offset = 0
    while offset < data.count {
        let count = min(data.count - offset, Int(random.next() % (3 * 65536)) + 1)
        try await connection.write(data[offset..<offset + count])
        offset += count
    }
    try await connection.closeWrite()
}

/// Reads to end of stream in random pieces (1 B … 100 000 B).
func readRandomly(_ connection: StreamConnection, seed: UInt64) async throws -> [UInt8] {
    var random = FastRandom(seed: seed)
    var all = [UInt8]()
    while true {
        let want = Int(random.next() % 100_000) + 1
        if random.next() % 2 == 0 {
            guard let bytes = try await connection.read(upToCount: want) else { return all }
            #expect(bytes.count <= want && !bytes.isEmpty)
            all += bytes
        } else {
            if try await connection.read(into: &all, maximumCount: want) == 0 { return all }
        }
    }
}

/// Waits until `condition` holds, yielding between looks (for tables that empty when a notice arrives);
/// `withTimeout` around it bounds the wait.
func eventually(_ condition: @Sendable () -> Bool) async {
    while !condition() {
        await Task.yield()
        try? await Task.sleep(for: .milliseconds(5))
    }
}
