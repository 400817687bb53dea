import Glibc
import MultiSocketConnector
import MultiSocketTestSupport
import Testing

/// Reactor groups: their size, their named threads, and how they hand out reactors.
@Suite(.timeLimit(.minutes(1)))
struct ReactorGroupTests {
    @Test func threadCountHonoursTheEnvironmentVariable() {
        #expect(ReactorGroup.threadCount(environment: "1", activeCores: 8) == 1)
        #expect(ReactorGroup.threadCount(environment: "2", activeCores: 1) == 2)
        #expect(ReactorGroup.threadCount(environment: " 3\n", activeCores: 8) == 3)
        #expect(ReactorGroup.threadCount(environment: "256", activeCores: 2) == 256)
    }

    @Test func invalidEnvironmentValuesAreIgnored() {
        for value in ["0", "-1", "257", "two", "", "1.5", "3x"] {
            #expect(ReactorGroup.threadCount(environment: value, activeCores: 2) == 2, "\(value)")
        }
    }

    @Test func withoutTheVariableTheGroupIsSizedToTheMachine() {
        #expect(ReactorGroup.threadCount(environment: nil, activeCores: 1) == 1)
        #expect(ReactorGroup.threadCount(environment: nil, activeCores: 2) == 2)
        #expect(ReactorGroup.threadCount(environment: nil, activeCores: 16) == 4)
        #expect(ReactorGroup.threadCount(environment: nil, activeCores: 0) == 1)
    }

    /// The default group is the size the variable (as this process was started) and the machine say.
    @Test func theDefaultGroupIsSizedByThoseRules() {
        let variable = getenv("MULTISOCKET_IO_THREADS").map { String(cString: $0) }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(ReactorGroup.default.count == ReactorGroup.threadCount(environment: variable, activeCores: cores))
    }

    /// Each reactor runs its own thread, named after the group and its index.
    @Test func everyReactorRunsItsOwnNamedThread() async throws {
        let group = ReactorGroup(threads: 3, name: "group-test")
        var threads: [Int32] = []
        for reactor in group.reactors {
            let (current, name) = try await withTimeout(10, "a job on \(reactor.name)") {
                await withCheckedContinuation { continuation in
                    reactor.execute {
                        continuation.resume(returning: (reactor.isCurrent, Self.threadName("thread-self")))
                    }
                }
            }
            #expect(current)
            #expect(name == reactor.name)
            #expect(Self.threadName("self/task/\(reactor.kernelThreadID)") == reactor.name)
            threads.append(reactor.kernelThreadID)
        }
        #expect(group.reactors.map(\.name) == ["group-test-0", "group-test-1", "group-test-2"])
        #expect(group.reactors.map(\.index) == [0, 1, 2])
        #expect(Set(threads).count == 3 && !threads.contains(0))
    }

    /// `Reactor.current` names the reactor whose thread asks, and nothing elsewhere (the in-process channel
    /// posts a sender's hand-over to it).
    @Test func currentNamesTheCallingReactor() async throws {
        let group = ReactorGroup(threads: 2, name: "current-test")
        #expect(Reactor.current == nil)
        for reactor in group.reactors {
            let current = try await withTimeout(10, "a job on \(reactor.name)") {
                await withCheckedContinuation { continuation in
                    reactor.execute { continuation.resume(returning: Reactor.current.map(ObjectIdentifier.init)) }
                }
            }
            #expect(current == ObjectIdentifier(reactor))
        }
    }

    @Test func nextGoesRoundTheGroup() {
        let group = ReactorGroup(threads: 3, name: "next-test")
        let handed = (0..<7).map { _ in group.next().index }
        #expect(handed == [0, 1, 2, 0, 1, 2, 0])
        #expect(group.reactors.allSatisfy { $0.group === group })
    }

    /// A socket's pipes start on its home reactor and then go round the group.
    @Test func pipesGoRoundTheGroupFromTheHomeReactor() {
        let group = ReactorGroup(threads: 3, name: "pipe-test")
        let home = group.reactors[1]
        #expect((0..<6).map { _ in home.nextForPipe().index } == [1, 2, 0, 1, 2, 0])
        let single = ReactorGroup(threads: 1, name: "single-test").reactors[0]
        #expect(single.nextForPipe() === single)
    }

    /// A thread's name as the kernel reports it in `/proc/<thread>/comm`.
    static func threadName(_ thread: String) -> String? {
        let fd = open("/proc/\(thread)/comm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).filter { $0 != 10 }, as: UTF8.self)
    }
}
