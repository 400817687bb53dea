@testable import MultiSocket
@_spi(Internals) import MultiSocketConnector
import Synchronization
import Testing

/// A pipe handle with no I/O behind it: an id, a raw flag, and output that a test says is pending or not.
private final class FakePipe: SocketStatePipe {
    let id: UInt32
    let isRaw: Bool
    private let pending = Atomic(false)

    init(_ id: UInt32, raw: Bool = false) {
        self.id = id
        self.isRaw = raw
    }

    var hasPendingOutput: Bool {
        get { pending.load(ordering: .relaxed) }
        set { pending.store(newValue, ordering: .relaxed) }
    }

    func watchPendingOutput() -> Bool { hasPendingOutput }
}

/// Waiters are labels: the test checks which ones an action hands back.
private enum FakeTypes: SocketStateTypes {
    typealias Pipe = FakePipe
    typealias Receiver = String
    typealias Sender = String
    typealias Closer = String
}

private typealias State = SocketState<FakeTypes>

private func message(_ text: String) -> Message {
    Message(content: Array(text.utf8), ttl: 16)
}

private func text(_ message: Message) -> String {
    String(decoding: message.content, as: UTF8.self)
}

/// The socket's state machine alone: every transition and the action it returns, with no pipe, thread or
/// reactor.
@Suite struct SocketStateTests {
    // MARK: To-one sends

