import Glibc
import MultiSocketCatCore

/// Standard output and error, written straight to their file descriptors so that each message reaches the
/// reader (a pipe, a script, a test) as soon as it is printed.
enum Terminal: Sendable {
    /// Prints a received message's `content` in `format`.
    static func show(_ content: [UInt8], as format: Format) {
        write(format.render(content), to: STDOUT_FILENO)
    }

    /// Prints `text` on standard output as it is.
    static func print(_ text: String) {
        write(Array(text.utf8), to: STDOUT_FILENO)
    }

    /// Prints `mscat: message` on standard error, then each of `notes` on a line of its own.
    static func error(_ message: String, notes: String...) {
        write(Array((["mscat: \(message)"] + notes).map { $0 + "\n" }.joined().utf8), to: STDERR_FILENO)
    }

    /// Writes all of `bytes`, resuming after interruptions and partial writes; gives up on any other error
    /// (a reader that went away).
    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
