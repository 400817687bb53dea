import Glibc
import MultiSocket
import MultiSocketTestSupport
import Testing

/// The transport registry: schemes come and go with registration, parsing asks the scheme's transport, and
/// dial and listen reach it.
@Suite(.timeLimit(.minutes(1)))
struct TransportRegistryTests {
    /// A transport that serves one scheme and connects nowhere: its dial is refused, its listen finds the
    /// address in use, and it reserves port 1.
    struct RefusingTransport: Transport {
        let scheme: String
        let listenError: MultiSocketError.Code

        var schemes: [String] { [scheme] }
        var addressForm: AddressForm { .network(defaultPath: nil) }

        func validate(_ address: Address, options: EndpointOptions) throws(MultiSocketError) {
            if address.port == 1 { throw MultiSocketError(.badAddress, "port 1 is reserved") }
        }

        func dial(
            _ address: Address, options: PipeOptions, reactor: Reactor,
            completion: @escaping @Sendable (Result<TransportConnection, MultiSocketError>) -> Void
        ) {
            completion(.failure(MultiSocketError(.connectionRefused, "\(address): refused by design")))
        }

        func listen(
            _ address: Address, options: PipeOptions, reactor: Reactor,
            accept: @escaping @Sendable (TransportConnection) -> Void
        ) throws(MultiSocketError) -> any TransportListener {
            throw MultiSocketError(listenError, "\(address)")
        }
    }

    @Test func builtInSchemesAreRegistered() {
        #expect(Set(["inproc", "ipc", "tcp", "ws"]).isSubset(of: Transports.schemes))
    }

    @Test func registeringAddsTheSchemeAndParsingAsksTheTransport() async throws {
        let scheme = "refusing-\(getpid())-a"
        #expect(throws: MultiSocketError(.unsupportedScheme)) { try Address("\(scheme)://h:2") }
        Transports.register(RefusingTransport(scheme: scheme, listenError: .addressInUse))
        #expect(Transports.schemes.contains(scheme))
        let address = try Address("\(scheme.uppercased())://h:2?raw=true")
        #expect(address.scheme == scheme && address.host == "h" && address.port == 2)
        do {
            _ = try Address("\(scheme)://h:1")
            Issue.record("the transport's check was not asked")
        } catch {
            #expect(error.code == .badAddress)
            #expect(error.context.contains("port 1 is reserved"))
        }
        do {
            _ = try Address("nothing://h:1")
            Issue.record("an unknown scheme parsed")
        } catch {
            #expect(error.context.contains("\"\(scheme)\""), "the registered scheme is listed: \(error.context)")
        }

        let socket = Socket()
        await #expect(throws: MultiSocketError(.connectionRefused)) { try await socket.dial("\(scheme)://h:2") }
        #expect(throws: MultiSocketError(.addressInUse)) { try socket.listen("\(scheme)://h:2") }
        await socket.close()
    }

    /// Registering a scheme again replaces its transport for what is opened afterwards.
    @Test func registeringAgainReplaces() async throws {
        let scheme = "refusing-\(getpid())-b"
        Transports.register(RefusingTransport(scheme: scheme, listenError: .addressInUse))
        Transports.register(RefusingTransport(scheme: scheme, listenError: .systemError))
        let socket = Socket()
        #expect(throws: MultiSocketError(.systemError)) { try socket.listen("\(scheme)://h:2") }
        await socket.close()
    }

    /// A transport from outside the library hands over plain socket descriptors; the library frames them as
    /// the endpoint says, so a raw endpoint on it carries plain bytes.
    @Test func outsideTransportCarriesRawPipes() async throws {
        let server = Socket()
        let client = Socket()
        let bound = try server.listen(ConformanceTransport.abstract.uniqueAddress("raw") + "?raw=true")
        try await client.dial("\(bound)")
        let clientSide = try await client.receive()
        #expect(clientSide.kind == .connected)
        let serverSide = try await server.receive()
        #expect(serverSide.kind == .connected)
        #expect(server.connector.pipes.first?.isRaw == true)
        try await client.sendTo(clientSide.source, Array("plain".utf8))
        let data = try await server.receive()
        #expect(data.flags.contains(.raw))
        #expect(data.content == Array("plain".utf8))
        await client.close()
        #expect(try await withTimeout(10, "end of stream") { try await server.receive() }.kind == .endOfStream)
        await server.close()
    }
}
