// soak: drives req/rep, pub/sub and push/pull over tcp with many peers, checking every message; or, with
// `serve`, runs one server for fault tests. See `soak --help`.
import Glibc
import MultiSocketConnector
import MultiSocketSoakKit

/// Writes `text` and a newline to `fd` in one call (a killed process loses nothing it printed).
func emit(_ text: String, to fd: Int32 = 1) {
    let line = text + "\n"
    _ = line.withCString { write(fd, $0, strlen($0)) }
}

let command: SoakCommand
do {
    command = try SoakCommand(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    emit("soak: \(error)\n\(SoakOptions.usage)", to: 2)
    exit(2)
}
signal(SIGPIPE, SIG_IGN)
AllocatorTuning.tuneForMessageTraffic()  // as a server moving large messages would (bench/NOTES.md)
switch command {
case .help:
    emit(SoakOptions.usage)
case .run(let options):
    do {
        let summary = try await Soak.run(options) { emit($0) }
        exit(summary.passed ? 0 : 1)
    } catch {
        emit("soak: \(error)", to: 2)
        exit(2)
    }
case .serve(let options):
    do {
        try await SoakServer.run(options) { emit($0) }
    } catch {
        emit("soak: \(error)", to: 2)
        exit(2)
    }
}
