import Glibc

/// Why a ``ChildProcess`` could not be started, or why writing to its standard input failed.
public struct ChildProcessError: Error, Sendable, CustomStringConvertible {
    /// What was being done (`"spawn /usr/bin/env"`, `"find nngcat on PATH"`, `"write to the standard input of 1234"`).
    public let operation: String
    /// The `errno` value (`ENOENT` for a missing executable, `EPIPE` when the child closed its input).
    public let code: Int32

    /// Creates the error.
    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The operation and the system's words for `code`, for test output.
    public var description: String { "\(operation): \(String(cString: strerror(code))) (errno \(code))" }
}
