/// How a `tls+tcp://` or `wss://` endpoint secures its connections: its own certificate, whom it trusts,
/// what it checks of the peer.
///
/// Set it for every endpoint of a socket in ``EndpointOptions/tls`` of the socket's
/// ``ConnectorOptions/endpoint``, or for one endpoint in the options passed to `dial(_:options:)` or
/// `listen(_:options:)`; the address's query overrides single fields (`tlsVerify`, `tlsServerName`,
/// `tlsCAFile`, `tlsCertificateFile`, `tlsKeyFile`, `tlsRequireClientCertificate`). Without one, a dialer
/// verifies the server against the system's trust store and a listener fails, as it has no certificate.
///
/// What is verified by default: a dialer checks that the server's chain leads to a trusted root and that it
/// names the host dialed (a DNS name in the subject alternative names, or the IP address when the address
/// has one); a listener checks a client certificate only when ``requireClientCertificate`` is set (mutual
/// TLS), and then against ``trustRoots``. TLS 1.2 is the lowest version either side accepts, 1.3 is
/// preferred, and renegotiation is refused.
///
/// A value type: compare and hash it freely; files are read when an endpoint is opened, not here.
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM text, from a file or given as bytes.
    public enum PEM: Sendable, Hashable {
        /// The PEM file at this path, read when the endpoint opens.
        case file(String)
        /// PEM text itself.
        case bytes([UInt8])
    }

    /// The certificates a peer is verified against.
    public enum TrustRoots: Sendable, Hashable {
        /// The system's store (OpenSSL's default paths: `/etc/ssl/certs` on Debian).
        case system
        /// These CA certificates only (a PEM file or PEM bytes, one or more certificates).
        case certificates(PEM)
    }

    /// This side's certificate chain (leaf first, then intermediates), PEM: needed by a listener, and by a
    /// dialer whose server requires a client certificate. `nil`: none.
    public var certificateChain: PEM?
    /// The private key of ``certificateChain``'s leaf, PEM (unencrypted).
    public var privateKey: PEM?
    /// Whom a peer's certificate must chain to. Default: the system's store.
    public var trustRoots: TrustRoots
    /// Whether a dialer verifies the server's certificate and host name. Default `true`; `false` accepts any
    /// server (encryption without authentication: for tests only). Query: `tlsVerify`.
    public var verifyPeer: Bool
    /// Whether a listener asks every client for a certificate and refuses one without a valid one (mutual
    /// TLS). Default `false`. Query: `tlsRequireClientCertificate`.
    public var requireClientCertificate: Bool
    /// The name a dialer sends in SNI and checks the server's certificate against. `nil` (the default): the
    /// dialed address's host — a DNS name is sent and checked as one, an IP address is checked as an IP
    /// address (and not sent: SNI carries names only). Query: `tlsServerName`.
    public var serverName: String?
    /// The application protocols offered (a dialer) or accepted (a listener) by ALPN, most preferred first.
    /// Empty (the default): no ALPN. A listener with a list refuses a client that offers none of them.
    public var applicationProtocols: [String]
    /// How long the TLS handshake (and, for wss, the WebSocket upgrade after it) may take from the TCP
    /// connection on; a peer slower than that is dropped. Default 10 s.
    public var handshakeTimeout: Duration

    /// Creates a configuration; every parameter has the documented default.
    public init(
        certificateChain: PEM? = nil,
        privateKey: PEM? = nil,
        trustRoots: TrustRoots = .system,
        verifyPeer: Bool = true,
        requireClientCertificate: Bool = false,
        serverName: String? = nil,
        applicationProtocols: [String] = [],
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.verifyPeer = verifyPeer
        self.requireClientCertificate = requireClientCertificate
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
        self.handshakeTimeout = handshakeTimeout
    }

    /// A listener's configuration: this certificate chain and key, optionally requiring client
    /// certificates that chain to `clientRoots`.
    public static func server(
        certificateChain: PEM, privateKey: PEM, requireClientCertificate: Bool = false,
        clientRoots: TrustRoots = .system
    ) -> TLSConfiguration {
        TLSConfiguration(certificateChain: certificateChain, privateKey: privateKey, trustRoots: clientRoots,
                         requireClientCertificate: requireClientCertificate)
    }
}
