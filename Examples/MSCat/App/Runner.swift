import MultiSocketCatCore
import MultiSocketProtocols

/// Runs one `mscat` invocation: opens the role's socket, dials and listens, then sends, receives and prints
/// as nngcat does for that role, and closes the socket (flushing what is queued).
///
/// - Senders (push, pub) send the data on the schedule: after `--delay`, once; `--count` times; or, with
///   `--interval` and no count, forever — `--interval` apart.
/// - Receivers (pull, sub; rep, respondent, bus and pair without data) print each message, until `--count`
///   messages or `--recv-timeout` without one.
/// - Repliers (rep, respondent with data) print each request and answer it with the data.
/// - Exchanges (req, surveyor; bus and pair with data) send on the schedule and print what comes back in
///   between: req its reply, surveyor the answers until the survey ends, bus and pair whatever arrives until
///   the next send is due (after the last send, until `--recv-timeout`, when there is no interval).
///
/// Senders, and repliers that reached their count, wait ``settleTime`` before closing, as nngcat does. Closing
/// flushes queued messages for the socket's linger time (`--send-timeout` if given, else 5 s); any that found
/// no peer by then make the run fail.
struct Runner: Sendable {
    /// How long a survey collects answers unless the receive timeout or the interval is shorter (NNG's
    /// default survey time).
    static let surveyTime = Duration.seconds(1)

    /// How long senders and repliers keep their connections after their last send before closing, as nngcat
    /// does. A peer that has only just accepted the connection may still be writing its hello, and a pipe
    /// whose write fails is closed at once, dropping what it had received but not yet read.
    static let settleTime = Duration.milliseconds(200)

    /// The largest message accepted (NNG's default; MultiSocket's own is 128 KiB).
    static let maxReceiveSize = 1024 * 1024

    private let options: Options
    private let payload: [UInt8]
    private let clock = ContinuousClock()

    /// Prepares a run, reading the data to send.
    /// - Throws: ``Failure`` when the data file cannot be read.
    init(options: Options) throws(Failure) {
        self.options = options
        payload = try options.payload?.load() ?? []
    }

    /// Runs to completion.
    /// - Throws: ``Failure`` or ``MultiSocketError`` when connecting, sending or closing fails.
    func run() async throws {
        var socketOptions = SocketOptions(connector: .init(endpoint: .init(maxReceiveSize: Self.maxReceiveSize,
                                                                           tls: Self.configuration(options.tls))))
        socketOptions.linger = options.sendTimeout ?? socketOptions.linger
        switch options.role {
        case .req:
            let req = Req(options: socketOptions)
            try await session(req) { try await requests(req) }
        case .rep:
            let rep = Rep(options: socketOptions)
            try await session(rep) {
                try await answer(receive: { try await rep.receive() }, body: { $0.body },
                                 reply: { try await rep.reply(to: $0, $1) })
            }
        case .pub:
            let pub = Pub(options: socketOptions)
            try await session(pub) { try await sendOnSchedule { try await pub.publish($0) } }
        case .sub:
            let sub = Sub(options: socketOptions)
            for prefix in options.subscriptions.isEmpty ? [""] : options.subscriptions { sub.subscribe(prefix) }
            try await session(sub) { try await printEach { try await sub.receive().content } }
        case .push:
            let push = Push(options: socketOptions)
            try await session(push) {
                try await sendOnSchedule { content in
                    try await waitForPeer(push)
                    try await push.send(content)
                }
            }
        case .pull:
            let pull = Pull(options: socketOptions)
            try await session(pull) { try await printEach { try await pull.receive().content } }
        case .bus:
            let bus = Bus(options: socketOptions)
            try await session(bus) {
                try await converse(send: { try await bus.send($0) }, receive: { try await bus.receive().content })
            }
        case .pair:
            let pair = Pair(options: socketOptions)
            try await session(pair) {
                try await converse(send: { content in
                    try await waitForPeer(pair)
                    try await pair.send(content)
                }, receive: { try await pair.receive().content })
            }
        case .surveyor:
            let surveyor = Surveyor(options: socketOptions)
            try await session(surveyor) { try await surveys(surveyor) }
        case .respondent:
            let respondent = Respondent(options: socketOptions)
            try await session(respondent) {
                try await answer(receive: { try await respondent.receive() }, body: { $0.body },
                                 reply: { try await respondent.respond(to: $0, $1) })
            }
        }
    }

