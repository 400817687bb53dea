import Glibc
import MultiSocket
import MultiSocketTestSupport
import Testing

/// Peers that misbehave on purpose — a requester that never reads, a writer as fast as a non-blocking
/// socket goes, a header that claims more than ever arrives, a frame that never ends — against a server
/// that must keep serving everyone else with bounded memory and no lost messages.
@Suite(.timeLimit(.minutes(2)))
struct HostilePeerTests {
    /// A multisocket to-one frame carrying `content`, as a hostile peer writes it by hand.
    static func frame(_ content: [UInt8]) -> [UInt8] {
        [0, Message.defaultTTL, 0, 0] + bigEndianBytes(UInt32(content.count)) + content
    }

    /// A requester floods an echoing server, never reads the replies, then closes (with replies unread, so
    /// the kernel resets the connection). The server's one worker had parked on the dead peer's full pipe,
    /// whose reading was paused because nobody received: it answered nobody again and the fd stayed open.
    /// Now the reset closes the paused pipe at once, the parked reply gets `brokenPath`, and the next
    /// client is served.
    @Test(arguments: [ConformanceTransport.tcp, ConformanceTransport.ipc])
    func requesterThatNeverReadsThenLeavesCannotWedgeTheServer(over transport: ConformanceTransport) async throws {
        let server = Socket()
        let address = try server.listen(transport.uniqueAddress("wedge"))
        let events = server.events()
        let worker = Task {
            // The README's quick start: one task answering whatever arrives.
            for try await request in server.messages { try? await server.sendTo(request.source, request.content) }
        }
        let hostile = try PlainClient(address)
        let request = Self.frame([UInt8](repeating: 0x61, count: 1024))
        let flood = repeated(request, count: 16 * 1024)
        let (written, _) = await hostile.flood(flood)
        #expect(written > 0)
        hostile.close()
        _ = try await Await.event(events, "the hostile pipe removed", timeout: 20) { event -> Bool? in
            if case .pipeRemoved = event { return true }
            return nil
        }
        let client = Socket()
        try await client.dial("\(address)")
        try await client.send(Array("ping".utf8))
        let reply = try await withTimeout(20, "the next client served") { try await client.receive() }
        #expect(reply.content == Array("ping".utf8))
        #expect(server.statistics.pipes == 1)
        worker.cancel()
        await client.close()
        await server.close()
    }

    /// A writer on a non-blocking socket floods a receiver nobody reads from. While its receive queue is
    /// full the pipe reads nothing — the bytes stay in the kernel and the writer stalls — so the queue's
    /// bound holds to within one delivery batch and the read buffer stays at its first size. Then every
    /// message written arrives, none lost.
    @Test(arguments: [ConformanceTransport.tcp, ConformanceTransport.ipc])
    func pausedPipeReadsNothing(over transport: ConformanceTransport) async throws {
        let queue = 64
        let receiver = Socket(sender: .none, options: SocketOptions(receiveQueueSize: queue))
        let address = try receiver.listen(transport.uniqueAddress("paused"))
        let events = receiver.events()
        let writer = try PlainClient(address)
        let pipe = try await Await.event(events, "the writer's pipe") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        let frame = Self.frame([UInt8](repeating: 0x62, count: 64))
        let flood = repeated(frame, count: 256 * 1024)
        // One frame per system call: each segment is a readiness event on the receiver.
        let (written, end) = await writer.flood(flood, segment: frame.count)
        #expect(end == .stalled)
        let batch = 64
        #expect(receiver.statistics.messagesReceived <= queue + batch,
                "\(receiver.statistics.messagesReceived) messages taken from the kernel while paused")
        let (readBuffer, _) = await pipe.footprint()
        #expect(readBuffer <= 64 * 1024)

