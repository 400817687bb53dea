import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// The multisocket wire format (DESIGN §3, reference §1): exact encoding, the receive rule, and
/// validation before allocation.
@Suite
struct CodecTests {
    private func decode(_ bytes: [UInt8], on pipe: UInt32 = 42, limit: Int? = 128 * 1024) throws -> MultiSocketCodec.DecodeResult {
        let codec = MultiSocketCodec(maxContentLength: limit)
        return try bytes.withUnsafeBytes { raw in try codec.decode(raw, arrivingOn: pipe) }
    }

    private func encode(_ message: Message) throws -> [UInt8] {
        var buffer: [UInt8] = []
        try MultiSocketCodec().encode(message, into: &buffer)
        return buffer
    }

    @Test func encodesByteExactLayout() throws {
        let message = Message(
            content: [0xDE, 0xAD, 0xBE],
            sendType: .toDest,
            flags: .control,
            ttl: 7,
            source: [0x0102_0304, 5],
            destination: [0xA0B0_C0D0]
        )
        let expected: [UInt8] = [
            0x22, 7, 2, 1, 0, 0, 0, 3,  // flags|type, ttl, hops, distance, length
            0x01, 0x02, 0x03, 0x04, 0, 0, 0, 5,  // source
            0xA0, 0xB0, 0xC0, 0xD0,  // destination
            0xDE, 0xAD, 0xBE,  // content
        ]
        #expect(try encode(message) == expected)
        #expect(message.frameSize == expected.count)
    }

    @Test func encodesHeaderOnlyFrame() throws {
        #expect(try encode(Message(content: [])) == [0x00, 16, 0, 0, 0, 0, 0, 0])
        let big = Message(content: [UInt8](repeating: 9, count: 0x0102_03), sendType: .toAll, ttl: 1)
        let frame = try encode(big)
        #expect(Array(frame.prefix(8)) == [0x01, 1, 0, 0, 0x00, 0x01, 0x02, 0x03])
    }

    @Test(arguments: [0, 1, 255, 4096, 131_072], [(0, 0), (1, 0), (0, 1), (3, 5), (255, 255)])
    func encodedSizeIsExact(length: Int, path: (hops: Int, distance: Int)) throws {
        let message = Message(
            content: [UInt8](repeating: 0xAB, count: length),
            sendType: path.distance > 0 ? .toDest : .toOne,
            source: MessagePath((0..<path.hops).map { UInt32($0 + 1) }),
            destination: MessagePath((0..<path.distance).map { UInt32($0 + 1000) })
        )
        var buffer: [UInt8] = [1, 2, 3]  // encoding appends, never touches what is there
        try MultiSocketCodec().encode(message, into: &buffer)
        #expect(buffer.count == 3 + 8 + 4 * (path.hops + path.distance) + length)
        #expect(Array(buffer.prefix(3)) == [1, 2, 3])
    }

    @Test func encodeRefusesPathsLongerThan255() {
        var buffer: [UInt8] = [7]
        let message = Message(content: [1], source: MessagePath((0..<256).map { UInt32($0 + 1) }))
        #expect(throws: MultiSocketError(.messageTooLarge)) { try MultiSocketCodec().encode(message, into: &buffer) }
        #expect(buffer == [7])
    }

    @Test func decodeAppliesReceiveRuleToOne() throws {
        let sent = Message(content: Array("hello".utf8), sendType: .toOne, ttl: 10, source: [9, 8])
        let frame = try encode(sent) + [0xFF, 0xFF]  // trailing bytes belong to the next frame
        guard case .message(let got, let consumed) = try decode(frame, on: 42) else {
            Issue.record("expected a message")
            return
        }
        #expect(consumed == frame.count - 2)
        #expect(got.content == Array("hello".utf8))
        #expect(got.source == [42, 9, 8])
        #expect(got.hops == 3)
        #expect(got.ttl == 9)
        #expect(got.sendType == .toOne)
        #expect(got.destination.isEmpty)
        #expect(got.pipeID == 42)
    }

    @Test func decodeStripsFirstDestinationForToDest() throws {
        let sent = Message(content: [1, 2, 3], sendType: .toDest, flags: .control, ttl: 3, source: [],
                           destination: [7, 6, 5])
        guard case .message(let got, let consumed) = try decode(try encode(sent), on: 0x7FFF_FFFF) else {
            Issue.record("expected a message")
            return
        }
        #expect(consumed == 8 + 12 + 3)
        #expect(got.source == [0x7FFF_FFFF])
        #expect(got.destination == [6, 5])
        #expect(got.ttl == 2)
        #expect(got.flags == .control)
        #expect(got.sendType == .toDest)
        #expect(got.content == [1, 2, 3])
    }

