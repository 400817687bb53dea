import Foundation
import Synchronization
import MultiSocketTestSupport
import Testing

/// A peer no one here wrote, in a process of its own: `peers/sp_peer.py` (pynng, which bundles NNG), or
/// Debian's `nngcat`. Missing python3/pynng or nngcat fails the test that needs it, saying what to install
/// (CI installs both).
struct SPPeer: Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers")
    static let missingPynng = "python3 with the 'pynng' package is required (python3 -m pip install pynng)"
    static let missingNngcat = "nngcat is required (apt-get install nng-utils)"

    let child: ChildProcess

    /// Starts `sp_peer.py role mode address count` (see the script for the roles).
    static func pynng(_ role: String, _ mode: String, _ address: String, count: Int = 3) throws -> SPPeer {
        try start(["python3", directory.appendingPathComponent("sp_peer.py").path, role, mode, address, "\(count)"])
    }

    /// Starts `command` (found on the PATH) with its arguments.
    static func command(_ command: [String]) throws -> SPPeer {
        try start(command)
    }

    /// Starts `command` (its first element found on the PATH), its standard streams piped to the test.
    private static func start(_ command: [String]) throws -> SPPeer {
        SPPeer(child: try ChildProcess(command[0], Array(command.dropFirst()), input: .pipe))
    }

    /// The first line printed (`ready ADDRESS` for sp_peer.py); empty if the output ends first.
    func firstLine() async -> String {
        (try? await child.output.line()) ?? ""
    }

    /// The first `count` lines printed (fewer if the output ends first).
    func lines(_ count: Int) async -> [String] {
        var lines: [String] = []
        while lines.count < count, let line = try? await child.output.line() { lines.append(line) }
        return lines
    }

    /// The address after `ready`, or records an issue with what the peer said instead.
    func readyAddress() async -> String? {
        let line = await firstLine()
        guard line.hasPrefix("ready ") else {
            let result = await finish()
            Issue.record("sp_peer.py said '\(line)' \(result.output), not ready: \(result.errors)")
            return nil
        }
        return String(line.dropFirst(6))
    }

    /// Closes the peer's standard input (a publisher's cue to stop).
    func closeInput() {
        child.closeInput()
    }

    /// Waits for the exit; returns the status (or the signal that ended it) and what it printed (status -1
    /// and what had arrived, when the waiting task is cancelled).
    func finish() async -> (status: Int32, output: String, errors: String) {
        guard let result = try? await child.finish() else {
            return (-1, child.output.receivedText, child.errors.receivedText)
        }
        return (result.termination.status, result.output, result.errors)
    }

    /// Ends the peer if it still runs, with SIGKILL: nngcat and nanocat would otherwise go on redialing.
    func kill() {
        child.kill()
    }

    /// Ends the peer and waits for it to exit: a dialing peer must be gone before our listener closes, or it
    /// redials the released port, which another test's listener may have taken by then.
    func stop() async {
        kill()
        _ = await finish()
    }

    /// Whether `command` runs and exits 0; records a failing issue naming `missing` if not.
    static func require(_ command: [String], _ missing: String) async -> Bool {
        do {
            let peer = try start(command)
            let result = await peer.finish()
            if result.status == 0 { return true }
            Issue.record("\(missing): exit status \(result.status): \(result.errors)")
        } catch {
            Issue.record("\(missing): \(error)")
        }
        return false
    }

    /// Whether pynng imports (asked once per run); records a failing issue if not.
    static func requirePynng() async -> Bool {
        if let known = pynngAvailable.withLock({ $0 }), known { return true }
        let available = await require(["python3", "-c", "import pynng"], missingPynng)
        pynngAvailable.withLock { $0 = available }
        return available
    }

    private static let pynngAvailable = Mutex<Bool?>(nil)

}


/// The tests that start peer processes (pynng, nngcat), one at a time: each process costs a Python start
/// or more, and dozens at once on two cores starve every other suite's deadlines.
@Suite(.serialized) struct SPPeerTests {}
