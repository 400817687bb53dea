// A child process for the lifecycle tests (Tests/ProtocolsTests/GracefulShutdownTests, DroppedSocketTests):
//
//   serve <address> [--workers N] [--delay-ms N] [--close-at-once]
//       A Rep serving with N workers (each request takes delay-ms) until SIGTERM; then `rep.shutdown()` (or,
//       with --close-at-once, a plain `close()`, to show what is lost without the drain). Prints
//       `listening <address>` first and `read R handled H sent S dropped D` last; exits 0.
//   drop [<tcp|ipc> <socket|rep|req> <pipes|nopipes>]
//       For each case (all twelve, or the one named): counts its open descriptors, makes the socket or role,
//       listens (and with `pipes` connects a peer), drops it without close(), waits for its close to finish
//       (its events end), closes the peer, and checks that the descriptors are those it started with, an ipc
//       socket file is gone and the address can be listened on again. One process for all the cases: the
//       tests start as few child processes as they can. Exits 0 when every check held, 1 otherwise.
import Dispatch
import Foundation
import Glibc
import MultiSocketProtocols
import Synchronization

/// Writes a line to standard output at once (the test reads it as it comes).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ line: String) -> Never {
    FileHandle.standardError.write(Data((line + "\n").utf8))
    exit(2)
}

/// The value after `flag` in the arguments, if any.
func value(_ flag: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

// MARK: serve

func serve(_ arguments: [String]) async throws {
    guard let address = arguments.first else { fail("serve: no address") }
    let workers = value("--workers", in: arguments).flatMap(Int.init) ?? 8
    let delay = value("--delay-ms", in: arguments).flatMap(Int.init) ?? 5
    let closeAtOnce = arguments.contains("--close-at-once")

    // SIGTERM becomes an element of a sequence: the signal is ignored, a dispatch source reports it.
    signal(SIGTERM, SIG_IGN)
    let (terms, term) = AsyncStream<Void>.makeStream()
    let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    source.setEventHandler { term.yield() }
    source.resume()

    let rep = Rep()
    let handled = Atomic(0)
    let bound = try rep.listen(address)
    async let serving: Void = rep.serve(workers: workers) { request in
        try await Task.sleep(for: .milliseconds(delay))
        handled.add(1, ordering: .relaxed)
        return request.body
    }
    say("listening \(bound)")
    for await _ in terms { break }
    if closeAtOnce { await rep.close() } else { await rep.shutdown() }
    try await serving
    source.cancel()
    let statistics = rep.statistics
    let dropped = statistics.drops[.receivingStopped, default: 0]
    say("read \(statistics.messagesReceived) handled \(handled.load(ordering: .relaxed)) "
        + "sent \(statistics.messagesSent) dropped \(dropped)")
}

// MARK: drop

/// The process's open descriptors, each with what it refers to — except Dispatch's timer descriptors, which
/// it opens for good on the first sleep of each kind (`Task.sleep` in `waitForPeers`, `Req`'s deadlines), and
/// the directory listing's own descriptor (gone before it can be read).
func openDescriptors() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return names.compactMap { name in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
              target != "anon_inode:[timerfd]" else { return nil }
        return "\(name) \(target)"
    }.sorted()
}

/// The subject (a socket or role that listens) and its peer (one that dials it), each as its socket and the
/// object that owns it.
func subjectAndPeer(_ kind: String) -> (subject: Socket, owner: any Sendable, peer: Socket, peerOwner: any Sendable) {
    switch kind {
    case "rep":
        let (subject, peer) = (Rep(), Req())
        return (subject.socket, subject, peer.socket, peer)
    case "req":
        let (subject, peer) = (Req(), Rep())
        return (subject.socket, subject, peer.socket, peer)
    default:
        let (subject, peer) = (Socket(), Socket())
        return (subject, subject, peer, peer)
    }
}

/// Makes the subject, listens (and connects the peer when asked), and returns the address, the subject's
/// events (they end when its close has finished) and the peer — not the subject: it is dropped here, never
/// closed.
func openAndDrop(_ kind: String, at address: String, connecting: Bool) async throws
    -> (bound: Address, events: AsyncStream<SocketEvent>, peer: Socket, peerOwner: any Sendable) {
    let (subject, owner, peer, peerOwner) = subjectAndPeer(kind)
    let bound = try subject.listen(address)
    let events = subject.events()
    if connecting {
        try await peer.dial("\(bound)")
        try await subject.waitForPeers(1, timeout: .seconds(10))
        try await peer.waitForPeers(1, timeout: .seconds(10))
    }
    withExtendedLifetime(owner) {}
    return (bound, events, peer, peerOwner)
}

/// Runs one drop check; returns whether it held (and prints why not).
func dropCheck(transport: String, kind: String, connecting: Bool) async throws -> Bool {
    let address = transport == "ipc" ? "ipc:///tmp/ms-lifecycle-\(getpid())-\(kind).sock" : "tcp://127.0.0.1:0"
    let before = openDescriptors()
    var opened: (bound: Address, events: AsyncStream<SocketEvent>, peer: Socket, peerOwner: any Sendable)? =
        try await openAndDrop(kind, at: address, connecting: connecting)
    let bound = opened!.bound
    for await _ in opened!.events {}
    await opened!.peer.close()
    opened = nil
    // The last descriptors are closed on the I/O threads after the closes return (a lingering close ends when
    // its peer's does): wait for the count, within a bound.
    var after = openDescriptors()
    let deadline = ContinuousClock.now + .seconds(10)
    while after != before, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
        after = openDescriptors()
    }
    let name = "\(kind) over \(transport) \(connecting ? "with" : "without") pipes"
    say("\(name): fds \(before.count) \(after.count)")
    var held = true
    if after != before {
        say("  opened since: \(Set(after).subtracting(before).sorted()); closed: \(Set(before).subtracting(after).sorted())")
        held = false
    }
    if transport == "ipc", FileManager.default.fileExists(atPath: bound.path) {
        say("  socket file \(bound.path) left behind")
        held = false
    }
    let again = Socket()
    do {
        try again.listen("\(bound)")
    } catch {
        say("  listening again failed: \(error)")
        held = false
    }
    await again.close()
    return held
}

/// Every drop check (socket, rep and req; tcp and ipc; with and without pipes), or the one the arguments name.
func drop(_ arguments: [String]) async throws {
    // The I/O threads start with the first socket and stay: start them before counting.
    let warm = Socket()
    try warm.listen("tcp://127.0.0.1:0")
    await warm.close()
    var cases: [(String, String, Bool)] = []
    if arguments.count == 3 {
        cases = [(arguments[0], arguments[1], arguments[2] == "pipes")]
    } else {
        for transport in ["tcp", "ipc"] {
            for kind in ["socket", "rep", "req"] {
                for connecting in [false, true] { cases.append((transport, kind, connecting)) }
            }
        }
    }
    var failures = 0
    for (transport, kind, connecting) in cases {
        if try await !dropCheck(transport: transport, kind: kind, connecting: connecting) { failures += 1 }
    }
    say("drop checks failed: \(failures) of \(cases.count)")
    exit(failures == 0 ? 0 : 1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "serve": try await serve(Array(arguments.dropFirst()))
case "drop": try await drop(Array(arguments.dropFirst()))
default: fail("usage: serve <address> … | drop [<tcp|ipc> <socket|rep|req> <pipes|nopipes>]")
}
