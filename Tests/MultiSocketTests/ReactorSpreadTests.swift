import MultiSocket
import MultiSocketTestSupport
import Testing

/// A socket spreads its pipes over its reactor group: N pipes on N distinct threads.
@Suite(.timeLimit(.minutes(1)))
struct ReactorSpreadTests {
    /// A server on a group of three accepts three tcp peers: the listener accepts on the home reactor and
    /// hands each connection to the next reactor of the group, so each thread serves one pipe.
    @Test func acceptedPipesSpreadOverTheGroup() async throws {
        let group = ReactorGroup(threads: 3, name: "spread-test")
        var options = SocketOptions()
        options.reactorGroup = group
        let server = Socket(options: options)
        let address = try server.listen(ConformanceTransport.tcp.uniqueAddress("spread"))
        let before = group.reactors.map(\.registeredDescriptors)
        #expect(before.reduce(0, +) == 1, "the listener is registered")
        var clients: [Socket] = []
        for index in 0..<3 {
            let client = Socket()
            clients.append(client)
            try await client.dial("\(address)")
            try await client.send([UInt8(index)])
        }
        // A message read from each pipe: each is registered with its reactor.
        var received: Set<UInt8> = []
        for _ in 0..<3 {
            let message = try await withTimeout(10, "a message from each client") { try await server.receive() }
            received.formUnion(message.content)
        }
        #expect(received == [0, 1, 2])
        let added = zip(group.reactors.map(\.registeredDescriptors), before).map { $0 - $1 }
        #expect(added == [1, 1, 1], "pipes per reactor: \(added)")
        let threads = group.reactors.map(\.kernelThreadID)
        #expect(Set(threads).count == 3 && !threads.contains(0))
        #expect(group.reactors.contains { $0 === server.executor as AnyObject })
        for client in clients { await client.close() }
        await server.close()
    }

    /// A client on a group of two dialing two servers puts its first pipe on its home reactor (the
    /// socket's executor) and its second on the other.
    @Test func dialedPipesSpreadFromTheHomeReactor() async throws {
        let group = ReactorGroup(threads: 2, name: "dial-test")
        var options = SocketOptions()
        options.reactorGroup = group
        let client = Socket(options: options)
        let servers = [Socket(), Socket()]
        var counts = [group.reactors.map(\.registeredDescriptors)]
        for (index, server) in servers.enumerated() {
            let address = try server.listen(ConformanceTransport.ipc.uniqueAddress("dial-spread"))
            try await client.dial("\(address)")
            try await client.sendAll([UInt8(index)])
            let request = try await withTimeout(10, "a message on the new pipe") { try await server.receive() }
            try await server.sendTo(request.source, [UInt8(index)])
            // The reply was read from the new pipe: it is registered with its reactor.
            let reply = try await withTimeout(10, "the reply on the new pipe") { try await client.receive() }
            #expect(reply.content == [UInt8(index)])
            counts.append(group.reactors.map(\.registeredDescriptors))
        }
        let home = group.reactors.firstIndex { $0 === client.executor as AnyObject }
        #expect(home == 0)
        #expect(counts == [[0, 0], [1, 0], [1, 1]], "registrations after each dial: \(counts)")
        await client.close()
        for server in servers { await server.close() }
    }
}
