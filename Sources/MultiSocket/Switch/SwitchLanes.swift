@_spi(Internals) import MultiSocketConnector

/// The lanes of one ``Switch`` direction with concurrent routing, and which source uses which.
///
/// A source (a message's ``/MultiSocketConnector/Message/source`` path) keeps its lane while any of its messages is queued or
/// being routed, so its messages are routed one after another, in order; a source with nothing pending
/// takes the least loaded lane when its next message comes. So up to `count` sources are routed at once,
/// and a slow source holds up only the sources that share its lane. The table sits behind a lock taken
/// by the receiving loop (``lane(for:)``) and the lanes' tasks (``done(with:)``).
final class SwitchLanes: Sendable {
    private struct Assignments {
        var bySource: [MessagePath: (lane: Int, pending: Int)] = [:]
        var load: [Int]
    }

    /// The lanes, each a bounded queue with one routing task.
    let lanes: [SwitchLane]
    private let assignments: Locked<Assignments>

    init(count: Int, capacity: Int) {
        lanes = (0..<max(1, count)).map { _ in SwitchLane(capacity: capacity) }
        assignments = Locked(Assignments(load: Array(repeating: 0, count: max(1, count))))
    }

    /// The lane `message` goes to; counts it pending there until ``done(with:)``.
    func lane(for message: Message) -> SwitchLane {
        let index = assignments.withLock { table -> Int in
            let lane: Int
            if let entry = table.bySource[message.source] {
                lane = entry.lane
                table.bySource[message.source] = (lane, entry.pending + 1)
            } else {
                lane = table.load.indices.min { table.load[$0] < table.load[$1] }!
                table.bySource[message.source] = (lane, 1)
            }
            table.load[lane] += 1
            return lane
        }
        return lanes[index]
    }

    /// `message` has been routed (or refused by a closed lane): its source may move to another lane once
    /// nothing of it is pending.
    func done(with message: Message) {
        assignments.withLock { table in
            guard let entry = table.bySource[message.source] else { return }
            table.load[entry.lane] -= 1
            table.bySource[message.source] = entry.pending > 1 ? (entry.lane, entry.pending - 1) : nil
        }
    }

    /// Closes every lane: their tasks finish what is queued and end.
    func close() {
        for lane in lanes { lane.close() }
    }
}
