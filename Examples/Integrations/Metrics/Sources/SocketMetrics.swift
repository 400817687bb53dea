import Metrics
import MultiSocketProtocols

/// A socket's ``SocketStatistics`` as swift-metrics: counters for what only grows (messages and bytes each way,
/// drops by reason, pipes added and removed, rejected frames, dial failures, reconnects), a gauge for the pipes
/// open now. The library keeps counters of its own and no dependency, so the bridge polls: ``update()`` reads
/// a snapshot and adds what grew since the last one; ``run(every:)`` does that until it is cancelled.
///
/// Every metric carries the dimension `socket` = the name given here, so several sockets share the labels.
public struct SocketMetrics: Sendable {
    public let socket: Socket
    private let dimensions: [(String, String)]
    private let counters: [(label: String, value: @Sendable (SocketStatistics) -> Int, counter: Counter)]
    private let pipes: Gauge
    private var last = SocketStatistics()

    public init(socket: Socket, name: String) {
        self.socket = socket
        let dimensions = [("socket", name)]
        self.dimensions = dimensions
        let fields: [(String, @Sendable (SocketStatistics) -> Int)] = [
            ("multisocket_messages_sent", \.messagesSent),
            ("multisocket_bytes_sent", \.bytesSent),
            ("multisocket_messages_received", \.messagesReceived),
            ("multisocket_bytes_received", \.bytesReceived),
            ("multisocket_pipes_added", \.pipesAdded),
            ("multisocket_pipes_removed", \.pipesRemoved),
            ("multisocket_pipes_refused", \.pipesRefused),
            ("multisocket_rejected_frames", \.rejectedFrames),
            ("multisocket_rejected_handshakes", \.rejectedHandshakes),
            ("multisocket_dial_failures", \.dialFailures),
            ("multisocket_reconnects_scheduled", \.reconnectsScheduled),
        ]
        counters = fields.map { ($0.0, $0.1, Counter(label: $0.0, dimensions: dimensions)) }
        pipes = Gauge(label: "multisocket_pipes", dimensions: dimensions)
    }

    /// Reads the socket's statistics once and records what changed since the last call. Call it from one task.
    public mutating func update() {
        let now = socket.statistics
        for entry in counters {
            let grown = entry.value(now) - entry.value(last)
            if grown > 0 { entry.counter.increment(by: grown) }
        }
        for (reason, count) in now.drops {
            let grown = count - last.drops[reason, default: 0]
            if grown > 0 {
                Counter(label: "multisocket_drops", dimensions: dimensions + [("reason", reason.rawValue)])
                    .increment(by: grown)
            }
        }
        pipes.record(now.pipes)
        last = now
    }

    /// Updates every `interval` until the calling task is cancelled (then once more, and returns).
    public mutating func run(every interval: Duration) async {
        while !Task.isCancelled {
            update()
            try? await Task.sleep(for: interval)
        }
        update()
    }
}
