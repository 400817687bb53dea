import Foundation
import MultiSocket

/// The TLS test certificates, generated once per test process with the `openssl` command into a fresh
/// temporary directory (removed when the process exits); nothing is committed. What is made: a CA, a server
/// certificate for localhost/127.0.0.1/::1, two client certificates (`client-a`, `client-b`), and the bad
/// ones — expired, for the wrong host, and signed by an untrusted CA (`other-ca`). Every key is EC P-256.
///
/// | name | what |
/// |---|---|
/// | `ca` | the test CA (`CN=MultiSocket Test CA`) that signs everything below but the untrusted ones |
/// | `server` | `CN=localhost`, SAN `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`, serverAuth |
/// | `client-a` | `CN=client-a`, SAN `DNS:client-a.test`, `email:a@multisocket.test`, clientAuth |
/// | `client-b` | `CN=client-b`, SAN `DNS:client-b.test`, clientAuth |
/// | `wrong-host` | `CN=wrong.example`, SAN `DNS:wrong.example` only |
/// | `expired-server` | like `server` but valid only in 2001 (`openssl ca -startdate/-enddate`) |
/// | `other-ca` | a second CA nobody trusts; `untrusted-server`, `untrusted-client` are signed by it |
///
/// Each `X.pem` has its key in `X.key`. The first use of ``directory`` (from any thread, any suite)
/// generates them; concurrent first uses wait for that one generation (a `static let`).
public enum TLSFixtures {
    /// The folder holding the generated certificates. The first access runs `openssl` (about a second) and
    /// blocks the calling thread until it is done; it stops the test process with a message naming the
    /// missing tool when `openssl` is not installed or fails, since no TLS test can run without it.
    public static let directory: String = {
        do {
            return try generate()
        } catch {
            fatalError("TLSFixtures: cannot generate the TLS test certificates with the `openssl` command "
                       + "(install it: apt-get install openssl): \(error)")
        }
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

    /// Why generating the certificates failed.
    public struct GenerationError: Error, CustomStringConvertible {
        /// What went wrong, with openssl's own output.
        public let description: String
    }

    /// Makes a fresh temporary directory, runs ``script`` in it and registers its removal at exit.
    private static func generate() throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/multisocket-tls-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw GenerationError(description: "mkdtemp failed (errno \(errno))")
        }
        let directory = String(cString: made)
        let bash = try ChildProcess("/bin/bash", ["-c", script], workingDirectory: directory, errors: .sameAsOutput)
        let text = String(decoding: bash.output.readToEndBlocking(), as: UTF8.self)
        let termination = bash.waitUntilExitBlocking()
        guard termination.succeeded else {
            try? FileManager.default.removeItem(atPath: directory)
            throw GenerationError(description: "the generation script ended with \(termination): " + text)
        }
        atexit { try? FileManager.default.removeItem(atPath: TLSFixtures.directory) }
        return directory
    }

    /// The bash script that makes every certificate in the current directory. Every certificate is valid
    /// for 100 years except `expired-server.pem` (2001–2002, through `openssl ca`, since OpenSSL 3.0's
    /// `x509 -req` has no `-not_before`).
    private static let script = #"""
        set -euo pipefail
        command -v openssl >/dev/null || { echo "openssl: command not found" >&2; exit 127; }
        days=36500
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
        ca() { # name subject
            key "$1.key"
            openssl req -x509 -new -key "$1.key" -days $days -subj "$2" -out "$1.pem" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        }
        leaf() { # name subject san usage issuer
            key "$1.key"
            openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
            printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" > "$1.ext"
            openssl x509 -req -in "$1.csr" -CA "$5.pem" -CAkey "$5.key" -CAcreateserial -days $days \
                -extfile "$1.ext" -out "$1.pem" 2>&1
            rm -f "$1.csr" "$1.ext"
        }
        ca ca "/O=MultiSocket Test/CN=MultiSocket Test CA"
        ca other-ca "/O=Someone Else/CN=Untrusted Test CA"
        leaf server "/O=MultiSocket Test/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth ca
        leaf client-a "/O=MultiSocket Test/CN=client-a" "DNS:client-a.test,email:a@multisocket.test" clientAuth ca
        leaf client-b "/O=MultiSocket Test/CN=client-b" "DNS:client-b.test" clientAuth ca
        leaf wrong-host "/O=MultiSocket Test/CN=wrong.example" "DNS:wrong.example" serverAuth ca
        leaf untrusted-server "/O=Someone Else/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth other-ca
        leaf untrusted-client "/O=Someone Else/CN=intruder" "DNS:intruder.test" clientAuth other-ca
        key expired-server.key
        openssl req -new -key expired-server.key -subj "/O=MultiSocket Test/CN=localhost" -out expired-server.csr
        mkdir ca-work
        touch ca-work/index.txt
        echo 01 > ca-work/serial
        cat > ca-work/ca.cnf <<CNF
        [ca]
        default_ca = test
        [test]
        database = ca-work/index.txt
        new_certs_dir = ca-work
        serial = ca-work/serial
        default_md = sha256
        policy = anything
        copy_extensions = none
        x509_extensions = leaf
        [anything]
        organizationName = optional
        commonName = supplied
        [leaf]
        subjectAltName = DNS:localhost,IP:127.0.0.1
        extendedKeyUsage = serverAuth
        basicConstraints = CA:FALSE
        CNF
        openssl ca -batch -config ca-work/ca.cnf -cert ca.pem -keyfile ca.key -in expired-server.csr \
            -startdate 20010101000000Z -enddate 20020101000000Z -out expired-server.pem 2>&1
        rm -rf ca-work expired-server.csr ca.srl other-ca.srl
        """#
}
