import Glibc

/// Settings of one dialed or listened endpoint and of the pipes it makes.
///
/// A socket holds the defaults in ``ConnectorOptions/endpoint``; `dial(_:options:)` and `listen(_:options:)`
/// may pass their own value instead, and the address's query overrides single fields of whichever applies
/// (`tcp://127.0.0.1:5555?maxReceiveSize=1048576&raw=true`): the query always wins. Query names are the
/// property names below (case-insensitive); values are `true`/`false`, whole numbers, durations with a unit
/// (`250ms`, `5s`: `ns`, `us`, `ms`, `s`, `m`, `h`) or `none` where the property is optional.
public struct EndpointOptions: Sendable, Hashable {
    /// Whether a dialer reconnects after a failed attempt or a lost pipe. Query: `reconnect`.
    public var reconnect: Bool
    /// The first reconnect delay; each failure multiplies it by a random factor in [1.1, 1.5).
    /// Query: `minReconnectInterval`.
    public var minReconnectInterval: Duration
    /// The longest reconnect delay, or `nil` for no cap. Query: `maxReconnectInterval`.
    public var maxReconnectInterval: Duration?
    /// The largest message content accepted on receive; a larger frame closes its pipe. `nil`: no limit.
    /// Query: `maxReceiveSize`.
    public var maxReceiveSize: Int?
    /// The largest message content this endpoint's pipes send: a larger send fails at once at the sender
    /// with ``MultiSocketError/Code/messageTooLarge`` (counted as an unencodable drop) and the pipe stays,
    /// instead of the peer closing the pipe on a frame over its own limit. Until set, it is ``maxReceiveSize``
    /// (peers configured alike accept what they send); set `nil` for no limit. Raw pipes ignore it (a byte
    /// stream has no frames to refuse). Query: `maxSendSize`.
    public var maxSendSize: Int? {
        get { sendLimit ?? maxReceiveSize }
        set { sendLimit = .some(newValue) }
    }
    /// ``maxSendSize`` once set (`.some(nil)`: no limit); `nil` while it follows ``maxReceiveSize``.
    private var sendLimit: Int??
    /// Whether the peer is a plain byte stream rather than a multisocket peer (see ``MessagePipe/isRaw``).
    /// Only stream transports carry raw pipes. Query: `raw`.
    public var raw: Bool
    /// Whether TCP pipes disable Nagle's algorithm. Query: `tcpNoDelay`.
    public var tcpNoDelay: Bool
    /// Whether TCP pipes send keep-alive probes (`SO_KEEPALIVE`), so that a peer whose host vanished is
    /// noticed by the kernel and its pipe closed. Query: `tcpKeepAlive`.
    public var tcpKeepAlive: Bool
    /// How long a frame may take to arrive once its first byte has (for ws, a fragmented message once its
    /// first fragment has); a peer that stalls mid-frame longer has its pipe closed with
    /// ``FrameError/stalled(buffered:)``. `nil`: no limit. Time spent paused by a full receive queue does
    /// not count. Query: `partialFrameTimeout`.
    public var partialFrameTimeout: Duration?
    /// How many connections the kernel queues for a listener before it accepts them (`listen(2)`'s
    /// backlog; the kernel caps it at `net.core.somaxconn`). Not to be confused with
    /// ``ConnectorOptions/backlog``, the accepted connections that wait while the pipe limit is reached.
    /// Query: `acceptBacklog`.
    public var acceptBacklog: Int
    /// The Scalability Protocols number an `sp+` endpoint announces in its connection header (NNG's table:
    /// `0x30` REQ, `0x31` REP, …), and whose partner it accepts. `nil` (the default): the socket's
    /// `ProtocolIdentity` number, which every role has; a plain socket without an identity must set it to
    /// dial or listen on `sp+` addresses. Other transports ignore it. Query: `spProtocol` (`0x31` or `49`).
    public var spProtocol: UInt16?
    /// How long a synchronous `dial` of a socket with a protocol identity (every role) waits for the
    /// listener's hello on the new pipe, the sign that it admitted it: a listener whose pipe veto refuses the
    /// pipe answers with its reason instead, and the dial throws ``MultiSocketError/Code/refusedByPeer``. A peer
    /// that sends no hello (a socket without identity, the Go library) costs this wait and is taken as
    /// admitted. `nil`: do not wait. Raw and `sp+` endpoints never wait. Query: `admissionTimeout`.
    public var admissionTimeout: Duration? = .seconds(1)
    /// Files a ws listener serves over plain HTTP on its port, at `<path>/<name>` (see ``WebResources``);
    /// `nil` serves none. Ignored by other transports and by dialers. Not settable from the query.
    public var webResources: WebResources? = nil
    /// How `tls+tcp://` and `wss://` endpoints secure their connections; other transports ignore it. `nil`
    /// (the default): a dialer verifies servers against the system's trust store, a listener has no
    /// certificate (and fails to open). Query: `tlsVerify`, `tlsServerName`, `tlsCAFile`,
    /// `tlsCertificateFile`, `tlsKeyFile`, `tlsRequireClientCertificate`, `tlsHandshakeTimeout` (each sets
    /// one field of ``TLSConfiguration``, starting from the default when there is none).
    public var tls: TLSConfiguration?

