import MultiSocket

/// The committed test certificates (`Tests/Fixtures/TLS`, made by its `make-certificates.sh`): a CA, a
/// server certificate for localhost/127.0.0.1/::1, two client certificates, and the bad ones — expired, for
/// the wrong host, and signed by an untrusted CA. Paths are absolute, found from this file's own path.
public enum TLSFixtures {
    /// The fixtures folder.
    public static let directory: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Sources/TestSupport/TLSFixtures.swift
        return parts.joined(separator: "/") + "/Tests/Fixtures/TLS"
    }()

    /// The path of the fixture `name` (`server.pem`).
    public static func path(_ name: String) -> String {
        "\(directory)/\(name)"
    }

    /// The certificate `name.pem` with its key `name.key` (and `ca.pem` as trust roots).
    public static func identity(_ name: String) -> (chain: TLSConfiguration.PEM, key: TLSConfiguration.PEM) {
        (.file(path("\(name).pem")), .file(path("\(name).key")))
    }

    /// A listener presenting `certificate` (default `server`); with `requireClientCertificate`, mutual TLS
    /// against the test CA.
    public static func server(_ certificate: String = "server", requireClientCertificate: Bool = false,
                              handshakeTimeout: Duration = .seconds(10)) -> TLSConfiguration {
        let identity = identity(certificate)
        return TLSConfiguration(certificateChain: identity.chain, privateKey: identity.key,
                                trustRoots: .certificates(.file(path("ca.pem"))),
                                requireClientCertificate: requireClientCertificate, handshakeTimeout: handshakeTimeout)
    }

    /// A dialer trusting `roots` (default the test CA), presenting `certificate` when given.
    public static func client(_ certificate: String? = nil, roots: String = "ca.pem",
                              serverName: String? = nil) -> TLSConfiguration {
        let identity = certificate.map(identity)
        return TLSConfiguration(certificateChain: identity?.chain, privateKey: identity?.key,
                                trustRoots: .certificates(.file(path(roots))), serverName: serverName)
    }

    /// The query that configures a tls+tcp or wss endpoint with the server certificate and the test CA:
    /// a listener presents the certificate, a dialer trusts the CA (and presents the same certificate,
    /// which a listener not asking for one ignores).
    public static var query: String {
        "tlsCertificateFile=\(path("server.pem"))&tlsKeyFile=\(path("server.key"))&tlsCAFile=\(path("ca.pem"))"
    }
}
