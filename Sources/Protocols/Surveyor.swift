@_spi(Internals) import MultiSocketConnector
/// The asking side of a survey (SURVEYOR, 0x62; peer ``Respondent``, 0x63).
///
/// ``survey(_:deadline:maxAnswers:)-([UInt8],_,_)`` sends a question, with a fresh 4-byte big-endian survey id, to
/// every respondent and collects the answers that arrive before its deadline. Surveys may overlap; an
/// answer whose survey is over (or unknown, or too short to carry an id) is dropped and counted in
/// ``droppedAnswers``. One task, the answer loop, receives all answers: `init` starts it on the socket's I/O
/// thread; it holds the socket's core (not the ``/MultiSocket/Socket``, nor the Surveyor) and ends when the socket closes,
/// by `close()` or because the Surveyor was dropped. It never outlives the socket and never keeps it open.
public final class Surveyor: ProtocolRole {
    /// An answer: its body and the path back to the respondent.
    public struct Answer: Sendable, Hashable {
        /// The answer body, without the survey id.
        public let body: [UInt8]
        /// The path to the respondent that answered.
        public let path: MessagePath
    }

    /// SURVEYOR (0x62), whose peer is RESPONDENT (0x63).
    public static let identity = ProtocolIdentity.surveyor
    /// The socket: sends to all, receives from all.
    public let socket: Socket
    private let core: SurveyCore

    /// Creates a surveyor. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toAll, receiver: .all, options: options.with(Self.identity))
        core = SurveyCore(seed: UInt32.random(in: .min ... .max))
        // The answer loop runs on the I/O thread: an answer read there is collected without a hop.
        // It holds the socket's core, not the socket, so it ends when the Surveyor is closed or dropped.
        Task(executorPreference: socket.executor) { [receiver = socket.core, core] in
            while let message = try? await receiver.receive() {
                core.deliver(message)
            }
            core.finish()
        }
    }

    /// Answers dropped because their survey was over or unknown, or they carried no id.
    public var droppedAnswers: Int { core.dropped }

    /// Sends `question` to every connected respondent and returns the answers that arrive within
    /// `deadline`, in arrival order (early, once `maxAnswers` have arrived).
    ///
    /// Cancellation ends the survey at once (later answers are dropped) and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed`, `messageTooLarge`; `CancellationError`.
    public func survey(_ question: [UInt8], deadline: Duration = .seconds(1),
                       maxAnswers: Int? = nil) async throws -> [Answer] {
        let id = try core.open(limit: maxAnswers)
        var answers: [Answer] = []
        do {
            try await socket.sendAll(ProtocolHeader.prepend(id, to: question))
            // The deadline is a socket timer: no task and no sleep per survey.
            let timer = socket.schedule(after: deadline) { [core] in core.expire(id) }
            await core.waitUntilFull(id)
            socket.cancel(timer)
        } catch {
            _ = core.close(id)
            throw error
        }
        answers = core.close(id)
        try Task.checkCancellation()
        return answers
    }
}

/// The surveys under way, by id. Continuations are resumed outside the lock.
final class SurveyCore: Sendable {
    private struct Collector {
        var answers: [Surveyor.Answer] = []
        var limit: Int?
        var waiter: CheckedContinuation<Void, Never>?
        /// The deadline passed.
        var expired = false
        var full: Bool { limit.map { answers.count >= $0 } ?? false }
        /// Whether the survey takes no more answers.
        var over: Bool { expired || full }
    }

    private let state: Locked<IDTable<Collector>>

    init(seed: UInt32) {
        state = Locked(IDTable(seed: seed))
    }

    var dropped: Int { state.withLock { $0.dropped } }

    func open(limit: Int?) throws(MultiSocketError) -> UInt32 {
        try state.withLock { surveys throws(MultiSocketError) -> UInt32 in try surveys.add(Collector(limit: limit)) }
    }

    /// Ends survey `id` and returns its answers.
    func close(_ id: UInt32) -> [Surveyor.Answer] {
        let collector = state.withLock { $0.remove(id) }
        collector?.waiter?.resume()
        return collector?.answers ?? []
    }

    /// Ends survey `id`'s wait: its deadline passed (runs on the socket's I/O thread).
    func expire(_ id: UInt32) {
        let waiter = state.withLock { surveys -> CheckedContinuation<Void, Never>? in
            guard var collector = surveys[id] else { return nil }
            collector.expired = true
            defer { surveys[id] = collector }
            return collector.waiter.take()
        }
        waiter?.resume()
    }

    /// Returns once survey `id` has its answers, its deadline passed, it was closed, or the task is cancelled.
    func waitUntilFull(_ id: UInt32) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { surveys -> Bool in
                    guard var collector = surveys[id], !collector.over, !Task.isCancelled else { return true }
                    collector.waiter = continuation
                    surveys[id] = collector
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            state.withLock { surveys in surveys[id]?.waiter.take() }?.resume()
        }
    }

    func deliver(_ message: Message) {
        let waiter = state.withLock { surveys -> CheckedContinuation<Void, Never>? in
            guard let (id, body) = ProtocolHeader.split(message.content), var collector = surveys[id],
                  !collector.over
            else {
                surveys.dropped += 1
                return nil
            }
            collector.answers.append(Surveyor.Answer(body: body, path: message.source))
            let waiter = collector.full ? collector.waiter.take() : nil
            surveys[id] = collector
            return waiter
        }
        waiter?.resume()
    }

    func finish() {
        for waiter in state.withLock({ $0.close() }).compactMap(\.waiter) { waiter.resume() }
    }
}
