/// What a verified peer certificate says about who the peer is: for authorizing a pipe by its certificate
/// (``MessagePipe/peerCertificate``, read in `SocketOptions.pipeVeto` or a switch's middleware).
///
/// Only a certificate that was verified becomes a `PeerCertificate`: a dialer's server (unless
/// ``TLSConfiguration/verifyPeer`` is off, when there is none), a mutual-TLS listener's client.
public struct PeerCertificate: Sendable, Hashable, CustomStringConvertible {
    /// The subject's distinguished name in RFC 2253 form, most specific first (`CN=client-a,O=Example`).
    public let subject: String
    /// The subject alternative names, each with its kind as OpenSSL prints it: `DNS:host.example`,
    /// `IP:127.0.0.1`, `email:a@example`, `URI:spiffe://…`; other kinds are left out.
    public let subjectAlternativeNames: [String]

    /// Creates one (tests, or a transport outside this package).
    public init(subject: String, subjectAlternativeNames: [String]) {
        self.subject = subject
        self.subjectAlternativeNames = subjectAlternativeNames
    }

    /// The subject's common name (the `CN=` part of ``subject``), if it has one.
    public var commonName: String? {
        subject.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) }
    }

    /// The subject and the alternative names.
    public var description: String {
        subjectAlternativeNames.isEmpty ? subject : "\(subject) [\(subjectAlternativeNames.joined(separator: ", "))]"
    }
}
