import Foundation
import Glibc
import MultiSocketTestSupport
import Testing

/// The test launcher (`ChildProcess`, posix_spawn) against real programs: `sh`, `cat`, `env`, `pwd`, `ls`, `sleep`.
@Suite(.timeLimit(.minutes(1)))
struct ChildProcessTests {
    @Test func exitStatusIsReported() async throws {
        let failing = try ChildProcess("sh", ["-c", "exit 3"])
        #expect(try await withTimeout(20, "sh to exit") { try await failing.waitUntilExit() } == .exited(3))
        #expect(!failing.isRunning)
        #expect(failing.termination?.status == 3)
        let passing = try ChildProcess("/bin/true")
        let termination = try await withTimeout(20, "true to exit") { try await passing.waitUntilExit() }
        #expect(termination.succeeded)
        // A second wait after the exit answers at once.
        #expect(try await withTimeout(20, "the second wait") { try await passing.waitUntilExit() } == .exited(0))
    }

    @Test func signalsEndTheChildAndAreNotSentAfterItIsReaped() async throws {
        let killed = try ChildProcess("sleep", ["30"])
        #expect(killed.isRunning)
        #expect(killed.kill())
        #expect(try await withTimeout(20, "sleep to die") { try await killed.waitUntilExit() } == .signalled(SIGKILL))
        #expect(!killed.kill(), "a reaped child is not signalled")
        let interrupted = try ChildProcess("sleep", ["30"])
        #expect(interrupted.interrupt())
        #expect(try await withTimeout(20, "sleep to stop") { try await interrupted.waitUntilExit() } == .signalled(SIGINT))
        #expect(interrupted.termination?.status == SIGINT)
    }

    /// A child spawned from a thread that blocks SIGTERM still starts with no signal blocked, so `terminate()`
    /// ends it (with Foundation's Process, children inherited the blocked signals and never saw a SIGTERM).
    @Test func childStartsWithNoSignalBlocked() async throws {
        let started = await offloaded { () -> Result<ChildProcess, ChildProcessError> in
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            return Result { () throws(ChildProcessError) in try ChildProcess("sleep", ["30"]) }
        }
        let child = try started.get()
        #expect(child.terminate())
        #expect(try await withTimeout(20, "sleep to end") { try await child.waitUntilExit() } == .signalled(SIGTERM))
    }

    @Test func outputAndErrorsAreCapturedLineByLineAndToTheEnd() async throws {
        let child = try ChildProcess("sh", ["-c", "printf 'one\\ntwo\\n\\nlast'; printf 'oops' >&2; exit 4"])
        let (first, second, empty, rest) = try await withTimeout(20, "the lines") {
            (try await child.output.line(), try await child.output.line(), try await child.output.line(),
             try await child.output.line())
        }
        #expect(first == "one")
        #expect(second == "two")
        #expect(empty == "")
        #expect(rest == "last", "a last line without a newline is returned as it is")
        #expect(try await withTimeout(20, "the end") { try await child.output.line() } == nil)
        let finished = try await withTimeout(20, "the child") { try await child.finish() }
        #expect(finished.termination == .exited(4))
        #expect(finished.output == "", "everything was taken by line()")
        #expect(finished.errors == "oops")
        #expect(child.output.receivedText == "one\ntwo\n\nlast", "received keeps what was taken")
        #expect(child.output.hasEnded && child.errors.hasEnded)
    }

    /// Standard input as a pipe: a megabyte goes through `cat` and back while the launcher drains its output
    /// (neither side blocks on a full pipe), and closing the input is the child's end-of-file.
    @Test func inputIsWrittenAndClosed() async throws {
        let child = try ChildProcess("cat", input: .pipe)
        var random = FastRandom(seed: 11)
        let bytes = random.bytes(1 << 20)
        try await withTimeout(20, "the write") { try await child.write(bytes) }
        child.closeInput()
        let echoed = try await withTimeout(20, "cat's output") { try await child.output.readToEnd() }
        #expect(sameBytes(echoed, bytes))
        #expect(try await withTimeout(20, "cat to exit") { try await child.waitUntilExit() } == .exited(0))
    }

    @Test func writingToAnInputThatIsNotAPipeThrows() async throws {
        let child = try ChildProcess("/bin/true")
        await #expect(throws: ChildProcessError.self) { try await child.write([1]) }
        let piped = try ChildProcess("cat", input: .pipe)
        piped.closeInput()
        do {
            try await piped.write([1])
            Issue.record("a write after closeInput() succeeded")
        } catch {
            #expect(error.code == EBADF)
        }
        _ = try await withTimeout(20, "the children") { (try await child.waitUntilExit(), try await piped.waitUntilExit()) }
    }

    /// A child that has closed its input makes a write fail with EPIPE (SIGPIPE does not end the test process).
    @Test func writingToAChildThatClosedItsInputThrowsEPIPE() async throws {
        let child = try ChildProcess("sh", ["-c", "exec 0<&-; echo closed; sleep 30"], input: .pipe)
        #expect(try await withTimeout(20, "the child to close its input") { try await child.output.line() } == "closed")
        do {
            try await withTimeout(20, "the write") { try await child.write(Array(repeating: 7, count: 1 << 17)) }
            Issue.record("a write to a closed pipe succeeded")
        } catch let error as ChildProcessError {
            #expect(error.code == EPIPE)
        }
        child.kill()
        _ = try await withTimeout(20, "the child") { try await child.waitUntilExit() }
    }

