import MultiSocketCodable
import MultiSocketTestSupport

/// A value with a few kinds of field, as an application sends.
struct Order: Codable, Sendable, Equatable {
    var id: Int
    var item: String
    var quantities: [Double]
}

/// Another shape, for replies.
struct Receipt: Codable, Sendable, Equatable {
    var orderID: Int
    var accepted: Bool
}

/// Connects `client` to `server` (listening on a fresh address of `transport`) and returns the address.
@discardableResult
func connect(_ client: some ProtocolRole, to server: some ProtocolRole,
             over transport: ConformanceTransport) async throws -> String {
    try await Marry.connect(client.socket, to: server.socket, over: transport, label: "codable")
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Runs `body` and returns the error it threw, if any.
func thrown(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// The transports the Codable layer is tested over: in process (no encoding on the way) and tcp (framed).
let codableTransports: [ConformanceTransport] = [.inproc, .tcp]

/// A coder other than JSON, to show the coder is replaceable: JSON with every byte inverted, so that a JSON
/// decoder on the other side fails and a matching one succeeds.
struct InvertingCoder: MessageCoder {
    func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        try JSONMessageCoder().encode(value).map { ~$0 }
    }

    func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONMessageCoder().decode(type, from: bytes.map { ~$0 })
    }
}
