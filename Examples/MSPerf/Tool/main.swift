// msperf: latency and throughput tools with libzmq's arguments and output lines. See `msperf --help`.
import Glibc
import MultiSocketConnector
import MultiSocketPerfKit

func fail(_ text: String, status: Int32) -> Never {
    let line = "msperf: \(text)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

// Large contents freed in runs would be handed back to the kernel and faulted in again (bench/NOTES.md).
AllocatorTuning.tuneForMessageTraffic()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" {
    print(PerfRequest.usage)
    exit(0)
}
let request: PerfRequest
do {
    request = try PerfRequest(arguments: arguments)
} catch {
    fail("\(error)\n\(PerfRequest.usage)", status: 1)
}
signal(SIGPIPE, SIG_IGN)
do {
    try await Perf.run(request) { print($0) }
} catch {
    fail("\(error)", status: 2)
}