    @Test func toOneSendWithAnIdlePipeWritesToItDirectly() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        let pipe = FakePipe(7)
        guard case .idle = state.add(pipe) else { Issue.record("a pipe with nothing queued is idle"); return }
        guard case .write(let target, let drains) = state.sendToOne(message("a")) else {
            Issue.record("expected a direct write")
            return
        }
        #expect(target === pipe)
        #expect(drains == 0)
        #expect(state.statistics.messagesSent == 1)
        #expect(state.shared.isEmpty)
    }

    @Test func toOneSendsGoRoundRobinOverIdlePipes() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        let pipes = [FakePipe(1), FakePipe(2), FakePipe(3)]
        for pipe in pipes { _ = state.add(pipe) }
        var order: [UInt32] = []
        for index in 0..<6 {
            if case .write(let target, _) = state.sendToOne(message("\(index)")) { order.append(target.id) }
        }
        #expect(order == [1, 2, 3, 1, 2, 3])
    }

    @Test func toOneSendWithoutAPipeQueuesUntilOneArrives() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        guard case .queued = state.sendToOne(message("early")) else {
            Issue.record("with no pipe the message waits in the shared queue")
            return
        }
        let pipe = FakePipe(3)
        guard case .serve(let carrier) = state.add(pipe) else {
            Issue.record("a pipe arriving to a queued message is held to carry it")
            return
        }
        #expect(carrier === pipe)
        var batch = Ring<Message>()
        var admitted: [String] = []
        guard case .write(let drains) = state.nextBatch(for: 3, limit: 16, into: &batch, admitted: &admitted) else {
            Issue.record("the held pipe gets the queued message")
            return
        }
        #expect(batch.count == 1 && text(batch.first!) == "early")
        var sent = PipeBatchSendResult()
        sent.sent = 1
        sent.bytes = 5
        _ = batch.popFirst()
        guard case .carryOn = state.settleBatch(on: 3, drains: drains, sent, rest: &batch) else {
            Issue.record("a pipe with room carries on")
            return
        }
        guard case .finished(let linger) = state.nextBatch(for: 3, limit: 16, into: &batch, admitted: &admitted)
        else {
            Issue.record("an empty queue finishes the dispatcher")
            return
        }
        #expect(linger == nil)
        #expect(state.statistics.messagesSent == 1)
        // Released: the pipe takes the next message directly.
        guard case .write(let target, _) = state.sendToOne(message("next")) else {
            Issue.record("the released pipe is idle again")
            return
        }
        #expect(target === pipe)
    }

    @Test func aFullPipeTurnsBusyAndItsMessageGoesToTheNextIdlePipe() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        let first = FakePipe(1)
        let second = FakePipe(2)
        _ = state.add(first)
        _ = state.add(second)
        let sent = message("m")
        guard case .write(let target, let drains) = state.sendToOne(sent) else {
            Issue.record("expected a direct write")
            return
        }
        #expect(target === first)
        guard case .serve(let carrier) = state.settleWrite(sent, to: 1, drains: drains, .full) else {
            Issue.record("the message the full pipe refused goes to another idle pipe")
            return
        }
        #expect(carrier === second)
        #expect(state.shared.count == 1)
        #expect(state.statistics.messagesSent == 0)
        // The busy pipe is skipped until it drains.
        #expect(state.pipes[1]?.busy == true)
        guard case .drained(_, let waiters, let newDrains, let serve) = state.drained(1) else {
            Issue.record("a held pipe drains")
            return
        }
        #expect(waiters.isEmpty && newDrains == 1)
        #expect(serve, "a message is still queued: the drained pipe helps carry it")
        #expect(state.pipes[1]?.busy == false)
    }

    @Test func aFullQueueSuspendsTheSenderOrDropsWithBestEffort() {
        for bestEffort in [false, true] {
            var state = State(sendQueueSize: 2, receiveQueueSize: 4, bestEffort: bestEffort)
            _ = state.sendToOne(message("1"))
            _ = state.sendToOne(message("2"))
            switch state.sendToOne(message("3")) {
            case .suspend: #expect(!bestEffort)
            case .drop:
                #expect(bestEffort)
                #expect(state.statistics.drops[.queueFull] == 1)
            default: Issue.record("a full queue neither suspended nor dropped")
            }
        }
    }

    @Test func aWaitingSenderIsAdmittedWhenADrainedPipeServesTheQueue() {
        var state = State(sendQueueSize: 1, receiveQueueSize: 4, bestEffort: false)
        let pipe = FakePipe(5)
        _ = state.add(pipe)
        let first = message("first")
        guard case .write(_, let drains) = state.sendToOne(first) else { Issue.record("direct write"); return }
        _ = state.settleWrite(first, to: 5, drains: drains, .full)  // back in the queue, the pipe busy
        let waiting = message("second")
        guard case .suspend = state.sendToOne(waiting) else { Issue.record("the queue is full"); return }
        let id = state.makeID()
        guard case .suspended = state.waitForRoom(id, message: waiting, pipeID: nil, drains: 0, sender: "s",
                                                  cancelled: false)
        else {
            Issue.record("the sender waits for room")
            return
        }
        guard case .drained(let drainedPipe, _, let seen, true) = state.drained(5) else {
            Issue.record("a drained pipe with messages queued serves the queue")
            return
        }
        #expect(drainedPipe === pipe)
        var batch = Ring<Message>()
        var admitted: [String] = []
        guard case .write(let batchDrains) = state.nextBatch(for: 5, limit: 16, into: &batch, admitted: &admitted)
        else {
            Issue.record("the drained pipe writes the queue")
            return
        }
        #expect(batchDrains == seen)
        #expect(batch.removeAll().map(text) == ["first", "second"])
        #expect(admitted == ["s"])
    }

    @Test func aCancelledSenderLeavesNothingBehind() {
        var state = State(sendQueueSize: 1, receiveQueueSize: 4, bestEffort: false)
        _ = state.sendToOne(message("fills the queue"))
        let id = state.makeID()
        _ = state.waitForRoom(id, message: message("w"), pipeID: nil, drains: 0, sender: "s", cancelled: false)
        #expect(state.cancelSend(id) == "s")
        #expect(state.cancelSend(id) == nil)
        guard case .cancelled = state.waitForRoom(state.makeID(), message: message("w"), pipeID: nil, drains: 0,
                                                  sender: "t", cancelled: true)
        else {
            Issue.record("a cancelled task does not wait")
            return
        }
    }

    @Test func aSenderWaitingForOnePipeRetriesWhenItDrainedMeanwhileAndIsTakenOnDrain() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = state.add(FakePipe(9))
        _ = state.drained(9)
        guard case .retry = state.waitForRoom(1, message: message("x"), pipeID: 9, drains: 0, sender: "stale",
                                              cancelled: false)
        else {
            Issue.record("a drain since the attempt means try again at once")
            return
        }
        guard case .suspended = state.waitForRoom(2, message: message("x"), pipeID: 9, drains: 1, sender: "s",
                                                  cancelled: false)
        else {
            Issue.record("the sender waits for the pipe")
            return
        }
        guard case .drained(_, let waiters, _, _) = state.drained(9) else { Issue.record("drained"); return }
        #expect(waiters.map(\.sender) == ["s"])
        guard case .fail(let error) = state.waitForRoom(3, message: message("x"), pipeID: 404, drains: 0,
                                                        sender: "gone", cancelled: false)
        else {
            Issue.record("no such pipe")
            return
        }
        #expect(error.code == .brokenPath)
    }

    @Test func waitersAPipeCouldNotTakeAreRequeuedInOrder() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = state.add(FakePipe(4))
        for (id, sender) in [(UInt64(1), "a"), (2, "b")] {
            _ = state.waitForRoom(id, message: message(sender), pipeID: 4, drains: 0, sender: sender, cancelled: false)
        }
        guard case .drained(_, let waiters, let drains, _) = state.drained(4) else { Issue.record("drained"); return }
        guard case .requeued = state.requeue(waiters[...], on: 4, drainsSeen: drains) else {
            Issue.record("full again: they wait again")
            return
        }
        guard case .drained(_, let again, _, _) = state.drained(4) else { Issue.record("drained"); return }
        #expect(again.map(\.sender) == ["a", "b"])
        _ = state.remove(4)
        guard case .gone = state.requeue(again[...], on: 4, drainsSeen: 2) else {
            Issue.record("a removed pipe fails its waiters")
            return
        }
    }

    @Test func aDispatcherWhosePipeClosesOrIsRemovedHandsTheQueueToAnotherPipe() {
        var state = State(sendQueueSize: 8, receiveQueueSize: 4, bestEffort: false)
        for name in ["a", "b", "c"] { _ = state.sendToOne(message(name)) }
        guard case .serve(let first) = state.add(FakePipe(1)) else { Issue.record("held to serve"); return }
        var batch = Ring<Message>()
        var admitted: [String] = []
        guard case .write(let drains) = state.nextBatch(for: first.id, limit: 8, into: &batch, admitted: &admitted)
        else {
            Issue.record("write")
            return
        }
        guard case .idle = state.add(FakePipe(2)) else { Issue.record("nothing queued: idle"); return }
        // The pipe closed under the batch: nothing taken, all of it back in order, the next pipe carries on.
        var closed = PipeBatchSendResult()
        closed.room = .closed
        guard case .handOver(let second) = state.settleBatch(on: 1, drains: drains, closed, rest: &batch)
        else {
            Issue.record("hand over")
            return
        }
        #expect(second.id == 2)
        #expect(state.shared.count == 3)
        // The new carrier is removed before it writes: the queue waits for the next pipe.
        _ = state.remove(2)
        guard case .finished = state.nextBatch(for: 2, limit: 2, into: &batch, admitted: &admitted) else {
            Issue.record("no pipe can carry on")
            return
        }
        guard case .serve(let third) = state.add(FakePipe(3)) else { Issue.record("a new pipe serves"); return }
        guard case .write = state.nextBatch(for: third.id, limit: 8, into: &batch, admitted: &admitted) else {
            Issue.record("write")
            return
        }
        #expect(batch.removeAll().map(text) == ["a", "b", "c"])
    }

    // MARK: trySend

    @Test func trySendNeverQueues() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        guard case .noPeer = state.trySendToOne(message("x")) else { Issue.record("no pipe: no peer"); return }
        _ = state.add(FakePipe(1, raw: true))
        guard case .noPeer = state.trySendToOne(message("x")) else { Issue.record("raw pipes take none"); return }
        _ = state.add(FakePipe(2))
        guard case .write(let target, let drains) = state.trySendToOne(message("x")) else {
            Issue.record("an idle pipe takes it")
            return
        }
        #expect(target.id == 2)
        guard case .wouldBlock = state.settleTry(message("x"), to: 2, drains: drains, .full) else {
            Issue.record("a full pipe: would block, and the caller keeps the message")
            return
        }
        #expect(state.shared.isEmpty)
        guard case .wouldBlock = state.trySendToOne(message("y")) else { Issue.record("busy: would block"); return }
        guard case .retry = state.settleTry(message("x"), to: 2, drains: drains, .closed) else {
            Issue.record("a closed pipe: try another")
            return
        }
    }

    // MARK: Receiving

    @Test func deliveredMessagesGoToWaitingReceiversInOrderThenQueueAndPause() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 2, bestEffort: false)
        let pipe = FakePipe(1)
        _ = state.add(pipe)
        for (id, name) in [(UInt64(1), "r1"), (2, "r2")] {
            guard case .suspended = state.waitForMessage(id, receiver: name, cancelled: false) else {
                Issue.record("nothing received yet")
                return
            }
        }
        #expect(state.cancelReceive(2) == "r2")
        guard case .handTo("r1") = state.deliver(message("a"), from: 1) else { Issue.record("to r1"); return }
        guard case .queued = state.deliver(message("b"), from: 1) else { Issue.record("queued"); return }
        guard case .pause = state.deliver(message("c"), from: 1) else { Issue.record("full: pause"); return }
        guard case .message(let first, let resume) = state.takeReceived() else { Issue.record("b"); return }
        #expect(text(first) == "b")
        #expect(resume.map(\.id) == [1], "half empty: the paused pipe resumes")
        guard case .message(let second, let none) = state.takeReceived() else { Issue.record("c"); return }
        #expect(text(second) == "c" && none.isEmpty)
        guard case .empty = state.takeReceived() else { Issue.record("empty"); return }
        #expect(state.statistics.messagesReceived == 3)
    }

    @Test func aBatchHandsOffToReceiversAndQueuesTheRest() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 2, bestEffort: false)
        _ = state.add(FakePipe(1))
        _ = state.waitForMessage(1, receiver: "r", cancelled: false)
        var batch = Ring<Message>()
        for name in ["a", "b", "c"] { batch.append(message(name)) }
        var handoffs: [State.Handoff] = []
        #expect(state.deliver(&batch, from: 1, handoffs: &handoffs) == .pause)
        #expect(handoffs.map(\.receiver) == ["r"] && handoffs.map { text($0.message) } == ["a"])
        #expect(state.received.count == 2)
    }

    @Test func stoppedInputEndsWaitersKeepsWhatWasReadAndDropsTheRest() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 2, bestEffort: false)
        _ = state.add(FakePipe(1))
        _ = state.waitForMessage(1, receiver: "r", cancelled: false)
        #expect(state.stopReceiving() == ["r"], "the waiting receiver ends (with closed)")
        guard case .closed = state.waitForMessage(2, receiver: "late", cancelled: false) else {
            Issue.record("an empty, stopped queue reads as closed")
            return
        }

        var reading = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = reading.add(FakePipe(1))
        guard case .queued = reading.deliver(message("read"), from: 1) else { Issue.record("queued"); return }
        #expect(reading.stopReceiving().isEmpty)
        guard case .stopped = reading.deliver(message("late"), from: 1) else { Issue.record("dropped"); return }
        var batch = Ring<Message>()
        for name in ["b1", "b2"] { batch.append(message(name)) }
        var handoffs: [State.Handoff] = []
        #expect(reading.deliver(&batch, from: 1, handoffs: &handoffs) == .stopped)
        #expect(batch.isEmpty && handoffs.isEmpty)
        guard case .message(let kept, let resume) = reading.takeReceived() else { Issue.record("kept"); return }
        #expect(text(kept) == "read" && resume.isEmpty, "what was read is still received; no pipe resumes")
        guard case .closed = reading.takeReceived() else { Issue.record("then closed"); return }
        #expect(reading.statistics.messagesReceived == 1)
        #expect(reading.statistics.drops[.receivingStopped] == 3)
    }

    // MARK: Pipes

    @Test func removingAPipeFailsItsWaitersAndSweepsTheIdleRing() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        for id in UInt32(1)...8 { _ = state.add(FakePipe(id)) }
        _ = state.waitForRoom(1, message: message("w"), pipeID: 3, drains: 0, sender: "w", cancelled: false)
        #expect(state.remove(3)?.senders == ["w"])
        #expect(state.remove(3) == nil)
        for id in UInt32(1)...8 where id != 3 { _ = state.remove(id) }
        #expect(state.idle.count < 8, "removed pipes do not pile up in the idle ring")
        guard case .noPeer = state.trySendToOne(message("x")) else { Issue.record("no pipe left"); return }
    }

    @Test func aPipeInAReusedSlotIsPickedOnceAndTheRemovedOneNever() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        for id in UInt32(1)...3 { _ = state.add(FakePipe(id)) }
        // Pipe 1 leaves while its slot reference waits in the idle ring; pipe 4 takes the freed slot.
        _ = state.remove(1)
        _ = state.add(FakePipe(4))
        #expect(state.pipes[4]?.id == 4 && state.pipes[1] == nil && state.pipes.count == 3)
        var picked: [UInt32] = []
        for _ in 0..<6 {
            guard case .write(let pipe, _) = state.sendToOne(message("m")) else {
                Issue.record("every pipe is idle")
                return
            }
            picked.append(pipe.id)
        }
        #expect(picked == [2, 3, 4, 2, 3, 4], "round robin over the live pipes, the reused slot's pipe once a turn")
        #expect(state.removedInIdle == 0, "the stale reference was met and forgotten")
    }

    @Test func aPipeThatStopsSendingTakesNoMoreAndFailsItsWaiters() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = state.add(FakePipe(1))
        _ = state.waitForRoom(1, message: message("w"), pipeID: 1, drains: 0, sender: "w", cancelled: false)
        #expect(state.stopSending(1).senders == ["w"])
        guard case .noPeer = state.trySendToOne(message("x")) else { Issue.record("it sends nothing"); return }
        guard case .queued = state.sendToOne(message("x")) else { Issue.record("the message waits"); return }
    }

    // MARK: Closing

    @Test func closeHandsBackWaitingSendersAndReceiversAndRefusesWhatFollows() {
        var state = State(sendQueueSize: 1, receiveQueueSize: 4, bestEffort: false)
        _ = state.sendToOne(message("queued"))
        _ = state.waitForRoom(state.makeID(), message: message("w"), pipeID: nil, drains: 0, sender: "s",
                              cancelled: false)
        _ = state.waitForMessage(state.makeID(), receiver: "r", cancelled: false)
        guard case .first(let receivers, let senders) = state.beginClose() else { Issue.record("first"); return }
        #expect(receivers == ["r"] && senders == ["s"])
        guard case .alreadyClosing = state.beginClose() else { Issue.record("idempotent"); return }
        guard case .suspended = state.waitForClose("second") else { Issue.record("waits"); return }
        guard case .fail(let error) = state.sendToOne(message("late")) else { Issue.record("refused"); return }
        #expect(error.code == .closed)
        guard case .closed = state.waitForMessage(state.makeID(), receiver: "late", cancelled: false) else {
            Issue.record("a receive after close ends")
            return
        }
        #expect(state.finishClose() == ["second"])
        #expect(state.statistics.drops[.lingerExpired] == 1, "the queued message never found a pipe")
        guard case .closed = state.waitForClose("third") else { Issue.record("closed"); return }
    }

    @Test func receivedMessagesOutliveTheClose() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = state.add(FakePipe(1))
        _ = state.deliver(message("kept"), from: 1)
        _ = state.beginClose()
        guard case .message(let kept, _) = state.takeReceived() else { Issue.record("still there"); return }
        #expect(text(kept) == "kept")
        guard case .closed = state.takeReceived() else { Issue.record("then closed"); return }
    }

    @Test func lingerWaitsForPipeOutputAndTheSharedQueue() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        let pipe = FakePipe(1)
        _ = state.add(pipe)
        pipe.hasPendingOutput = true
        _ = state.beginClose()
        guard case .waiting = state.startLinger("closer") else { Issue.record("output pending"); return }
        #expect(state.lingerIfDrained() == nil)
        pipe.hasPendingOutput = false
        #expect(state.lingerIfDrained() == "closer")
        #expect(state.lingerExpired() == nil, "taken once")
    }

    /// The linger timer is armed before the closer registers: if it fires first, the closer does not wait.
    @Test func aLingerTimeThatPassedBeforeTheCloserRegisteredLetsItGo() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        let pipe = FakePipe(1)
        _ = state.add(pipe)
        pipe.hasPendingOutput = true
        _ = state.beginClose()
        #expect(state.lingerExpired() == nil, "nobody waits yet")
        guard case .drained = state.startLinger("closer") else { Issue.record("the time is up"); return }
        #expect(state.lingerIfDrained() == nil)
    }

    @Test func lingerEndsWhenTheDispatcherEmptiesTheQueueOrTheTimeRunsOut() {
        var state = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = state.sendToOne(message("queued"))
        guard case .serve = state.add(FakePipe(1)) else { Issue.record("held to serve"); return }
        _ = state.beginClose()
        guard case .waiting = state.startLinger("closer") else { Issue.record("a message is queued"); return }
        var batch = Ring<Message>()
        var admitted: [String] = []
        guard case .write(let drains) = state.nextBatch(for: 1, limit: 16, into: &batch, admitted: &admitted) else {
            Issue.record("write")
            return
        }
        #expect(state.lingerIfDrained() == nil, "a batch in a dispatcher's hands is still queued")
        var outcome = PipeBatchSendResult()
        outcome.sent = batch.count
        _ = batch.removeAll()
        _ = state.settleBatch(on: 1, drains: drains, outcome, rest: &batch)
        guard case .finished(let linger) = state.nextBatch(for: 1, limit: 16, into: &batch, admitted: &admitted)
        else {
            Issue.record("finished")
            return
        }
        #expect(linger == "closer")

        var timedOut = State(sendQueueSize: 4, receiveQueueSize: 4, bestEffort: false)
        _ = timedOut.sendToOne(message("never sent"))
        _ = timedOut.beginClose()
        _ = timedOut.startLinger("closer")
        #expect(timedOut.lingerExpired() == "closer")
        _ = timedOut.finishClose()
        #expect(timedOut.statistics.drops[.lingerExpired] == 1)
    }
}
