import Glibc

/// One endpoint's OpenSSL context (`SSL_CTX`), built from a ``TLSConfiguration`` for one side: the
/// certificates and keys loaded, the trust roots, what is verified, TLS 1.2 minimum, renegotiation and
/// session tickets off. It makes the ``TLSStream`` of each connection.
///
/// Built on the caller's thread when a dial starts or a listener opens (reading its files then); immutable
/// afterwards, so any thread may make streams from it (OpenSSL allows concurrent `SSL_new` on one context).
final class TLSContext: @unchecked Sendable {
    /// Which end of the handshake the streams take.
    enum Side: Sendable { case client, server }

    let library: OpenSSL
    let side: Side
    let configuration: TLSConfiguration
    private let context: OpaquePointer
    /// A listener's ALPN list in wire form (length-prefixed names), the selection callback's argument.
    private let serverProtocols: UnsafeMutableRawBufferPointer?

    /// Builds the context for `side`. Caller's thread.
    ///
    /// - Throws: ``MultiSocketError`` `badAddress` for a listener without a certificate, or a certificate,
    ///   key or CA file or text OpenSSL cannot load (naming it and why); `systemError` if OpenSSL cannot
    ///   make a context.
    init(_ configuration: TLSConfiguration, side: Side, library: OpenSSL) throws(MultiSocketError) {
        guard let context = library.SSL_CTX_new(library.TLS_method()) else {
            throw MultiSocketError(.systemError, "SSL_CTX_new: \(library.drainErrors("out of memory"))")
        }
        self.library = library
        self.side = side
        self.configuration = configuration
        self.context = context
        var wire: [UInt8] = []
        for name in configuration.applicationProtocols where !name.isEmpty && name.utf8.count < 256 {
            wire.append(UInt8(name.utf8.count))
            wire += Array(name.utf8)
        }
        if side == .server && !wire.isEmpty {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: wire.count + 4, alignment: 4)
            buffer.storeBytes(of: UInt32(wire.count), as: UInt32.self)
            UnsafeMutableRawBufferPointer(rebasing: buffer[4...]).copyBytes(from: wire)
            serverProtocols = buffer
        } else {
            serverProtocols = nil
        }
        try configure(wire: wire)
    }

    deinit {
        library.SSL_CTX_free(context)
        serverProtocols?.deallocate()
    }

    private func configure(wire: [UInt8]) throws(MultiSocketError) {
        let ssl = library
        ssl.ERR_clear_error()
        _ = ssl.SSL_CTX_ctrl(context, OpenSSL.controlMinProtocol, OpenSSL.tls12, nil)
        _ = ssl.SSL_CTX_set_options(context, OpenSSL.optionNoRenegotiation | OpenSSL.optionNoCompression
                                    | (side == .server ? OpenSSL.optionServerPreference : 0))
        _ = ssl.SSL_CTX_set_num_tickets(context, 0)
        // AES-128-GCM first: with AES instructions it encrypts ~15 % faster than AES-256-GCM (what OpenSSL
        // puts first), and the server's preference decides.
        _ = ssl.SSL_CTX_set_ciphersuites(context, OpenSSL.cipherSuites)
        // Partial writes (one per record) and a write retried from another address: the stream re-offers
        // the same bytes at the link's next write if a record ever found no room (see TLSStream.write).
        _ = ssl.SSL_CTX_ctrl(context, OpenSSL.controlMode, OpenSSL.modePartialMovingWrite, nil)
        if let chain = configuration.certificateChain {
            try loadChain(chain)
            guard let key = configuration.privateKey else {
                throw MultiSocketError(.badAddress, "TLS: a certificate chain needs its privateKey")
            }
            try loadKey(key)
            guard ssl.SSL_CTX_check_private_key(context) == 1 else {
                throw MultiSocketError(
                    .badAddress, "TLS: the private key does not match the certificate: \(ssl.drainErrors("mismatch"))")
            }
        } else if side == .server {
            throw MultiSocketError(
                .badAddress, "a TLS listener needs a certificate: set TLSConfiguration.certificateChain and privateKey")
        }
        let verifying = side == .client ? configuration.verifyPeer : configuration.requireClientCertificate
        if verifying { try loadTrustRoots() }
        let mode = !verifying ? OpenSSL.verifyNone
            : side == .client ? OpenSSL.verifyPeer : OpenSSL.verifyPeer | OpenSSL.verifyFailIfNoPeerCertificate
        ssl.SSL_CTX_set_verify(context, mode, nil)
        if !wire.isEmpty {
            if side == .client {
                _ = wire.withUnsafeBufferPointer {
                    ssl.SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count))
                }
            } else {
                ssl.SSL_CTX_set_alpn_select_cb(context, selectProtocol, serverProtocols?.baseAddress)
            }
        }
    }

    private func loadChain(_ chain: TLSConfiguration.PEM) throws(MultiSocketError) {
        let ssl = library
        switch chain {
        case .file(let path):
            guard ssl.SSL_CTX_use_certificate_chain_file(context, path) == 1 else {
                throw MultiSocketError(.badAddress, "TLS: cannot load the certificate chain \(path): "
                                       + ssl.drainErrors("unreadable"))
            }
        case .bytes(let text):
            var certificates = try readCertificates(text, what: "certificate chain")
            let leaf = certificates.removeFirst()
            defer { ssl.X509_free(leaf) }
            guard ssl.SSL_CTX_use_certificate(context, leaf) == 1 else {
                certificates.forEach { ssl.X509_free($0) }
                throw MultiSocketError(.badAddress, "TLS: cannot use the certificate: \(ssl.drainErrors("rejected"))")
            }
            // The context takes each chain certificate it accepts.
            for (index, certificate) in certificates.enumerated() where ssl.SSL_CTX_ctrl(
                context, OpenSSL.controlExtraChainCertificate, 0, UnsafeMutableRawPointer(certificate)) != 1 {
                certificates[index...].forEach { ssl.X509_free($0) }
                throw MultiSocketError(.badAddress,
                                       "TLS: cannot add a chain certificate: \(ssl.drainErrors("rejected"))")
            }
        }
    }

    private func loadKey(_ key: TLSConfiguration.PEM) throws(MultiSocketError) {
        let ssl = library
        switch key {
        case .file(let path):
            guard ssl.SSL_CTX_use_PrivateKey_file(context, path, OpenSSL.fileTypePEM) == 1 else {
                throw MultiSocketError(.badAddress, "TLS: cannot load the private key \(path): "
                                       + ssl.drainErrors("unreadable"))
            }
        case .bytes(let text):
            let loaded = text.withUnsafeBytes { bytes -> OpaquePointer? in
                guard let bio = ssl.BIO_new_mem_buf(bytes.baseAddress, Int32(clamping: bytes.count)) else { return nil }
                defer { _ = ssl.BIO_free(bio) }
                return ssl.PEM_read_bio_PrivateKey(bio, nil, nil, nil)
            }
            guard let loaded else {
                throw MultiSocketError(.badAddress, "TLS: the private key is not PEM: \(ssl.drainErrors("unreadable"))")
            }
            defer { ssl.EVP_PKEY_free(loaded) }
            guard ssl.SSL_CTX_use_PrivateKey(context, loaded) == 1 else {
                throw MultiSocketError(.badAddress, "TLS: cannot use the private key: \(ssl.drainErrors("rejected"))")
            }
        }
    }

    private func loadTrustRoots() throws(MultiSocketError) {
        let ssl = library
        switch configuration.trustRoots {
        case .system:
            guard ssl.SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw MultiSocketError(.systemError, "TLS: cannot load the system's trust store: "
                                       + ssl.drainErrors("unreadable"))
            }
        case .certificates(.file(let path)):
            guard ssl.SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw MultiSocketError(.badAddress, "TLS: cannot load the CA file \(path): "
                                       + ssl.drainErrors("unreadable"))
            }
        case .certificates(.bytes(let text)):
            let store = ssl.SSL_CTX_get_cert_store(context)
            for certificate in try readCertificates(text, what: "CA certificates") {
                _ = ssl.X509_STORE_add_cert(store, certificate)
                ssl.X509_free(certificate)
            }
        }
    }

    /// Every certificate in the PEM `text` (at least one), each owned by the caller.
    private func readCertificates(_ text: [UInt8], what: String) throws(MultiSocketError) -> [OpaquePointer] {
        let ssl = library
        let certificates = text.withUnsafeBytes { bytes -> [OpaquePointer] in
            guard let bio = ssl.BIO_new_mem_buf(bytes.baseAddress, Int32(clamping: bytes.count)) else { return [] }
            defer { _ = ssl.BIO_free(bio) }
            var found: [OpaquePointer] = []
            while let certificate = ssl.PEM_read_bio_X509(bio, nil, nil, nil) { found.append(certificate) }
            return found
        }
        ssl.ERR_clear_error()  // The end of the text reads as an error.
        guard !certificates.isEmpty else {
            throw MultiSocketError(.badAddress, "TLS: the \(what) text holds no PEM certificate")
        }
        return certificates
    }

    /// A stream over the connected socket `descriptor` (which it now owns), verifying the server as
    /// `host` (the dialed address's host; ``TLSConfiguration/serverName`` wins) when this is a client
    /// context. Any thread.
    ///
    /// - Throws: ``MultiSocketError`` `systemError` when OpenSSL cannot make the session; `badAddress`
    ///   when the name to verify cannot be set. The descriptor is then still the caller's.
    func makeStream(descriptor: Int32, host: String?) throws(MultiSocketError) -> TLSStream {
        let name = configuration.serverName ?? host.flatMap { $0 == "*" ? nil : $0 }
        return try TLSStream(descriptor: descriptor, library: library, context: context, side: side,
                             serverName: name, verify: side == .client && configuration.verifyPeer)
    }
}

/// ALPN on a listener: the first of its protocols (in its order) that the client offers, or a fatal
/// alert when there is none. Runs on the thread running the handshake; `argument` is the context's list.
private func selectProtocol(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32, _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let argument, let offered, let out, let outLength else { return OpenSSL.extensionAlertFatal }
    let count = Int(argument.load(as: UInt32.self))
    let ours = UnsafeRawBufferPointer(start: argument + 4, count: count)
    let theirs = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    var position = 0
    while position < ours.count {
        let length = Int(ours[position])
        let name = ours[(position + 1)..<min(position + 1 + length, ours.count)]
        var index = 0
        while index < theirs.count {
            let theirLength = Int(theirs[index])
            let end = index + 1 + theirLength
            if end <= theirs.count, theirLength == length, theirs[(index + 1)..<end].elementsEqual(name) {
                out.pointee = offered + index + 1
                outLength.pointee = UInt8(theirLength)
                return OpenSSL.extensionOK
            }
            index = end
        }
        position += 1 + length
    }
    return OpenSSL.extensionAlertFatal
}
