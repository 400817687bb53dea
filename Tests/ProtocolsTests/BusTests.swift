import MultiSocketProtocols
import MultiSocketTestSupport
import Testing

/// Each node sends one message per round; checks every node hears each other node exactly once per round
/// and never itself. A duplicate or echo from round 1 would show up in round 2's reads.
private func checkRounds(_ nodes: [Bus], names: [String]) async throws {
    for round in 1...2 {
        for (index, node) in nodes.enumerated() { try await node.send(bytes("\(round):\(names[index])")) }
        for (index, node) in nodes.enumerated() {
            var heard: [String] = []
            for _ in 0..<(nodes.count - 1) { heard.append(text(try await node.receive().content)) }
            let expected = names.indices.filter { $0 != index }.map { "\(round):\(names[$0])" }
            #expect(heard.sorted() == expected.sorted(), "node \(names[index]) round \(round)")
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct BusTests {
    @Test(arguments: ConformanceTransport.suite)
    func fullMeshOfFive(over transport: ConformanceTransport) async throws {
        let nodes = (0..<5).map { _ in Bus() }
        var addresses: [String] = []
        for node in nodes { addresses.append("\(try node.listen(transport.uniqueAddress("bus")))") }
        for (index, node) in nodes.enumerated() {
            for earlier in 0..<index { try await node.dial(addresses[earlier]) }
        }
        for node in nodes { await Marry.waitForPipes(node.socket, count: 4) }
        try await checkRounds(nodes, names: ["a", "b", "c", "d", "e"])
        for node in nodes { await node.close() }
    }

    /// A device passes nothing on until it runs; `run()` in a task of the caller's ends when the device closes.
    @Test func aDeviceForwardsOnlyWhileItRuns() async throws {
        let device = BusDevice()
        let nodes = [Bus(), Bus()]
        let address = try device.listen(ConformanceTransport.inproc.uniqueAddress("busrun"))
        for node in nodes { try await connect(node, to: device, at: "\(address)") }
        await Marry.waitForPipes(device.socket, count: 2)
        try await nodes[0].send(Array("early".utf8))
        await #expect(throws: MultiSocketError.self) {
            _ = try await nodes[1].socket.receive(timeout: .milliseconds(100))
        }
        let running = Task { await device.run() }
        #expect(try await nodes[1].socket.receive(timeout: .seconds(20)).content == Array("early".utf8))
        await device.close()
        await running.value
        for node in nodes { await node.close() }
    }

    @Test(arguments: ConformanceTransport.suite)
    func busThroughDevice(over transport: ConformanceTransport) async throws {
        let device = BusDevice().start()
        let nodes = (0..<4).map { _ in Bus() }
        let address = try device.listen(transport.uniqueAddress("busdev"))
        for node in nodes { try await connect(node, to: device, at: "\(address)") }
        await Marry.waitForPipes(device.socket, count: 4)
        try await checkRounds(nodes, names: ["a", "b", "c", "d"])
        #expect(device.forwarded == 2 * 4 * 3)
        for node in nodes { await node.close() }
        await device.close()
        await device.wait()
    }

    @Test(arguments: ConformanceTransport.suite)
    func twoMeshesJoinedBySwitch(over transport: ConformanceTransport) async throws {
        let options = SocketOptions(identity: .bus)
        let front = Socket(sender: .toAll, receiver: .all, options: options)
        let back = Socket(sender: .toAll, receiver: .all, options: options)
        let relay = Switch(back: back, front: front).start()
        let left = [Bus(), Bus()]
        let right = [Bus(), Bus()]
        let frontAddress = "\(try front.listen(transport.uniqueAddress("busfront")))"
        let backAddress = "\(try back.listen(transport.uniqueAddress("busback")))"
        for (side, address, hub) in [(left, frontAddress, front), (right, backAddress, back)] {
            let own = "\(try side[0].listen(transport.uniqueAddress("busside")))"
            try await Marry.connect(side[1].socket, to: side[0].socket, at: own)
            for node in side { try await Marry.connect(node.socket, to: hub, at: address) }
        }
        try await checkRounds(left + right, names: ["l0", "l1", "r0", "r1"])
        for node in left + right { await node.close() }
        await front.close()
        await back.close()
        await relay.wait()
    }
}
