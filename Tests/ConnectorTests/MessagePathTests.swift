import MultiSocketConnector
import Testing

/// `MessagePath` stores up to ``MessagePath/inlineCapacity`` ids inline and spills longer paths to an array;
/// nothing but the ids may show through: equality, hashing, order, description, and the mutations the
/// receive rule uses, across the boundary both ways.
@Suite
struct MessagePathTests {
    /// Lengths on both sides of the inline boundary, and the codec's limits.
    static let lengths = Array(0...10) + [254, 255]

    /// Distinct ids that use all 32 bits, zero and `UInt32.max` among them (a zero id must not read as an
    /// empty slot).
    private static func ids(_ count: Int, salt: UInt32 = 0) -> [UInt32] {
        (0..<count).map { index in
            switch index % 4 {
            case 1: 0
            case 3: UInt32.max - UInt32(index) - salt
            default: 0x8765_4321 &* UInt32(index + 1) &+ salt
            }
        }
    }

    private static func hash(_ path: MessagePath) -> Int {
        var hasher = Hasher()
        hasher.combine(path)
        return hasher.finalize()
    }

    /// A path is one word, so a `Message` stays at four: past 32 bytes Swift copies and destroys it through
    /// value-witness calls, which cost more per message than the allocation inline ids save.
    @Test func pathIsOneWordAndMessageFourWords() {
        #expect(MemoryLayout<MessagePath>.size == 8)
        #expect(MemoryLayout<Message>.size <= 32)
        #expect(MemoryLayout<Message?>.size <= 32)
        #expect(MessagePath.inlineCapacity == 1)
    }

    @Test(arguments: lengths)
    func pathsBuiltDifferentlyAreEqualAndHashAlike(length: Int) {
        let ids = Self.ids(length)
        let fromArray = MessagePath(ids)
        var prepended = MessagePath()
        for id in ids.reversed() { prepended.prepend(id) }
        var appended = MessagePath()
        for id in ids { appended.append(id) }
        let spilled = MessagePath(spilled: ids)

        #expect(fromArray.isInline == (length <= MessagePath.inlineCapacity))
        #expect(prepended.isInline == fromArray.isInline)
        #expect(appended.isInline == fromArray.isInline)
        #expect(!spilled.isInline)
        for path in [fromArray, prepended, appended, spilled] {
            #expect(path.count == length)
            #expect(path.isEmpty == (length == 0))
            #expect(path.ids == ids)
            #expect(Array(path) == ids)
            #expect(path == fromArray)
            #expect(fromArray == path)
            #expect(Self.hash(path) == Self.hash(fromArray))
        }
        #expect(Set([fromArray, prepended, appended, spilled]).count == 1)
    }