    @Test func environmentIsInheritedOrGiven() async throws {
        let given = try ChildProcess("/usr/bin/env", environment: ["ONLY": "this one", "EMPTY": ""])
        let printed = try await withTimeout(20, "env") { try await given.finish() }
        #expect(Set(printed.output.split(separator: "\n")) == ["ONLY=this one", "EMPTY="])
        let inherited = try ChildProcess("/usr/bin/env")
        let all = try await withTimeout(20, "env") { try await inherited.finish() }
        let path = try #require(getenv("PATH").map { String(cString: $0) })
        #expect(all.output.split(separator: "\n").contains { $0 == "PATH=\(path)" }, "\(all.output)")
    }

    @Test func bareNameIsLookedUpOnTheGivenPath() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = "\(directory)/greeter"
        try "#!/bin/sh\necho hello from the path\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let child = try ChildProcess("greeter", environment: ["PATH": "/nonexistent:\(directory)"])
        #expect(child.path == script)
        let result = try await withTimeout(20, "greeter") { try await child.finish() }
        #expect(result.output == "hello from the path\n", "\(result.errors)")
    }

    @Test func workingDirectoryIsSet() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let child = try ChildProcess("/bin/pwd", ["-P"], workingDirectory: directory)
        let result = try await withTimeout(20, "pwd") { try await child.finish() }
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        #expect(result.output == "\(resolved)\n")
    }

    @Test func missingOrUnrunnableExecutableThrows() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = "\(directory)/not-executable"
        try "echo never\n".write(toFile: plain, atomically: true, encoding: .utf8)
        chmod(plain, 0o644)
        #expect { try ChildProcess("no-such-tool-for-multisocket") } throws: { error in
            (error as? ChildProcessError)?.code == ENOENT
        }
        #expect { try ChildProcess("/nonexistent/tool") } throws: { error in
            (error as? ChildProcessError)?.code == ENOENT
        }
        // A file that is not executable.
        #expect { try ChildProcess(plain) } throws: { error in
            (error as? ChildProcessError)?.code == EACCES
        }
    }

    /// The child gets 0, 1 and 2 and nothing else: not a descriptor the test process opened without
    /// close-on-exec, nor another child's pipes. `ls` lists its own 0, 1, 2 and the directory it opens.
    @Test func noDescriptorLeaksIntoTheChild() async throws {
        let stray = open("/dev/null", O_RDONLY)
        #expect(stray >= 3)
        defer { close(stray) }
        let neighbour = try ChildProcess("cat", input: .pipe)
        let child = try ChildProcess("/bin/ls", ["/proc/self/fd"])
        let result = try await withTimeout(20, "ls") { try await child.finish() }
        #expect(result.termination == .exited(0), "\(result.errors)")
        let listed = result.output.split(separator: "\n").map(String.init)
        #expect(listed.count == 4 && Array(listed.prefix(3)) == ["0", "1", "2"], "\(listed)")
        neighbour.closeInput()
        #expect(try await withTimeout(20, "cat") { try await neighbour.waitUntilExit() } == .exited(0))
    }

    @Test func errorsCanJoinTheOutput() async throws {
        let child = try ChildProcess("sh", ["-c", "echo out; echo err >&2; echo out again"], errors: .sameAsOutput)
        let result = try await withTimeout(20, "sh") { try await child.finish() }
        #expect(result.output == "out\nerr\nout again\n")
        #expect(result.errors == "")
        #expect { try ChildProcess("/bin/true", output: .sameAsOutput) } throws: { error in
            (error as? ChildProcessError)?.code == EINVAL
        }
    }

    @Test func streamsCanBeNullOrInherited() async throws {
        // `/dev/null` input: `cat` sees end-of-file at once; null output leaves nothing to read.
        let quiet = try ChildProcess("cat", output: .null, errors: .null)
        #expect(try await withTimeout(20, "cat") { try await quiet.finish() } == (.exited(0), "", ""))
        #expect(quiet.output.hasEnded)
        let inherited = try ChildProcess("/bin/true", output: .inherit, errors: .inherit)
        #expect(try await withTimeout(20, "true") { try await inherited.waitUntilExit() } == .exited(0))
    }

    @Test func childLeadsItsOwnProcessGroupUnlessAskedNotTo() async throws {
        let leader = try ChildProcess("/bin/cat", ["/proc/self/stat"])
        #expect(try await Self.processGroup(of: leader) == leader.pid)
        let member = try ChildProcess("/bin/cat", ["/proc/self/stat"], newProcessGroup: false)
        #expect(try await Self.processGroup(of: member) == getpgrp())
    }

    /// Cancelled waits throw at once and take nothing: the child runs on, and its output is still there.
    @Test func cancelledWaitsThrowAndTakeNothing() async throws {
        let child = try ChildProcess("sh", ["-c", "echo first; exec sleep 30"])
        let waiting = Task { try await child.waitUntilExit() }
        let reading = Task { try await child.output.readToEnd() }
        waiting.cancel()
        reading.cancel()
        await #expect(throws: CancellationError.self) { try await withTimeout(20, "the wait") { try await waiting.value } }
        await #expect(throws: CancellationError.self) { try await withTimeout(20, "the read") { try await reading.value } }
        #expect(child.isRunning)
        #expect(try await withTimeout(20, "the first line") { try await child.output.line() } == "first")
        child.kill()
        #expect(try await withTimeout(20, "the child") { try await child.waitUntilExit() } == .signalled(SIGKILL))
    }

    private static func processGroup(of child: ChildProcess) async throws -> pid_t? {
        let stat = try await withTimeout(20, "cat") { try await child.finish() }.output
        // pid (comm) state ppid pgrp …; comm may hold spaces, so count from the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 ? pid_t(fields[2]) : nil
    }

    private static func temporaryDirectory() throws -> String {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/child-process-XXXXXX".utf8CString)
        let made = try #require(mkdtemp(&template))
        return String(cString: made)
    }
}
