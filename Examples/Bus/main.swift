// Bus: four nodes in a full mesh. Each message reaches every other node exactly once, never its sender.
import MultiSocketProtocols

func run() async throws {
    let names = ["north", "east", "south", "west"]
    let nodes = names.map { _ in Bus() }
    var addresses: [Address] = []
    for node in nodes { addresses.append(try node.listen("tcp://127.0.0.1:0")) }
    // Each node dials the ones before it: every pair is linked once.
    for (index, node) in nodes.enumerated() {
        for earlier in addresses[..<index] { try await node.dial(earlier) }
    }
    for (index, node) in nodes.enumerated() {
        let events = node.events()
        if node.statistics.pipes < 3 {
            for await event in events { if case .pipeAdded = event, node.statistics.pipes >= 3 { break } }
        }
        print("\(names[index]): linked to \(node.statistics.pipes) peers")
    }

    for (index, node) in nodes.enumerated() { try await node.send(Array("hello from \(names[index])".utf8)) }
    for (index, node) in nodes.enumerated() {
        for _ in 0..<(nodes.count - 1) {
            let message = try await node.receive()
            let content = String(decoding: message.content, as: UTF8.self)
            print("\(names[index]) heard: \(content) (via pipe \(message.source))")
        }
    }
    for node in nodes { await node.close() }
    print("done")
}

try await run()