    @Test func literalsEqualPathsBuiltFromArrays() {
        let literals: [(MessagePath, [UInt32])] = [
            ([], []), ([7], [7]), ([7, 0], [7, 0]), ([1, 2, 3], [1, 2, 3]), ([1, 2, 3, 4], [1, 2, 3, 4]),
            ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), ([.max, 0, .max, 0, .max, 0], [.max, 0, .max, 0, .max, 0]),
        ]
        for (literal, ids) in literals {
            #expect(literal == MessagePath(ids))
            #expect(literal == MessagePath(spilled: ids))
            #expect(Self.hash(literal) == Self.hash(MessagePath(spilled: ids)))
            #expect(literal.ids == ids)
            #expect(literal.isInline == (ids.count <= MessagePath.inlineCapacity))
        }
    }

    @Test(arguments: lengths)
    func differentPathsAreUnequal(length: Int) {
        let path = MessagePath(Self.ids(length))
        var longer = path
        longer.append(0)  // a trailing zero id is an id, not an empty slot
        #expect(path != longer)
        #expect(MessagePath(spilled: Array(path)) != longer)
        var shorter = path
        if !shorter.isEmpty {
            shorter = MessagePath(Array(path.dropLast()))
            #expect(path != shorter)
        }
        for index in path.indices {
            var ids = Array(path)
            ids[index] ^= 1
            #expect(MessagePath(ids) != path)
            #expect(MessagePath(spilled: ids) != path)
        }
    }

    @Test(arguments: lengths)
    func prependThenRemoveFirstRoundTrips(length: Int) {
        let original = MessagePath(Self.ids(length))
        let extra = Self.ids(6, salt: 99)
        var path = original
        for (step, id) in extra.enumerated() {
            path.prepend(id)
            #expect(path.count == length + step + 1)
            #expect(path.first == id)
            #expect(path.isInline == (path.count <= MessagePath.inlineCapacity))
            #expect(Array(path) == Array(extra[...step].reversed()) + Array(original))
        }
        for (step, id) in extra.enumerated().reversed() {
            #expect(path.removeFirst() == id)
            #expect(path.count == length + step)
            #expect(path.isInline == (path.count <= MessagePath.inlineCapacity))
        }
        #expect(path == original)
        #expect(Self.hash(path) == Self.hash(original))
    }

    @Test(arguments: lengths)
    func removeFirstEmptiesThePathInOrder(length: Int) {
        let ids = Self.ids(length)
        for start in [MessagePath(ids), MessagePath(spilled: ids)] {
            var path = start
            for index in ids.indices {
                #expect(path.removeFirst() == ids[index])
                #expect(Array(path) == Array(ids[(index + 1)...]))
                #expect(path == MessagePath(Array(ids[(index + 1)...])))
                #expect(path.isInline || path.count > MessagePath.inlineCapacity)
            }
            #expect(path.isEmpty)
            #expect(path == [])
        }
    }

    @Test(arguments: lengths)
    func subscriptAndIterationFollowTheIDs(length: Int) {
        let ids = Self.ids(length)
        let path = MessagePath(ids)
        #expect(path.startIndex == 0)
        #expect(path.endIndex == length)
        for index in ids.indices { #expect(path[index] == ids[index]) }
        var iterated: [UInt32] = []
        for id in path { iterated.append(id) }
        #expect(iterated == ids)
        #expect(Array(path.reversed()) == Array(ids.reversed()))
        #expect(path.first == ids.first)
        #expect(path.last == ids.last)
        #expect(Array(path.dropFirst()) == Array(ids.dropFirst()))
    }

    @Test(arguments: lengths)
    func descriptionJoinsTheIDsWithArrows(length: Int) {
        let ids = Self.ids(length)
        let expected = ids.map(String.init).joined(separator: "→")
        #expect(MessagePath(ids).description == expected)
        #expect(MessagePath(spilled: ids).description == expected)
        #expect("\(MessagePath(ids))" == expected)
    }

    @Test func descriptionOfShortPaths() {
        #expect(MessagePath().description == "")
        #expect(MessagePath([42]).description == "42")
        #expect(([3, 0, 4_294_967_295] as MessagePath).description == "3→0→4294967295")
    }

    @Test(arguments: lengths)
    func copiesAreIndependent(length: Int) {
        let ids = Self.ids(length)
        let original = MessagePath(ids)
        var copy = original
        copy.prepend(1)
        copy.append(2)
        #expect(original.ids == ids)
        var other = original
        if !other.isEmpty { other.removeFirst() }
        #expect(original.ids == ids)
        #expect(copy.ids == [1] + ids + [2])
    }

    @Test func messagesCompareByPathContentNotStorage() {
        let ids: [UInt32] = [5, 6, 7]
        let inline = Message(content: [1], sendType: .toDest, source: MessagePath(ids), destination: MessagePath(ids))
        let spilled = Message(
            content: [1], sendType: .toDest, source: MessagePath(spilled: ids), destination: MessagePath(spilled: ids)
        )
        #expect(inline == spilled)
        #expect(inline.hashValue == spilled.hashValue)
    }
}
