import Foundation
import Glibc
import Synchronization
import MultiSocketTestSupport
import Testing

/// A peer no one here wrote, in a process of its own: `peers/sp_peer.py` (pynng, which bundles NNG), or
/// Debian's `nngcat`. Missing python3/pynng or nngcat fails the test that needs it, saying what to install
/// (CI installs both).
struct SPPeer: @unchecked Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers")
    static let missingPynng = "python3 with the 'pynng' package is required (python3 -m pip install pynng)"
    static let missingNngcat = "nngcat is required (apt-get install nng-utils)"

    let process: Process
    let input: Foundation.Pipe
    let output: Foundation.Pipe
    let errors: Foundation.Pipe

    /// Starts `sp_peer.py role mode address count` (see the script for the roles).
    static func pynng(_ role: String, _ mode: String, _ address: String, count: Int = 3) throws -> SPPeer {
        try start("/usr/bin/env", ["python3", directory.appendingPathComponent("sp_peer.py").path,
                                    role, mode, address, "\(count)"])
    }

    /// Starts `command` (found on the PATH) with its arguments.
    static func command(_ command: [String]) throws -> SPPeer {
        try start("/usr/bin/env", command)
    }

    private static func start(_ executable: String, _ arguments: [String]) throws -> SPPeer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let peer = SPPeer(process: process, input: Foundation.Pipe(), output: Foundation.Pipe(),
                          errors: Foundation.Pipe())
        process.standardInput = peer.input
        process.standardOutput = peer.output
        process.standardError = peer.errors
        try ProcessLauncher.run(process)
        return peer
    }

    /// The first line printed (`ready ADDRESS` for sp_peer.py), read on a thread of its own.
    func firstLine() async -> String {
        let handle = output.fileHandleForReading
        return await offloaded {
            var bytes: [UInt8] = []
            while !bytes.contains(10) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self)
        }
    }

    /// The first `count` lines printed, read on a thread of its own (fewer if the output ends first).
    func lines(_ count: Int) async -> [String] {
        let handle = output.fileHandleForReading
        return await offloaded {
            var bytes: [UInt8] = []
            while bytes.filter({ $0 == 10 }).count < count {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(count).map(String.init)
        }
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
        try? input.fileHandleForWriting.close()
    }

    /// Waits for the exit on a thread of its own; returns the status and what it printed.
    func finish() async -> (status: Int32, output: String, errors: String) {
        let process = self.process
        let output = self.output.fileHandleForReading
        let errors = self.errors.fileHandleForReading
        return await offloaded {
            let printed = output.readDataToEndOfFile()
            let complaints = errors.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: printed, as: UTF8.self),
                    String(decoding: complaints, as: UTF8.self))
        }
    }

    /// Ends the peer if it still runs. With SIGKILL: a child of the test process inherits its blocked
    /// signals, and nngcat and nanocat never see a SIGTERM (`terminate()`), so they would live on and redial.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
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
            let peer = try start("/usr/bin/env", command)
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
