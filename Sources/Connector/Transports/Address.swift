/// A parsed transport address: `tcp://host:port`, `ipc:///path`, `inproc://name`, `ws://host:port/path`.
///
/// `tcp://*:port` and `ws://*:port/path` listen on all interfaces; port 0 asks the system for a free port
/// (read it back from the address `listen` returns).
public enum Address: Sendable, Hashable, CustomStringConvertible {
    /// A TCP endpoint. `host` is `nil` for all interfaces (`*`).
    case tcp(host: String?, port: UInt16)
    /// A Unix-domain socket at `path`.
    case ipc(path: String)
    /// An in-process endpoint called `name`.
    case inproc(name: String)
    /// A WebSocket endpoint (RFC 6455): `path` on a TCP endpoint; `host` is `nil` for all interfaces (`*`).
    /// Several listeners may share one port under different paths. The path is `/` when the text has none.
    case ws(host: String?, port: UInt16, path: String)

    /// The schemes this build knows.
    public static let schemes = ["tcp", "ipc", "inproc", "ws"]

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
        case "ws":
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let (host, port) = try Self.hostAndPort(String(rest[..<slash]), in: text)
            let path = slash == rest.endIndex ? "/" : String(rest[slash...])
            // The path goes into the HTTP request line: no spaces, control bytes or fragment.
            guard path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "#") }) else {
                throw MultiSocketError(.badAddress, "'\(text)': the path has a space, control character or '#'")
            }
            self = .ws(host: host, port: port, path: path)
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
        case .ws(let host, let port, let path):
            let shown = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"
            return "ws://\(shown):\(port)\(path)"
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
        // Brackets only enclose an IPv6 literal: a host with one in it would not survive `description`.
        guard !host.contains(where: { $0 == "[" || $0 == "]" }) else {
            throw MultiSocketError(.badAddress, "'\(text)': a bracket in the host")
        }
        guard let port = UInt16(portText) else { throw MultiSocketError(.badAddress, "'\(text)': bad port") }
        return (host == "*" ? nil : String(host), port)
    }
}
