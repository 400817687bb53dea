@_spi(Internals) import MultiSocketConnector
import MultiSocketProtocols
import MultiSocketTestSupport
import Synchronization

/// Connects `client` to `server` (listening on a fresh address) and returns the address.
@discardableResult
func connect(_ client: some ProtocolRole, to server: some ProtocolRole,
             over transport: ConformanceTransport) async throws -> String {
    try await Marry.connect(client.socket, to: server.socket, over: transport, label: "proto")
}

/// Dials `address` from `client` and waits until both have the pipe.
func connect(_ client: some ProtocolRole, to server: some ProtocolRole, at address: String) async throws {
    try await Marry.connect(client.socket, to: server.socket, at: address)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Runs `body` and returns the error it threw, if any.
func thrown(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// The code of a `MultiSocketError`, or nil for anything else.
func code(_ error: (any Error)?) -> MultiSocketError.Code? {
    (error as? MultiSocketError)?.code
}

/// Counts per index, shareable between tasks.
final class Tally: Sendable {
    private let counts: Locked<[Int]>
    init(_ size: Int) { counts = Locked([Int](repeating: 0, count: size)) }
    func add(_ index: Int) { counts.withLock { $0[index] += 1 } }
    var values: [Int] { counts.withLock { $0 } }
}
