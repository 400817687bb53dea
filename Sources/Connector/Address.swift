/// A parsed transport address: `tcp://host:port`, `ipc:///path`, `inproc://name`.
///
/// `tcp://*:port` listens on all interfaces; port 0 asks the system for a free port (read it back from
/// ``Listener/address``).
public enum Address: Sendable, Hashable, CustomStringConvertible {
    /// A TCP endpoint. `host` is `nil` for all interfaces (`*`).
    case tcp(host: String?, port: UInt16)
    /// A Unix-domain socket at `path`.
    case ipc(path: String)
    /// An in-process endpoint called `name`.
    case inproc(name: String)

    /// The schemes this build knows.
    public static let schemes = ["tcp", "ipc", "inproc"]

    /// Parses `text`.
    ///
    /// - Throws: ``MultiSocketError`` with ``MultiSocketError/Code/unsupportedScheme`` for an unknown
    ///   scheme, ``MultiSocketError/Code/badAddress`` for anything else malformed.
    public init(_ text: String) throws(MultiSocketError) {
        guard let separator = text.firstRange(of: "://") else {
            throw MultiSocketError(.badAddress, "'\(text)' has no scheme:// prefix")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        switch scheme {
        case "tcp":
            let (host, port) = try Self.hostAndPort(rest, in: text)
            self = .tcp(host: host, port: port)
        case "ipc":
            guard !rest.isEmpty else { throw MultiSocketError(.badAddress, "'\(text)' has no path") }
            guard rest.utf8.count < 108 else {
                throw MultiSocketError(.badAddress, "'\(text)': ipc path longer than 107 bytes")
            }
            self = .ipc(path: rest)
        case "inproc":
            guard !rest.isEmpty else { throw MultiSocketError(.badAddress, "'\(text)' has no name") }
            self = .inproc(name: rest)
        default:
            throw MultiSocketError(.unsupportedScheme, "'\(scheme)' in '\(text)'; known: \(Self.schemes)")
        }
    }

    /// The address as text, in the form it was parsed from.
    public var description: String {
        switch self {
        case .tcp(let host, let port):
            let shown = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"
            return "tcp://\(shown):\(port)"
        case .ipc(let path): return "ipc://\(path)"
        case .inproc(let name): return "inproc://\(name)"
        }
    }

    private static func hostAndPort(_ rest: String, in text: String) throws(MultiSocketError) -> (String?, UInt16) {
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw MultiSocketError(.badAddress, "'\(text)': bad IPv6 literal")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw MultiSocketError(.badAddress, "'\(text)' has no port")
            }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { throw MultiSocketError(.badAddress, "'\(text)' has no host") }
        guard let port = UInt16(portText) else { throw MultiSocketError(.badAddress, "'\(text)': bad port") }
        return (host == "*" ? nil : String(host), port)
    }
}
