import Glibc
import MultiSocketCatCore

extension Options.Payload {
    /// The bytes to send: the text's UTF-8, or the whole file (standard input for `-`).
    /// - Throws: ``Failure`` when the file cannot be opened or read.
    func load() throws(Failure) -> [UInt8] {
        switch self {
        case .text(let text):
            return Array(text.utf8)
        case .file("-"):
            return try Self.readAll(STDIN_FILENO, name: "standard input")
        case .file(let path):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Failure("cannot open \(path): \(Self.lastError)") }
            defer { close(descriptor) }
            return try Self.readAll(descriptor, name: path)
        }
    }

    private static func readAll(_ descriptor: Int32, name: String) throws(Failure) -> [UInt8] {
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return content }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure("cannot read \(name): \(lastError)")
            }
            content += chunk[..<count]
        }
    }

    private static var lastError: String { String(cString: strerror(errno)) }
}