        let total = (written + frame.count - 1) / frame.count
        async let counted = withTimeout(30, "\(total) messages") {
            var count = 0
            while count < total {
                let message = try await receiver.receive()
                #expect(message.content.count == 64)
                count += 1
            }
            return count
        }
        let rest = written % frame.count
        if rest > 0 {
            let tail = Array(frame[rest...])
            try await offloaded { Result { try writer.write(tail) } }.get()
        }
        writer.close()
        #expect(try await counted == total)
        await receiver.close()
    }

    /// A header alone claiming a 1 MiB content makes the read buffer grow with what arrives, never with
    /// what it claims (it reserved four times the claim before); the message still arrives whole.
    @Test(arguments: [ConformanceTransport.tcp, ConformanceTransport.ipc])
    func headerAloneReservesNothing(over transport: ConformanceTransport) async throws {
        let limit = 1 << 20
        let receiver = Socket(sender: .none,
                              options: SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: limit))))
        let address = try receiver.listen(transport.uniqueAddress("claim"))
        let events = receiver.events()
        let peer = try PlainClient(address)
        let content = (0..<limit).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let whole = Self.frame(content)
        try peer.write(Array(whole[..<8]))
        let pipe = try await Await.event(events, "pipe added") { event -> MessagePipe? in
            if case .pipeAdded(let pipe) = event { return pipe }
            return nil
        }
        // The header has been read once the link has processed the bytes; a second footprint call is
        // ordered after that read on the link's thread.
        _ = await pipe.footprint()
        #expect(await pipe.footprint().readBuffer <= 64 * 1024)
        try await offloaded { Result { try peer.write(Array(whole[8...])) } }.get()
        let message = try await withTimeout(20, "the 1 MiB message") { try await receiver.receive() }
        #expect(message.content == content)
        let grown = await pipe.footprint().readBuffer
        #expect(grown <= limit + 8 + 4 * 509, "read buffer \(grown)")
        peer.close()
        await receiver.close()
    }

    /// A peer that stops in the middle of a frame is closed after the partial-frame timeout, with a
    /// `stalled` rejection; a peer that sends whole frames slowly is not.
    @Test(arguments: [ConformanceTransport.tcp, ConformanceTransport.ipc])
    func peerStallingMidFrameIsClosed(over transport: ConformanceTransport) async throws {
        let stallLimit = SocketOptions(connector: .init(endpoint: .init(partialFrameTimeout: .milliseconds(300))))
        let receiver = Socket(sender: .none, options: stallLimit)
        let address = try receiver.listen(transport.uniqueAddress("stall"))
        let events = receiver.events()
        let slow = try PlainClient(address)
        let stalling = try PlainClient(address)
        try stalling.write(Array(Self.frame([1, 2, 3, 4, 5, 6, 7, 8])[..<10]))
        let reason = try await Await.event(events, "the stalled frame rejected", timeout: 10) { event -> FrameError? in
            if case .frameRejected(_, let reason) = event { return reason }
            return nil
        }
        #expect(reason == .stalled(buffered: 10))
        #expect(await stalling.readUntilClosed().isClosed)
        for index in 0..<3 {
            try slow.write(Self.frame([UInt8(index)]))
            let message = try await withTimeout(10, "whole frame \(index)") { try await receiver.receive() }
            #expect(message.content == [UInt8(index)])
        }
        #expect(receiver.statistics.pipes == 1)
        slow.close()
        await receiver.close()
    }

    /// TCP pipes send keep-alive probes by default, on both the dialed and the accepted end.
    @Test func tcpKeepAliveIsOnByDefault() async throws {
        let server = Socket()
        let client = Socket()
        try await Marry.connect(client, to: server, over: .tcp, label: "keepalive")
        for socket in [client, server] {
            let pipe = try #require(socket.connector.pipes.first)
            let fd = try #require(Self.descriptor(bound: pipe.localAddress, peer: pipe.remoteAddress))
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, &length)
            #expect(value == 1)
        }
        await client.close()
        await server.close()
    }

    /// The open descriptor of this process whose tcp local and peer addresses are `local` and `peer`.
    static func descriptor(bound local: String, peer: String) -> Int32? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            // Read the name in place, up to its terminator: a dirent is only as long as its name (d_reclen), so
            // copying the whole 256-byte d_name can run past the end of readdir's buffer into an unmapped page.
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
            }
            if let fd = Int32(name) { descriptors.append(fd) }
        }
        for fd in descriptors {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            var peerStorage = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let found = withUnsafeMutablePointer(to: &storage) { own in
                withUnsafeMutablePointer(to: &peerStorage) { other in
                    own.withMemoryRebound(to: sockaddr.self, capacity: 1) { ownAddress in
                        other.withMemoryRebound(to: sockaddr.self, capacity: 1) { otherAddress in
                            getsockname(fd, ownAddress, &length) == 0 && getpeername(fd, otherAddress, &peerLength) == 0
                        }
                    }
                }
            }
            guard found, storage.ss_family == sa_family_t(AF_INET), peerStorage.ss_family == sa_family_t(AF_INET)
            else { continue }
            let ownPort = withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port) }
            let peerPort = withUnsafeBytes(of: &peerStorage) {
                UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port)
            }
            if local.hasSuffix(":\(ownPort)") && peer.hasSuffix(":\(peerPort)") { return fd }
        }
        return nil
    }
}
