/// nngcat's TLS flags: the files and the verification choice that secure `tls+tcp://`, `wss://` and
/// `sp+tls+tcp://` endpoints. Other transports ignore them.
public struct TLSFlags: Sendable, Equatable {
    /// `--cacert FILE`: the PEM certificates trusted as roots, instead of the system's trust store.
    public var caCertificate: String?
    /// `--cert FILE`: the PEM certificate chain presented to the peer (a listener needs one).
    public var certificate: String?
    /// `--key FILE`: the PEM private key of ``certificate``; `nil` reads it from the certificate file, as
    /// nngcat does.
    public var key: String?
    /// `--insecure`: a dialer does not verify the server's certificate (encryption without authentication).
    public var insecure: Bool

    /// Creates flags; none set means TLS with the library's defaults.
    public init(caCertificate: String? = nil, certificate: String? = nil, key: String? = nil,
                insecure: Bool = false) {
        self.caCertificate = caCertificate
        self.certificate = certificate
        self.key = key
        self.insecure = insecure
    }

    /// Whether no TLS flag was given.
    public var isEmpty: Bool {
        self == TLSFlags()
    }
}
