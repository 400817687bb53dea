import MultiSocketProtocols
import Synchronization
@_spi(Internals) import MultiSocketConnector

/// `soak serve`: one server in a process of its own, for tests that kill it, restart it or starve it of
/// descriptors.
///
/// - `pushpull`: a `Pull` that checks each message and reports the runs of consecutive sequence numbers it
///   received from each sender as `range PEER FIRST LAST` lines: a run is printed when it breaks (a gap, a
///   duplicate, a reordering) and, while it grows, every 10 ms with its new end. A message that fails its
///   checksum prints `corrupt`.
/// - `reqrep`: a `Rep` that echoes every request whose checksum holds (and prints `corrupt` for others).
///
/// Both print `listening URL` (the bound address) first; with ``ServeOptions/spareFiles`` they then lower
/// the descriptor limit so that only that many more descriptors can be opened, and print `ready`.
public enum SoakServer {
    /// Serves until the process is stopped, passing each line to `output` (which must write it at once:
    /// the process may be killed at any time).
    /// - Throws: ``MultiSocketError`` if it cannot listen; ``SoakError`` if the limit cannot be lowered.
    public static func run(_ options: ServeOptions, output: @escaping @Sendable (String) -> Void) async throws {
        switch options.pattern {
        case .pushpull:
            let pull = Pull()
            output("listening \(try pull.listen(options.address))")
            try await starve(options, output)
            let runs = Runs(output)
            let flushing = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(10))
                    runs.flush()
                }
            }
            defer { flushing.cancel() }
            for try await message in pull.socket.messages {
                guard let stamp = SoakStamp.decode(message.content), stamp.kind == .data else {
                    output("corrupt")
                    continue
                }
                runs.record(stamp.peer, stamp.sequence)
            }
        case .reqrep:
            let rep = Rep()
            output("listening \(try rep.listen(options.address))")
            try await starve(options, output)
            try await rep.serve(workers: 2) { request in
                guard SoakStamp.decode(request.body) != nil else {
                    output("corrupt")
                    return nil
                }
                return request.body
            }
        case .pubsub:
            throw SoakError("serve has no pubsub mode")
        }
    }

    private static func starve(_ options: ServeOptions, _ output: (String) -> Void) async throws {
        guard let spare = options.spareFiles else { return }
        // A first timer makes Dispatch open its event loop's descriptors (epoll, eventfd, timerfd) now rather
        // than in one of the spare slots later.
        try await Task.sleep(for: .milliseconds(1))
        try FileLimit.leave(spare: spare)
        output("ready spare \(spare)")
    }

    /// The runs of consecutive sequence numbers per sender, printed as they break and as they grow.
    private final class Runs: Sendable {
        private struct Run {
            var first: UInt64
            var last: UInt64
            var printed: Bool
        }

        private let runs = Locked<[UInt32: Run]>([:])
        private let output: @Sendable (String) -> Void

        init(_ output: @escaping @Sendable (String) -> Void) {
            self.output = output
        }

        func record(_ peer: UInt32, _ sequence: UInt64) {
            let ended = runs.withLock { runs -> Run? in
                guard var run = runs[peer] else {
                    runs[peer] = Run(first: sequence, last: sequence, printed: false)
                    return nil
                }
                if sequence == run.last + 1 {
                    run.last = sequence
                    run.printed = false
                    runs[peer] = run
                    return nil
                }
                runs[peer] = Run(first: sequence, last: sequence, printed: false)
                return run
            }
            if let ended { output("range \(peer) \(ended.first) \(ended.last)") }
        }

        func flush() {
            let grown = runs.withLock { runs -> [(UInt32, Run)] in
                let grown = runs.filter { !$0.value.printed }.map { ($0.key, $0.value) }
                for (peer, _) in grown { runs[peer]?.printed = true }
                return grown
            }
            for (peer, run) in grown.sorted(by: { $0.0 < $1.0 }) { output("range \(peer) \(run.first) \(run.last)") }
        }
    }
}
