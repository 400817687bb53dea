import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// The reactor's timer heap on its own: deadline order, ties in scheduling order, cancellation without
/// a scan, and storage that does not grow with cancelled timers.
@Suite(.timeLimit(.minutes(1)))
struct ReactorTimerHeapTests {
    @Test func popsInDeadlineOrder() {
        var heap = TimerHeap<Int>()
        let deadlines: [UInt64] = [50, 10, 40, 30, 20, 60, 5]
        for (index, deadline) in deadlines.enumerated() { _ = heap.schedule(at: deadline, index) }
        #expect(heap.count == deadlines.count)
        #expect(heap.nextDeadline() == 5)
        var order: [UInt64] = []
        while let index = heap.popDue(now: .max) { order.append(deadlines[index]) }
        #expect(order == deadlines.sorted())
        #expect(heap.isEmpty)
        #expect(heap.nextDeadline() == nil)
    }

    @Test func nothingIsDueBeforeItsDeadline() {
        var heap = TimerHeap<String>()
        _ = heap.schedule(at: 100, "late")
        _ = heap.schedule(at: 10, "early")
        #expect(heap.popDue(now: 9) == nil)
        #expect(heap.popDue(now: 10) == "early")
        #expect(heap.popDue(now: 99) == nil)
        #expect(heap.popDue(now: 100) == "late")
    }

    @Test func tiesComeOutInSchedulingOrder() {
        var heap = TimerHeap<Int>()
        for index in 0..<100 { _ = heap.schedule(at: 7, index) }
        _ = heap.schedule(at: 3, -1)
        var order: [Int] = []
        while let index = heap.popDue(now: 7) { order.append(index) }
        #expect(order == [-1] + Array(0..<100))
    }

    @Test func cancelledTimersNeverFire() {
        var heap = TimerHeap<Int>()
        let first = heap.schedule(at: 1, 1)
        let second = heap.schedule(at: 2, 2)
        let third = heap.schedule(at: 3, 3)
        #expect(first != second && second != third && first != 0)
        #expect(heap.cancel(first) == true)
        #expect(heap.cancel(first) == false, "a second cancel is a no-op")
        #expect(heap.count == 2)
        #expect(heap.nextDeadline() == 2, "the cancelled top is skipped")
        #expect(heap.popDue(now: 2) == 2)
        #expect(heap.cancel(second) == false, "cancelling a fired timer is a no-op")
        #expect(heap.cancel(third) == true)
        #expect(heap.popDue(now: .max) == nil)
        #expect(heap.isEmpty)
    }

    /// A cancelled timer's payload is released at once, not when its deadline comes.
    @Test func cancellingReleasesThePayload() {
        final class Token: Sendable {}
        var heap = TimerHeap<Token>()
        weak var weakToken: Token?
        let id: UInt64 = {
            let token = Token()
            weakToken = token
            return heap.schedule(at: .max, token)
        }()
        #expect(weakToken != nil)
        heap.cancel(id)
        #expect(weakToken == nil)
    }

    /// Timers armed and cancelled long before their deadline (one per frame) leave the storage bounded.
    @Test func cancelledTimersDoNotAccumulate() {
        var heap = TimerHeap<Int>()
        _ = heap.schedule(at: 1, 0)
        for index in 0..<100_000 {
            let id = heap.schedule(at: UInt64(1_000_000 + index), index)
            heap.cancel(id)
        }
        #expect(heap.count == 1)
        #expect(heap.storedCount < 200, "\(heap.storedCount) entries stored for 1 live timer")
        #expect(heap.popDue(now: .max) == 0)
    }

    /// Thousands of timers, a third cancelled, against a sorted reference.
    @Test func manyTimersMatchASortedReference() {
        var heap = TimerHeap<Int>()
        var random = FastRandom(seed: 12)
        var live: [(deadline: UInt64, sequence: Int)] = []
        var ids: [UInt64] = []
        for sequence in 0..<20_000 {
            let deadline = random.next() % 5_000
            ids.append(heap.schedule(at: deadline, sequence))
            live.append((deadline, sequence))
        }
        var cancelled = Set<Int>()
        for sequence in stride(from: 0, to: 20_000, by: 3) {
            #expect(heap.cancel(ids[sequence]) == true)
            cancelled.insert(sequence)
        }
        let expected = live.filter { !cancelled.contains($0.sequence) }
            .sorted { $0.deadline != $1.deadline ? $0.deadline < $1.deadline : $0.sequence < $1.sequence }
            .map(\.sequence)
        #expect(heap.count == expected.count)
        var popped: [Int] = []
        var now: UInt64 = 0
        while !heap.isEmpty {
            while let sequence = heap.popDue(now: now) { popped.append(sequence) }
            now += 250
        }
        #expect(popped == expected)
    }
}