    /// Creates options; every parameter has the documented default.
    public init(
        reconnect: Bool = true,
        minReconnectInterval: Duration = .milliseconds(100),
        maxReconnectInterval: Duration? = .seconds(8),
        maxReceiveSize: Int? = 128 * 1024,
        raw: Bool = false,
        tcpNoDelay: Bool = true,
        tcpKeepAlive: Bool = true,
        partialFrameTimeout: Duration? = .seconds(30),
        acceptBacklog: Int = Int(SOMAXCONN),
        spProtocol: UInt16? = nil,
        tls: TLSConfiguration? = nil
    ) {
        self.reconnect = reconnect
        self.minReconnectInterval = minReconnectInterval
        self.maxReconnectInterval = maxReconnectInterval
        self.maxReceiveSize = maxReceiveSize
        self.raw = raw
        self.tcpNoDelay = tcpNoDelay
        self.tcpKeepAlive = tcpKeepAlive
        self.partialFrameTimeout = partialFrameTimeout
        self.acceptBacklog = acceptBacklog
        self.spProtocol = spProtocol
        self.tls = tls
    }

    /// These options with `query` applied over them, item by item.
    ///
    /// Runs on the caller's thread.
    /// - Throws: ``MultiSocketError`` with code `badAddress` naming the option and value for an unknown
    ///   name, a name given twice, or a value that is not of the option's kind.
    public func applying(_ query: [Address.QueryItem]) throws(MultiSocketError) -> EndpointOptions {
        var options = self
        var seen: Set<String> = []
        for item in query {
            guard let (name, option) = Self.setters.first(where: { $0.key.lowercased() == item.name.lowercased() })
            else {
                let known = Self.setters.keys.sorted().joined(separator: ", ")
                throw MultiSocketError(.badAddress, "unknown option '\(item.name)'; known: \(known)")
            }
            guard seen.insert(name).inserted else {
                throw MultiSocketError(.badAddress, "option '\(item.name)' is given twice")
            }
            try option(&options, item)
        }
        return options
    }

    private typealias Setter = @Sendable (inout EndpointOptions, Address.QueryItem) throws(MultiSocketError) -> Void

