// Mutual TLS: a Rep server over tls+tcp that requires client certificates and admits only one client by
// its certificate. Throwaway certificates (a CA, a server and two clients) are made with the `openssl`
// command in a temporary directory, removed at the end. client-a is admitted and gets its reply;
// client-b's certificate is just as valid, but the server's pipeVeto refuses it, so its request fails.
import Foundation
import MultiSocketProtocols


/// Makes the certificates in `directory` with the `openssl` command: `ca.pem`, and `X.pem`/`X.key` for
/// X in server, client-a, client-b (EC P-256 keys, valid for a day).
func makeCertificates(in directory: String) throws {
    let script = #"""
        set -euo pipefail
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
        key ca
        openssl req -x509 -new -key ca.key -days 1 -subj "/CN=Example CA" -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        leaf() { # name san usage
            key "$1"
            openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
            printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$2" "$3" > "$1.ext"
            openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
                -extfile "$1.ext" -out "$1.pem" 2>&1
        }
        leaf server "DNS:localhost,IP:127.0.0.1" serverAuth
        leaf client-a "DNS:client-a.example" clientAuth
        leaf client-b "DNS:client-b.example" clientAuth
        """#
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let log = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw MultiSocketError(.systemError, "openssl failed (is it installed?): \(String(decoding: log, as: UTF8.self))")
    }
}

func run(in directory: String) async throws {
    try makeCertificates(in: directory)
    print("certificates: a CA, server, client-a and client-b made in \(directory)")
    func file(_ name: String) -> String { "\(directory)/\(name)" }

    // The server presents its certificate, requires one from every client (verified against the CA), and
    // admits only client-a: the veto sees each pipe's verified peer certificate.
    let serverTLS = TLSConfiguration(certificateChain: .file(file("server.pem")), privateKey: .file(file("server.key")),
                                     trustRoots: .certificates(.file(file("ca.pem"))),
                                     requireClientCertificate: true)
    let server = Rep(options: SocketOptions(
        connector: ConnectorOptions(endpoint: EndpointOptions(tls: serverTLS)),
        pipeVeto: { pipe in
            guard let certificate = pipe.peerCertificate else { return "no client certificate" }
            return certificate.commonName == "client-a" ? nil : "\(certificate.subject) is not on the list"
        }))
    let events = server.socket.events()
    let address = try server.listen("tls+tcp://127.0.0.1:0")
    print("server: listening on \(address), requiring client certificates")
    let serving = Task {
        try await server.serve { request in
            Array("hello, you said '\(request.text)'".utf8)
        }
    }

    // Each client names the CA it trusts and its own certificate in the address's query.
    func clientAddress(_ name: String) -> String {
        "tls+tcp://localhost:\(address.port!)?tlsCAFile=\(file("ca.pem"))"
            + "&tlsCertificateFile=\(file("\(name).pem"))&tlsKeyFile=\(file("\(name).key"))"
    }
    let admitted = Req()
    try await admitted.dial(clientAddress("client-a"))
    let reply = try await admitted.request("ping from a", timeout: .seconds(5))
    print("client-a: \(reply)")

    let refused = Req(options: SocketOptions(connector: ConnectorOptions(endpoint: EndpointOptions(reconnect: false))))
    // The server's veto answers with its reason, so the dial itself fails and says why.
    do {
        try await refused.dial(clientAddress("client-b") + "&admissionTimeout=20s")
        print("client-b: unexpectedly admitted")
    } catch let error as MultiSocketError where error.code == .refusedByPeer {
        print("client-b: refused by the server (\(error.context))")
    }
    for await event in events {
        if case .pipeRefused(_, let reason) = event {
            print("server: refused a pipe: \(reason)")
            break
        }
    }

    await refused.close()
    await admitted.close()
    await server.close()
    try await serving.value
    print("done")
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multisocket-mtls-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
do {
    try await run(in: directory)
    try FileManager.default.removeItem(atPath: directory)
} catch {
    try? FileManager.default.removeItem(atPath: directory)
    print("failed: \(error)")
    exit(1)
}
