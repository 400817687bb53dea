// MultiSocket events as swift-log records: `logger.log(events: socket.events())` in a task of its own, for as
// long as the socket lives. The self-check below serves one request over tcp and checks the records it left.
import Glibc
import Logging
import MultiSocketProtocols
import Synchronization

/// A log handler that keeps the records' messages in memory, for the self-check.
struct RecordingLogHandler: LogHandler {
    static let records = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .debug

    func log(event: LogEvent) {
        Self.records.withLock { $0.append("\(event.level) \(event.message)") }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

LoggingSystem.bootstrap { label in
    var console = StreamLogHandler.standardOutput(label: label)
    console.logLevel = .debug
    return MultiplexLogHandler([console, RecordingLogHandler()])
}

let server = Rep()
let client = Req()
let (serverEvents, clientEvents) = (server.events(), client.events())
let logging = Task {
    await withDiscardingTaskGroup { group in
        group.addTask { await Logger(label: "multisocket.rep").log(events: serverEvents) }
        group.addTask { await Logger(label: "multisocket.req").log(events: clientEvents) }
    }
}
let address = try server.listen("tcp://127.0.0.1:0")
let serving = Task { try await server.serve { request in request.body } }
try await client.dial(address)
let reply = try await client.request(Array("ping".utf8), timeout: .seconds(10))
await client.close()
await server.close()
try await serving.value
await logging.value

let records = RecordingLogHandler.records.withLock { $0 }
let expected = ["info pipe added", "info pipe removed"]
guard String(decoding: reply, as: UTF8.self) == "ping", expected.allSatisfy(records.contains) else {
    print("self-check failed: reply \(reply), records \(records)")
    exit(1)
}
print("self-check passed: \(records.count) records")