    @Test func decodeKeepsDestinationForOtherSendTypes() throws {
        let sent = Message(content: [], sendType: .toAll, ttl: 1, source: [3], destination: [7, 6])
        guard case .message(let got, _) = try decode(try encode(sent), on: 1) else {
            Issue.record("expected a message")
            return
        }
        #expect(got.destination == [7, 6])
        #expect(got.source == [1, 3])
        #expect(got.ttl == 0)
    }

    @Test func decodeRejectsSendType3() {
        #expect(throws: FrameError.invalidSendType) { try decode([0x03, 16, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: FrameError.invalidSendType) { try decode([0xFF, 16, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func decodeRejectsOversizeFromTheHeaderAlone() {
        // The header claims 4 GiB − 1 and only the 8 header bytes are buffered: reject now, allocate nothing.
        #expect(throws: FrameError.tooLarge(length: 0xFFFF_FFFF, limit: 1024)) {
            try decode([0x00, 16, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], limit: 1024)
        }
        #expect(throws: FrameError.tooLarge(length: 1025, limit: 1024)) {
            try decode([0x00, 16, 0, 0, 0, 0, 0x04, 0x01], limit: 1024)
        }
    }

    @Test func decodeAcceptsExactlyTheLimit() throws {
        let frame: [UInt8] = [0x00, 16, 0, 0, 0, 0, 0x04, 0x00] + [UInt8](repeating: 1, count: 1024)
        guard case .message(let got, let consumed) = try decode(frame, limit: 1024) else {
            Issue.record("expected a message")
            return
        }
        #expect(got.content.count == 1024)
        #expect(consumed == frame.count)
    }

    @Test func decodeWithoutLimitWaitsForHugeFrameWithoutAllocating() throws {
        guard case .needMore(let size) = try decode([0x00, 16, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], limit: nil) else {
            Issue.record("expected needMore")
            return
        }
        #expect(size == 8 + 0xFFFF_FFFF)
    }

    @Test func decodeRejectsHops255() {
        #expect(throws: FrameError.hopsOverflow) { try decode([0x00, 16, 255, 0, 0, 0, 0, 0]) }
    }

    @Test func decodeAcceptsHops254() throws {
        let frame: [UInt8] = [0x00, 16, 254, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 254 * 4)
        guard case .message(let got, _) = try decode(frame) else {
            Issue.record("expected a message")
            return
        }
        #expect(got.hops == 255)
    }

    @Test func decodeRejectsToDestWithoutDestination() {
        #expect(throws: FrameError.missingDestination) { try decode([0x02, 16, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func decodeReportsExpiredTTL() throws {
        let frame: [UInt8] = [0x00, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 9, 0xAA, 0xBB]
        guard case .expired(let consumed) = try decode(frame + [0x00]) else {
            Issue.record("expected expired")
            return
        }
        #expect(consumed == frame.count)
    }

    @Test func decodeAsksForMoreOnEveryPrefix() throws {
        let frame = try encode(Message(content: [1, 2, 3, 4, 5], sendType: .toDest, source: [1, 2], destination: [3]))
        for length in 0..<frame.count {
            let result = try decode(Array(frame.prefix(length)))
            guard case .needMore(let size) = result else {
                Issue.record("prefix \(length): expected needMore, got \(result)")
                continue
            }
            #expect(size == (length < 8 ? nil : frame.count), "prefix \(length)")
        }
        guard case .message(_, let consumed) = try decode(frame) else {
            Issue.record("expected a message")
            return
        }
        #expect(consumed == frame.count)
    }

    @Test func backToBackFramesDecodeInTurn() throws {
        let first = try encode(Message(content: [1], source: [5]))
        let second = try encode(Message(content: [2, 2], sendType: .toDest, destination: [8, 9]))
        let stream = first + second
        guard case .message(let one, let used) = try decode(stream, on: 3) else {
            Issue.record("expected a message")
            return
        }
        #expect(used == first.count)
        #expect(one.content == [1])
        guard case .message(let two, let usedTwo) = try decode(Array(stream[used...]), on: 3) else {
            Issue.record("expected a message")
            return
        }
        #expect(usedTwo == second.count)
        #expect(two.content == [2, 2])
        #expect(two.destination == [9])
    }

    @Test func encodesSpilledPathsByteExact() throws {
        // Five ids each way: past the inline capacity, so both paths live in arrays.
        let message = Message(
            content: [0xEE],
            sendType: .toDest,
            ttl: 2,
            source: [1, 2, 3, 4, 0xFFFF_FFFF],
            destination: [0x0A0B_0C0D, 6, 7, 8, 9]
        )
        var expected: [UInt8] = [0x02, 2, 5, 5, 0, 0, 0, 1]
        expected += [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF]
        expected += [0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9]
        expected += [0xEE]
        #expect(try encode(message) == expected)
        #expect(message.frameSize == expected.count)
    }

    /// Hop and distance counts on both sides of `MessagePath.inlineCapacity` (1): the decoded source gains
    /// the arrival pipe (so 0 hops fill it and 1 spills), a to-dest destination loses an id (so 2 fit and 3
    /// spill); the ranges also cover a capacity of up to 4.
    @Test(arguments: 0...6, 0...7)
    func pathsRoundTripAcrossTheInlineBoundary(hops: Int, distance: Int) throws {
        let sourceIDs = (0..<hops).map { UInt32(0xF000_0000) + UInt32($0) }
        let destinationIDs = (0..<distance).map { UInt32(0x100 * ($0 + 1)) }
        let sendType: SendType = distance > 0 ? .toDest : .toOne
        let sent = Message(
            content: [UInt8](repeating: 0x5A, count: 64),
            sendType: sendType,
            ttl: 9,
            source: MessagePath(sourceIDs),
            destination: MessagePath(destinationIDs)
        )
        let frame = try encode(sent)
        // However a path is stored, it encodes alike.
        let spilledCopy = Message(
            content: sent.content, sendType: sendType, ttl: 9,
            source: MessagePath(spilled: sourceIDs), destination: MessagePath(spilled: destinationIDs)
        )
        #expect(try encode(spilledCopy) == frame)
        #expect(frame.count == 8 + 4 * (hops + distance) + 64)

        guard case .message(let got, let consumed) = try decode(frame, on: 77) else {
            Issue.record("expected a message")
            return
        }
        let keptDestination = sendType == .toDest ? Array(destinationIDs.dropFirst()) : destinationIDs
        #expect(consumed == frame.count)
        #expect(Array(got.source) == [77] + sourceIDs)
        #expect(Array(got.destination) == keptDestination)
        #expect(got.source.isInline == (hops + 1 <= MessagePath.inlineCapacity))
        #expect(got.destination.isInline == (keptDestination.count <= MessagePath.inlineCapacity))
        #expect(got.content == sent.content)

        // The in-memory receive rule (inproc) agrees with the codec's.
        let arrived = try sent.arriving(on: 77, maxContentLength: nil)
        #expect(arrived == got)
        #expect(arrived.source.isInline == got.source.isInline)
        #expect(arrived.destination.isInline == got.destination.isInline)
        // Re-encoding what arrived is what a device forwarding it would send.
        #expect(try encode(got) == encode(arrived))
    }

    @Test(arguments: 0..<20)
    func randomMessagesRoundTrip(seed: Int) throws {
        var random = FastRandom(seed: UInt64(seed) &* 7919)
        let hops = Int.random(in: 0...254, using: &random)
        let distance = Int.random(in: 1...255, using: &random)
        let sent = Message(
            content: random.bytes(Int.random(in: 0...3000, using: &random)),
            sendType: .toDest,
            ttl: UInt8.random(in: 1...255, using: &random),
            source: MessagePath((0..<hops).map { _ in UInt32.random(in: 1...0x7FFF_FFFF, using: &random) }),
            destination: MessagePath((0..<distance).map { _ in UInt32.random(in: 1...0x7FFF_FFFF, using: &random) })
        )
        let frame = try encode(sent)
        #expect(frame.count == sent.frameSize)
        guard case .message(let got, let consumed) = try decode(frame, on: 77) else {
            Issue.record("expected a message")
            return
        }
        #expect(consumed == frame.count)
        #expect(got.source.ids == [77] + sent.source.ids)
        #expect(got.destination.ids == Array(sent.destination.ids.dropFirst()))
        #expect(got.ttl == sent.ttl - 1)
        #expect(got.content == sent.content)
    }
}