    /// The query names (matched without regard to case), and how each sets its field.
    private static let setters: [String: Setter] = [
        "reconnect": { options, item throws(MultiSocketError) in options.reconnect = try flag(item) },
        "minReconnectInterval": { options, item throws(MultiSocketError) in
            options.minReconnectInterval = try duration(item, orNone: false)
        },
        "maxReconnectInterval": { options, item throws(MultiSocketError) in
            options.maxReconnectInterval = item.value == "none" ? nil : try duration(item, orNone: true)
        },
        "maxReceiveSize": { options, item throws(MultiSocketError) in
            options.maxReceiveSize = item.value == "none" ? nil : try count(item, in: 0...Int(UInt32.max), orNone: true)
        },
        "maxSendSize": { options, item throws(MultiSocketError) in
            options.maxSendSize = item.value == "none" ? nil : try count(item, in: 0...Int(UInt32.max), orNone: true)
        },
        "admissionTimeout": { options, item throws(MultiSocketError) in
            options.admissionTimeout = item.value == "none" ? nil : try duration(item, orNone: true)
        },
        "raw": { options, item throws(MultiSocketError) in options.raw = try flag(item) },
        "tcpNoDelay": { options, item throws(MultiSocketError) in options.tcpNoDelay = try flag(item) },
        "tcpKeepAlive": { options, item throws(MultiSocketError) in options.tcpKeepAlive = try flag(item) },
        "partialFrameTimeout": { options, item throws(MultiSocketError) in
            options.partialFrameTimeout = item.value == "none" ? nil : try duration(item, orNone: true)
        },
        "acceptBacklog": { options, item throws(MultiSocketError) in
            options.acceptBacklog = try count(item, in: 1...Int(Int32.max), orNone: false)
        },
        "spProtocol": { options, item throws(MultiSocketError) in
            options.spProtocol = item.value == "none" ? nil : try protocolNumber(item)
        },
        "tlsVerify": { options, item throws(MultiSocketError) in
            let verify = try flag(item)
            options.tls(set: { $0.verifyPeer = verify })
        },
        "tlsRequireClientCertificate": { options, item throws(MultiSocketError) in
            let require = try flag(item)
            options.tls(set: { $0.requireClientCertificate = require })
        },
        "tlsServerName": { options, item throws(MultiSocketError) in
            let name = try text(item)
            options.tls(set: { $0.serverName = name })
        },
        "tlsCAFile": { options, item throws(MultiSocketError) in
            let path = try text(item)
            options.tls(set: { $0.trustRoots = .certificates(.file(path)) })
        },
        "tlsCertificateFile": { options, item throws(MultiSocketError) in
            let path = try text(item)
            options.tls(set: { $0.certificateChain = .file(path) })
        },
        "tlsKeyFile": { options, item throws(MultiSocketError) in
            let path = try text(item)
            options.tls(set: { $0.privateKey = .file(path) })
        },
        "tlsHandshakeTimeout": { options, item throws(MultiSocketError) in
            let timeout = try duration(item, orNone: false)
            options.tls(set: { $0.handshakeTimeout = timeout })
        },
    ]

    /// Changes one field of ``tls``, starting from the default configuration when there is none.
    private mutating func tls(set change: (inout TLSConfiguration) -> Void) {
        var configuration = tls ?? TLSConfiguration()
        change(&configuration)
        tls = configuration
    }

    /// A non-empty value taken as it is (a path or a name).
    private static func text(_ item: Address.QueryItem) throws(MultiSocketError) -> String {
        guard !item.value.isEmpty else { throw invalid(item, "a non-empty value") }
        return item.value
    }

    private static func invalid(_ item: Address.QueryItem, _ expected: String) -> MultiSocketError {
        MultiSocketError(.badAddress, "option '\(item.name)' has value '\(item.value)'; expected \(expected)")
    }

    private static func flag(_ item: Address.QueryItem) throws(MultiSocketError) -> Bool {
        switch item.value.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: throw invalid(item, "true or false")
        }
    }

    /// A whole number in `range`; `orNone` says whether the error mentions `none` as an alternative.
    private static func count(
        _ item: Address.QueryItem, in range: ClosedRange<Int>, orNone: Bool
    ) throws(MultiSocketError) -> Int {
        guard isDigits(item.value[...]), let value = Int(item.value), range.contains(value) else {
            let none = orNone ? ", or none" : ""
            throw invalid(item, "a whole number from \(range.lowerBound) to \(range.upperBound)\(none)")
        }
        return value
    }

    private static let units: [(suffix: String, make: @Sendable (Int) -> Duration)] = [
        ("ns", { .nanoseconds($0) }), ("us", { .microseconds($0) }), ("ms", { .milliseconds($0) }),
        ("s", { .seconds($0) }), ("m", { .seconds($0 * 60) }), ("h", { .seconds($0 * 3600) }),
    ]

    /// A duration such as `250ms`; `orNone` says whether the error mentions `none` as an alternative.
    private static func duration(_ item: Address.QueryItem, orNone: Bool) throws(MultiSocketError) -> Duration {
        for unit in units where item.value.hasSuffix(unit.suffix) {
            let digits = item.value.dropLast(unit.suffix.count)
            if isDigits(digits), let value = Int(digits), value <= 1_000_000_000 { return unit.make(value) }
        }
        throw invalid(item, "a duration such as 250ms or 5s (units ns, us, ms, s, m, h)\(orNone ? ", or none" : "")")
    }

    /// A 16-bit protocol number, decimal or `0x` hexadecimal.
    private static func protocolNumber(_ item: Address.QueryItem) throws(MultiSocketError) -> UInt16 {
        let text = item.value.lowercased()
        let value = text.hasPrefix("0x") ? UInt16(text.dropFirst(2), radix: 16)
            : isDigits(text[...]) ? UInt16(text) : nil
        guard let value, value != 0 else { throw invalid(item, "a protocol number such as 0x31 or 49, or none") }
        return value
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 18
            && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
