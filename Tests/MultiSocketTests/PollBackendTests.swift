import Glibc
import MultiSocket
import MultiSocketTestSupport
import Testing

/// The portable `poll(2)` backend (``IOBackend/poll``), in a group of its own whatever the default: its
/// emulation of epoll's edges — writers woken once writable, paused readers not reported every turn.
@Suite(.timeLimit(.minutes(1)))
struct PollBackendTests {
    static let group = ReactorGroup(threads: 1, name: "poll-test", backend: .poll)

    private func options(receiveQueueSize: Int = 64) -> SocketOptions {
        var options = SocketOptions(receiveQueueSize: receiveQueueSize)
        options.reactorGroup = Self.group
        return options
    }

    /// Far more than the socket buffers hold, to a receiver that starts late: the writer meets `EAGAIN`
    /// and must be told when the socket is writable again.
    @Test(arguments: [ConformanceTransport.tcp, .ipc, .ws])
    func aBlockedWriterIsWokenWhenWritable(over transport: ConformanceTransport) async throws {
        #expect(Self.group.backend == .poll)
        let server = Socket(options: options())
        let client = Socket(options: options())
        try await Marry.connect(client, to: server, over: transport, label: "pollwrite")
        let content = [UInt8](repeating: 0x5A, count: 64 * 1024)
        let sending = Task { for _ in 0..<200 { try await client.send(content) } }
        var received = 0
        while received < 200 {
            let message = try await server.receive(timeout: .seconds(20))
            #expect(message.content.count == content.count)
            received += 1
        }
        try await sending.value
        await client.close()
        await server.close()
    }

    /// A pipe paused by a full receive queue leaves bytes in the kernel; the loop must not be woken for them
    /// every turn (it would spin at 100 % of its thread).
    @Test func aPausedPipeDoesNotSpinTheLoop() async throws {
        let server = Socket(options: options(receiveQueueSize: 1))
        let client = Socket(options: options())
        try await Marry.connect(client, to: server, over: .tcp, label: "pollpause")
        // Enough to fill the receive queue, the link's buffer and the kernel's: the pipe pauses with bytes unread.
        let sending = Task { for _ in 0..<64 { try await client.send([UInt8](repeating: 1, count: 32 * 1024)) } }
        _ = try await server.receive(timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(100))  // let the queue refill and the pipe pause
        let thread = Self.group.reactors[0].kernelThreadID
        let before = cpuTicks(thread)
        try await Task.sleep(for: .milliseconds(500))
        let used = cpuTicks(thread) - before
        // 500 ms is 50 ticks at 100 Hz; a spinning loop uses nearly all of them.
        #expect(used < 20, "the poll loop used \(used) of ~50 ticks while its only pipe was paused")
        var received = 1
        while received < 64 {
            _ = try await server.receive(timeout: .seconds(20))
            received += 1
        }
        try await sending.value
        await client.close()
        await server.close()
    }

    /// User plus system clock ticks of thread `tid` of this process (/proc/self/task/tid/stat).
    private func cpuTicks(_ tid: Int32) -> Int {
        let fd = open("/proc/self/task/\(tid)/stat", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = read(fd, &buffer, buffer.count)
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        // Fields after the command name (which ends with ")"): state is field 3, utime 14, stime 15.
        guard let end = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }
}