    /// The TLS configuration the flags describe; `nil` (the library's defaults) when none was given. The key
    /// is read from the certificate file when `--key` is not given, as nngcat does.
    static func configuration(_ flags: TLSFlags) -> TLSConfiguration? {
        guard !flags.isEmpty else { return nil }
        return TLSConfiguration(certificateChain: flags.certificate.map { .file($0) },
                                privateKey: (flags.key ?? flags.certificate).map { .file($0) },
                                trustRoots: flags.caCertificate.map { .certificates(.file($0)) } ?? .system,
                                verifyPeer: !flags.insecure)
    }

    /// A one-line description of an error thrown by ``run()``.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? MultiSocketError else { return "\(error)" }
        return error.context.isEmpty ? error.code.rawValue : "\(error.code.rawValue) (\(error.context))"
    }

    // MARK: Session

    /// Connects `role`, runs `body`, and closes `role` whatever happened.
    /// - Throws: what connecting or `body` throws; ``Failure`` when messages still queued at close found no
    ///   peer within the linger time.
    private func session(_ role: some ProtocolRole, _ body: () async throws -> Void) async throws {
        do {
            try await connect(role)
            try await body()
        } catch {
            await role.close()
            throw error
        }
        await role.close()
        let lost = role.statistics.drops[.lingerExpired] ?? 0
        if lost > 0 {
            throw Failure("\(lost) message\(lost == 1 ? " was" : "s were") never sent: no peer took "
                          + "\(lost == 1 ? "it" : "them") before the socket closed")
        }
    }

    private func connect(_ role: some ProtocolRole) async throws {
        for endpoint in options.endpoints {
            switch endpoint {
            case .listen(let address):
                do {
                    try role.listen(address)
                } catch {
                    throw Failure("cannot listen on \(address): \(Self.describe(error))")
                }
            case .dial(let address):
                do {
                    try await role.dial(address, waitForConnection: !options.dialsInBackground)
                } catch {
                    throw Failure("cannot dial \(address): \(Self.describe(error))")
                }
            }
        }
    }

    /// Returns once `role` has a peer: a to-one send without one would only be queued, and could be lost
    /// when the socket closes (NNG blocks such a send instead). `--send-timeout` bounds the wait.
    /// - Throws: `CancellationError` when cancelled first.
    private func waitForPeer(_ role: some ProtocolRole) async throws {
        let events = role.events()
        guard role.statistics.pipes == 0 else { return }
        for await event in events {
            if case .pipeAdded = event { return }
        }
        throw CancellationError()
    }

    // MARK: Roles

    /// Sends the data on the schedule, each send bounded by the send timeout, then lets the peers settle.
    private func sendOnSchedule(_ send: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        try await onSchedule { _, _ in
            try await timedSend(send)
            return true
        }
        try await Task.sleep(for: Self.settleTime)
    }

    /// Prints each received message until the count or the receive timeout is reached.
    private func printEach(_ receive: @escaping @Sendable () async throws -> [UInt8]) async throws {
        var received = 0
        while options.count == 0 || received < options.count {
            guard let content = try await withTimeLimit(options.receiveTimeout, receive) else { return }
            Terminal.show(content, as: options.format)
            received += 1
        }
    }

    /// Prints each request and, with data, answers it (a requester that is gone gets no answer); after the
    /// last of `count` answers, lets the peers settle.
    private func answer<Request: Sendable>(
        receive: @escaping @Sendable () async throws -> Request, body: @escaping @Sendable (Request) -> [UInt8],
        reply: @escaping @Sendable (Request, [UInt8]) async throws -> Void
    ) async throws {
        guard options.payload != nil else { return try await printEach { body(try await receive()) } }
        var answered = 0
        while options.count == 0 || answered < options.count {
            guard let request = try await withTimeLimit(options.receiveTimeout, receive) else { return }
            Terminal.show(body(request), as: options.format)
            do {
                try await timedSend { try await reply(request, $0) }
            } catch let error as MultiSocketError where error.code == .brokenPath {
                // The requester left before its answer; nngcat carries on too.
            }
            answered += 1
        }
        try await Task.sleep(for: Self.settleTime)
    }

    /// Sends each request on the schedule and prints its reply. Without an interval, a reply missing for the
    /// receive timeout ends the run; with one, the next request is due.
    private func requests(_ req: Req) async throws {
        try await onSchedule { _, due in
            do {
                let reply = try await req.request(payload, timeout: shortest(options.receiveTimeout, until(due)))
                Terminal.show(reply, as: options.format)
                return true
            } catch let error as MultiSocketError where error.code == .timedOut {
                return options.interval != nil
            }
        }
    }

    /// Sends each survey on the schedule and prints the answers that arrive before it ends.
    private func surveys(_ surveyor: Surveyor) async throws {
        try await onSchedule { _, due in
            let deadline = min(Self.surveyTime, shortest(options.receiveTimeout, until(due)) ?? Self.surveyTime)
            for answer in try await surveyor.survey(payload, deadline: deadline) {
                Terminal.show(answer.body, as: options.format)
            }
            return true
        }
    }

    /// With data: sends it on the schedule and prints what arrives until the next send is due (after the
    /// last send without an interval: until the receive timeout). Without data: prints what arrives.
    private func converse(send: @escaping @Sendable ([UInt8]) async throws -> Void,
                          receive: @escaping @Sendable () async throws -> [UInt8]) async throws {
        guard options.payload != nil else { return try await printEach(receive) }
        try await onSchedule { last, due in
            try await timedSend(send)
            guard due != nil || last else { return true }
            while let content = try await withTimeLimit(shortest(options.receiveTimeout, until(due)), receive) {
                Terminal.show(content, as: options.format)
            }
            return true
        }
    }

    // MARK: Timing

    /// Runs `iteration` on the schedule: after the delay, once (no count, no interval), `count` times, or
    /// forever (an interval, no count); iterations start `interval` apart, or back to back without one.
    /// `iteration` learns whether it is the last and when the next is due, and returns `false` to stop.
    private func onSchedule(
        _ iteration: (_ last: Bool, _ due: ContinuousClock.Instant?) async throws -> Bool
    ) async throws {
        if options.delay > .zero { try await Task.sleep(for: options.delay) }
        var done = 0
        while true {
            let due = options.interval.map { clock.now + $0 }
            done += 1
            let last = options.count > 0 ? done >= options.count : options.interval == nil
            guard try await iteration(last, due), !last else { return }
            if let due { try await clock.sleep(until: due) }
        }
    }

    /// Sends the data with `send`, failing after the send timeout.
    private func timedSend(_ send: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let payload = payload
        guard try await withTimeLimit(options.sendTimeout, { try await send(payload) }) != nil else {
            throw Failure("send timed out after \(options.sendTimeout ?? .zero)")
        }
    }

    /// The time left until `instant` (never negative), or `nil` for none.
    private func until(_ instant: ContinuousClock.Instant?) -> Duration? {
        instant.map { max(.zero, $0 - clock.now) }
    }

    /// The shorter of two optional durations (`nil` is unbounded).
    private func shortest(_ first: Duration?, _ second: Duration?) -> Duration? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }
}
