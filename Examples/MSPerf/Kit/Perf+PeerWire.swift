import Glibc
import MultiSocket

/// `local_lat`/`remote_lat` on a stock tool's wire (``PeerWire``), over a raw tcp pipe.
extension Perf {
    /// The echo server of `local_lat nng+tcp://…`/`zmq+tcp://…`: listens raw on `address`, sends its opening to
    /// each peer, skips the peer's opening and echoes every byte after it, until the peers leave.
    ///
    /// Runs like ``serve(_:peers:_:)``. Cancellation closes the socket and throws `CancellationError`.
    /// - Throws: ``PerfError`` when a peer's opening is not `wire`'s; ``MultiSocketError`` from listening.
    static func peerEchoServer(_ wire: PeerWire, _ address: String, _ bound: (Address) -> Void) async throws {
        let socket = Socket()
        let events = socket.events()
        bound(try socket.listen(address, options: EndpointOptions(raw: true)))
        var openings: [UInt32: [UInt8]] = [:]  // the opening read so far, per pipe, until it is complete
        try await serve(socket, peers: events) {
            let message = try await socket.receive()
            guard let pipe = message.pipeID else { return }
            switch message.kind {
            case .connected:
                openings[pipe] = []
                try await socket.sendTo(message.source, wire.opening(server: true))
            case .endOfStream:
                openings[pipe] = nil
            case .data:
                var bytes = message.content
                if let opening = openings[pipe] {
                    let read = opening + bytes
                    guard let length = try wire.openingLength(read[...]), read.count >= length else {
                        openings[pipe] = read
                        return
                    }
                    openings[pipe] = nil
                    bytes = Array(read[length...])
                }
                if !bytes.isEmpty { try await socket.sendTo(message.source, bytes) }
            }
        }
    }

    /// The client of `remote_lat nng+tcp://…`/`zmq+tcp://…`: dials raw, exchanges openings, then makes exactly
    /// `roundtrips` request/reply round trips with a `size`-byte body; returns the time of all but the warm-up.
    ///
    /// - Throws: ``PerfError`` when the peer's opening is not `wire`'s, a reply differs from its request, or
    ///   the peer closes; ``MultiSocketError`` from dialing.
    static func peerEchoClient(_ wire: PeerWire, _ address: String, _ size: Int,
                               _ roundtrips: Int) async throws -> Duration {
        let socket = Socket()
        return try await closing(socket) {
            try await socket.dial(address, options: EndpointOptions(raw: true))
            var input = RawInput(socket)
            let path = try await input.connected()
            try await socket.sendTo(path, wire.opening(server: false))
            while try input.skipOpening(wire) == false { try await input.read() }
            let frame = wire.request([UInt8](repeating: 0x78, count: size))
            return try await timed(roundtrips) {
                try await socket.sendTo(path, frame)
                try await input.expect(frame)
            }
        }
    }

    /// The bytes read from a raw client socket's one pipe, consumed from the front.
    private struct RawInput {
        let socket: Socket
        private var bytes: [UInt8] = []
        private var start = 0

        init(_ socket: Socket) { self.socket = socket }

        private var unread: ArraySlice<UInt8> { bytes[start...] }

        /// Waits for the pipe and returns the path to it.
        mutating func connected() async throws -> MessagePath {
            while true {
                let message = try await socket.receive()
                if message.kind == .connected { return message.source }
                bytes += message.content
            }
        }

        /// Appends the next chunk the peer sent.
        mutating func read() async throws {
            let message = try await socket.receive()
            guard message.kind != .endOfStream else { throw PerfError("the peer closed its connection") }
            if start > 0, start == bytes.count {
                bytes.removeAll(keepingCapacity: true)
                start = 0
            }
            bytes += message.content
        }

        /// Consumes the peer's opening if it is all here; `false`: read more.
        mutating func skipOpening(_ wire: PeerWire) throws -> Bool {
            guard let length = try wire.openingLength(unread), unread.count >= length else { return false }
            start += length
            return true
        }

        /// Reads until `expected.count` bytes are here, checks they are `expected`, and consumes them.
        mutating func expect(_ expected: [UInt8]) async throws {
            while unread.count < expected.count { try await read() }
            // memcmp: a generic element-by-element comparison of 70 kB replies took seconds in a debug build
            // under the thread sanitizer, holding the I/O thread every socket of the process calls home.
            let same = expected.isEmpty || bytes.withUnsafeBytes { have in
                expected.withUnsafeBytes { want in memcmp(have.baseAddress! + start, want.baseAddress!, want.count) == 0 }
            }
            guard same else {
                throw PerfError("a reply differs from its request")
            }
            start += expected.count
        }
    }
}
