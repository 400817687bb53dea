/// A transport address: `scheme://host:port/path?query` or `scheme://path?query`, parsed and checked.
///
/// `tcp://host:port`, `ipc:///path`, `inproc://name`, `ws://host:port/path`, and the schemes of any
/// registered ``Transport``. The scheme's transport decides the ``AddressForm`` and checks the rest.
/// `tcp://*:port` and `ws://*:port/path` listen on all interfaces; port 0 asks the system for a free port
/// (read it back from the address `listen` returns). The query carries per-endpoint options
/// (``EndpointOptions``): `tcp://127.0.0.1:5555?maxReceiveSize=1048576&raw=true`. ``description`` gives
/// back text that parses to an equal address.
public struct Address: Sendable, Hashable, CustomStringConvertible {
    /// One `name=value` pair of the query.
    public struct QueryItem: Sendable, Hashable {
        /// The option's name, as written.
        public var name: String
        /// The option's value, as written.
        public var value: String

        /// Creates a pair.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The scheme, lowercased: `tcp`, `ipc`, `inproc`, `ws`, …
    public var scheme: String
    /// The host of a ``AddressForm/network(defaultPath:)`` address (`*` for all interfaces; an IPv6
    /// literal without its brackets); `nil` for a ``AddressForm/local`` one.
    public var host: String?
    /// The port of a network address; `nil` for a local one.
    public var port: UInt16?
    /// The path: a network address's path (`/chat`; empty for tcp), a local address's whole path or name.
    public var path: String
    /// The query's options, in order.
    public var query: [QueryItem]

    /// Creates an address from its parts, unchecked: for a transport building the address it bound. A
    /// network address has a `port`, a local one has none.
    public init(scheme: String, host: String? = nil, port: UInt16? = nil, path: String = "", query: [QueryItem] = []) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// Parses and checks `text`: the scheme must be registered (``Transports``), the rest must have that
    /// transport's ``AddressForm``, the query must name ``EndpointOptions`` with valid values, and the
    /// transport's ``Transport/validate(_:options:)`` must accept it (with the query over the default
    /// options). Runs on the caller's thread.
    ///
    /// - Throws: ``MultiSocketError`` with ``MultiSocketError/Code/unsupportedScheme`` (listing the
    ///   registered schemes) for an unknown scheme, ``MultiSocketError/Code/badAddress`` with the reason for
    ///   anything else malformed.
    public init(_ text: String) throws(MultiSocketError) {
        self = try Self.parse(text).address
    }

    /// Parses and checks `text` as ``init(_:)`` does, and returns the transport that checked it too.
    package static func parse(_ text: String) throws(MultiSocketError) -> (address: Address, transport: any Transport) {
        guard let separator = text.firstRange(of: "://") else {
            throw MultiSocketError(.badAddress, "'\(text)' has no scheme:// prefix")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard let transport = Transports.transport(for: scheme) else {
            throw MultiSocketError(.unsupportedScheme, "'\(scheme)' in '\(text)'; registered: \(Transports.schemes)")
        }
        var rest = text[separator.upperBound...]
        var query: [QueryItem] = []
        if let mark = rest.firstIndex(of: "?") {
            query = try parseQuery(rest[rest.index(after: mark)...], in: text)
            rest = rest[..<mark]
        }
        let address: Address
        switch transport.addressForm {
        case .local:
            guard !rest.isEmpty else { throw MultiSocketError(.badAddress, "'\(text)' has no path or name") }
            address = Address(scheme: scheme, path: String(rest), query: query)
        case .network(let defaultPath):
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let (host, port) = try hostAndPort(rest[..<slash], in: text)
            var path = String(rest[slash...])
            if path.isEmpty, let defaultPath { path = defaultPath }
            if !path.isEmpty && defaultPath == nil {
                throw MultiSocketError(.badAddress, "'\(text)': a \(scheme) address has no path")
            }
            address = Address(scheme: scheme, host: host, port: port, path: path, query: query)
        }
        do {
            try transport.validate(address, options: EndpointOptions().applying(query))
        } catch {
            throw MultiSocketError(error.code, "'\(text)': \(error.context)")
        }
        return (address, transport)
    }

    /// The address as text, in the form it was parsed from (`*` for all interfaces, brackets around an
    /// IPv6 host, the query as given).
    public var description: String {
        var text = "\(scheme)://"
        if let port {
            let shown = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"
            text += "\(shown):\(port)"
        }
        text += path
        if !query.isEmpty { text += "?" + query.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
        return text
    }

    /// The address without its query: where the endpoint is, not how it is used.
    public var endpoint: Address {
        var address = self
        address.query = []
        return address
    }

    private static func parseQuery(_ text: Substring, in whole: String) throws(MultiSocketError) -> [QueryItem] {
        var items: [QueryItem] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw MultiSocketError(.badAddress, "'\(whole)': query item '\(pair)' is not name=value")
            }
            items.append(QueryItem(name: String(pair[..<equals]), value: String(pair[pair.index(after: equals)...])))
        }
        return items
    }

    private static func hostAndPort(_ rest: Substring, in text: String) throws(MultiSocketError) -> (String, UInt16) {
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
        return (String(host), port)
    }
}
