import CMultiSocketShims
import Glibc

/// A ``ByteStream`` that carries TLS over a connected, non-blocking TCP socket: OpenSSL over a BIO pair (two
/// fixed rings, one each way), with every socket call made here (non-blocking, `MSG_NOSIGNAL`), so OpenSSL
/// never touches the descriptor. The socket reads straight into the incoming ring and writes straight from
/// the outgoing one (`BIO_nwrite0`/`BIO_nread0`): ciphertext is never copied between buffers of ours.
///
/// Threads: the handshake (``advanceHandshake()``) and the read side run on the reactor thread that has the
/// descriptor registered; ``write(_:)`` runs on the link's writer-role thread, possibly during a read. The
/// `SSL` object is not thread-safe, so all of it sits behind one unranked (leaf) lock, held only for OpenSSL
/// calls and non-blocking socket calls.
///
/// Reads: `wouldBlock` only after the socket said `EAGAIN` (so an edge comes for more); decrypted bytes the
/// caller's buffer had no room for stay in OpenSSL (``holdsReadBytes``). The peer's close_notify is
/// ``ByteStreamRead/end``; the socket ending without it is ``ByteStreamError/truncated``; an alert or a bad
/// record is ``ByteStreamError/security(_:)``.
///
/// Writes: the plaintext is encrypted straight from the caller's segments into the outgoing ring (no copy
/// of a whole message) and the records written to the socket as far as it takes them. Records not yet on
/// the socket stay in the ring, and the write then claims one byte fewer than it encrypted: the link offers
/// that byte again, and the stream counts it written once the records before it have left — so a link with
/// nothing else to send still retries until the socket has everything.
package final class TLSStream: ByteStream, @unchecked Sendable {
    /// How the handshake stands after ``advanceHandshake()``.
    enum HandshakeProgress: Equatable {
        /// Finished: the stream is ready for the framing.
        case done
        /// Waiting for the socket to become readable, or writable as well when `writing` (it refused records
        /// the handshake must send: the caller asks the reactor for writability, ``Reactor/awaitWritable(_:)``).
        case wouldBlock(writing: Bool)
        /// Failed, with the reason (the alert, or why the certificate was not verified).
        case failed(String)
    }

    private struct State {
        let ssl: OpaquePointer
        /// Our end of the BIO pair: ciphertext for the socket is read from it, ciphertext from the socket
        /// written to it (OpenSSL holds the other end).
        let network: OpaquePointer
        /// Plaintext bytes at the front of the caller's next segments that are already encrypted.
        var encryptedAhead = 0
        /// The socket reached its end of file.
        var socketEnded = false
        /// The socket failed after a read had decrypted bytes: that read returned them, the next fails.
        var readFailure: ByteStreamError?
        var shutdownSent = false
        /// The write side is to be shut once the records before it (close_notify last) have left: a
        /// ``shutdownWrite()`` found the socket full, and the next flush that empties the ring shuts it.
        var shutdownPending = false
        var closed = false
        var peerCertificate: PeerCertificate?
    }

    /// The TCP socket; the reactor reports its readiness.
    package let descriptor: Int32
    private let library: OpenSSL
    private let state: Locked<State>
    /// The most plaintext one ``write(_:)`` encrypts (bounds the records held when the socket is slow).
    private static var writeLimit: Int { 256 * 1024 }
    /// The outgoing ring: the records of ``writeLimit`` bytes (at most 29 bytes of framing per 16 KiB
    /// record) and what the handshake or a close adds, so encrypting after a complete flush never runs out
    /// of room.
    private static var outgoingRing: Int { writeLimit + 32 * 1024 }
    /// The ciphertext ``write(_:)`` lets gather before it gives the socket what it has.
    private static var flushBatch: Int { 64 * 1024 }
    /// The incoming ring: several records per `read(2)`.
    private static var incomingRing: Int { 256 * 1024 }

    /// A stream over `descriptor` for `side`; a client sends `serverName` in SNI (a DNS name) and, when
    /// `verify`, checks the server's certificate against it (a name or an IP address). Any thread.
    ///
    /// - Throws: ``MultiSocketError`` `systemError` when OpenSSL cannot make the session, `badAddress` when
    ///   it cannot take the name to verify; the descriptor then stays the caller's, else the stream owns it.
    init(descriptor: Int32, library: OpenSSL, context: OpaquePointer, side: TLSContext.Side, serverName: String?,
         verify: Bool) throws(MultiSocketError) {
        guard let ssl = library.SSL_new(context) else {
            throw MultiSocketError(.systemError, "SSL_new: \(library.drainErrors("out of memory"))")
        }
        var inner: OpaquePointer?
        var network: OpaquePointer?
        guard library.BIO_new_bio_pair(&inner, Self.outgoingRing, &network, Self.incomingRing) == 1,
              let inner, let network
        else {
            library.SSL_free(ssl)
            throw MultiSocketError(.systemError, "BIO_new_bio_pair: \(library.drainErrors("out of memory"))")
        }
        // One BIO for both directions: SSL_set_bio takes the one reference the pair gave us.
        library.SSL_set_bio(ssl, inner, inner)
        if side == .client {
            library.SSL_set_connect_state(ssl)
            if let serverName {
                let isAddress = Self.isIPAddress(serverName)
                if !isAddress {
                    _ = serverName.withCString {
                        library.SSL_ctrl(ssl, OpenSSL.controlHostName, 0, UnsafeMutableRawPointer(mutating: $0))
                    }
                }
                if verify {
                    let set = isAddress ? library.X509_VERIFY_PARAM_set1_ip_asc(library.SSL_get0_param(ssl), serverName)
                        : library.SSL_set1_host(ssl, serverName)
                    if set != 1 {
                        library.SSL_free(ssl)
                        _ = library.BIO_free(network)
                        throw MultiSocketError(.badAddress, "TLS: cannot verify the server as '\(serverName)'")
                    }
                }
            }
        } else {
            library.SSL_set_accept_state(ssl)
        }
        self.descriptor = descriptor
        self.library = library
        state = Locked(State(ssl: ssl, network: network))
    }

    deinit {
        state.withLock { state in
            library.SSL_free(state.ssl)
            _ = library.BIO_free(state.network)
        }
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    static func isIPAddress(_ text: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// `true`: decrypted bytes can wait in OpenSSL.
    package var holdsReadBytes: Bool { true }

    /// The verified peer certificate, once the handshake is done (`nil` when the peer was not verified).
    package var peerCertificate: PeerCertificate? {
        state.withLock { $0.peerCertificate }
    }

    /// The negotiated protocol version (`TLSv1.3`), for diagnostics and tests. Any thread.
    package var protocolVersion: String {
        state.withLock { state in library.SSL_get_version(state.ssl).map { String(cString: $0) } ?? "" }
    }

    /// The application protocol ALPN chose, if any. Any thread.
    package var applicationProtocol: String? {
        state.withLock { state -> String? in
            var data: UnsafePointer<UInt8>?
            var length: UInt32 = 0
            library.SSL_get0_alpn_selected(state.ssl, &data, &length)
            guard let data, length > 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
        }
    }

    // MARK: Handshake

    /// Runs the handshake as far as the socket allows: writes what OpenSSL produced, reads what arrived.
    /// Reactor thread. A failure leaves the alert written (best effort) for the peer to read.
    func advanceHandshake() -> HandshakeProgress {
        state.withLock { state -> HandshakeProgress in
            while true {
                library.ERR_clear_error()
                let status = library.SSL_do_handshake(state.ssl)
                let flushed = flush(&state)
                if status == 1 {
                    state.peerCertificate = readPeerCertificate(state.ssl)
                    switch flushed {
                    case .done: return .done
                    case .blocked: return .wouldBlock(writing: true)
                    case .failed(let error): return .failed("\(error)")
                    }
                }
                let error = library.SSL_get_error(state.ssl, status)
                guard error == OpenSSL.errorWantRead else { return .failed(handshakeReason(state.ssl)) }
                if case .failed(let error) = flushed { return .failed("\(error)") }
                switch fill(&state) {
                case .filled: continue
                case .blocked:
                    if case .blocked = flushed { return .wouldBlock(writing: true) }
                    return .wouldBlock(writing: false)
                case .ended: return .failed("the peer closed the connection during the TLS handshake")
                case .failed(let error): return .failed("\(error)")
                }
            }
        }
    }

    /// Why the handshake failed: the certificate check's verdict if it failed, else OpenSSL's reasons.
    private func handshakeReason(_ ssl: OpaquePointer) -> String {
        let verdict = library.SSL_get_verify_result(ssl)
        let reasons = library.drainErrors("the peer broke the TLS handshake")
        guard verdict != OpenSSL.verifyOK else { return reasons }
        let why = library.X509_verify_cert_error_string(verdict).map { String(cString: $0) } ?? "error \(verdict)"
        return "certificate verify failed: \(why)"
    }

    /// The subject and alternative names of the peer's certificate, if it sent one that was verified.
    private func readPeerCertificate(_ ssl: OpaquePointer) -> PeerCertificate? {
        guard library.SSL_get_verify_result(ssl) == OpenSSL.verifyOK,
              let certificate = library.SSL_get1_peer_certificate(ssl) else { return nil }
        defer { library.X509_free(certificate) }
        var subject = ""
        if let bio = library.BIO_new(library.BIO_s_mem()) {
            defer { _ = library.BIO_free(bio) }
            _ = library.X509_NAME_print_ex(bio, library.X509_get_subject_name(certificate), 0, OpenSSL.nameRFC2253)
            let count = library.BIO_ctrl_pending(bio)
            var bytes = [UInt8](repeating: 0, count: count)
            let read = bytes.withUnsafeMutableBytes { library.BIO_read(bio, $0.baseAddress, Int32(count)) }
            subject = String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
        }
        var names: [String] = []
        if let list = library.X509_get_ext_d2i(certificate, OpenSSL.nidSubjectAltName, nil, nil) {
            defer { library.GENERAL_NAMES_free(list) }
            for index in 0..<library.OPENSSL_sk_num(list) {
                guard let entry = library.OPENSSL_sk_value(list, index) else { continue }
                // GENERAL_NAME: { int type; union { ASN1_STRING *…; } d; }
                let kind = entry.load(as: Int32.self)
                let value = entry.load(fromByteOffset: MemoryLayout<UnsafeRawPointer>.stride,
                                       as: UnsafeMutableRawPointer?.self)
                guard let value, let data = library.ASN1_STRING_get0_data(value) else { continue }
                let bytes = UnsafeBufferPointer(start: data, count: Int(library.ASN1_STRING_length(value)))
                switch kind {
                case OpenSSL.generalDNS: names.append("DNS:" + String(decoding: bytes, as: UTF8.self))
                case OpenSSL.generalEmail: names.append("email:" + String(decoding: bytes, as: UTF8.self))
                case OpenSSL.generalURI: names.append("URI:" + String(decoding: bytes, as: UTF8.self))
                case OpenSSL.generalIP: names.append("IP:" + Self.describeAddress(bytes))
                default: continue
                }
            }
        }
        return PeerCertificate(subject: subject, subjectAlternativeNames: names)
    }

    private static func describeAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count == 4 || bytes.count == 16 else { return bytes.map { String($0) }.joined(separator: ".") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, bytes.baseAddress, &text, socklen_t(text.count))
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: Reading

    /// Decrypts into `buffer` as many records as it has room for, reading the socket when OpenSSL needs more.
    /// Reactor thread. `end` after the peer's close_notify, `truncated` when the socket ended without it,
    /// `security` for an alert or a bad record, `wouldBlock` once the socket said `EAGAIN` with nothing
    /// decrypted.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> ByteStreamRead {
        state.withLock { state -> ByteStreamRead in
            if state.closed { return .failed(.system(EBADF)) }
            if let failure = state.readFailure { return .failed(failure) }
            var total = 0
            // Once for the whole loop: only a failure queues errors, and a failure ends the loop.
            library.ERR_clear_error()
            while total < buffer.count {
                let room = Int32(clamping: buffer.count - total)
                let count = library.SSL_read(state.ssl, buffer.baseAddress! + total, room)
                if count > 0 {
                    total += Int(count)
                    continue
                }
                switch library.SSL_get_error(state.ssl, count) {
                case OpenSSL.errorZeroReturn:
                    return total > 0 ? .bytes(total) : .end
                case OpenSSL.errorWantRead:
                    if case .failed(let error) = flush(&state) { return .failed(error) }
                    if state.socketEnded { return total > 0 ? .bytes(total) : .failed(.truncated) }
                    switch fill(&state) {
                    case .filled: continue
                    case .blocked: return total > 0 ? .bytes(total) : .wouldBlock
                    case .ended: state.socketEnded = true
                    case .failed(let error):
                        guard total > 0 else { return .failed(error) }
                        state.readFailure = error
                        return .bytes(total)
                    }
                default:
                    let error = ByteStreamError.security(library.drainErrors("bad TLS record"))
                    guard total > 0 else { return .failed(error) }
                    state.readFailure = error
                    return .bytes(total)
                }
            }
            _ = flush(&state)  // A reply OpenSSL owes the peer (a key update), best effort.
            return .bytes(total)
        }
    }

    private enum Fill { case filled, blocked, ended, failed(ByteStreamError) }

    /// One `read(2)` from the socket straight into the incoming ring, as much as its free stretch takes.
    private func fill(_ state: inout State) -> Fill {
        var space: UnsafeMutablePointer<CChar>?
        let room = library.BIO_nwrite0(state.network, &space)
        // OpenSSL asks for more only with less than a record in the ring, which is far larger than one.
        guard room > 0, let start = space else { return .failed(.security("TLS: the incoming ring is full")) }
        while true {
            let count = Glibc.read(descriptor, start, Int(room))
            if count > 0 {
                _ = library.BIO_nwrite(state.network, &space, Int32(count))
                return .filled
            }
            if count == 0 { return .ended }
            let error = cms_errno()
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return .blocked }
            return .failed(ByteStreamError(errno: error))
        }
    }

    // MARK: Writing

    /// Writes held records first (`wouldBlock` while the socket takes none of them), then encrypts up to
    /// 256 KiB of the segments in place and writes the records as far as the socket takes them. The thread
    /// holding the link's writer role. `failed` when the socket broke or OpenSSL refused to encrypt.
    package func write(_ segments: UnsafeBufferPointer<iovec>) -> ByteStreamWrite {
        state.withLock { state -> ByteStreamWrite in
            if state.closed { return .failed(.system(EBADF)) }
            switch flush(&state) {
            case .failed(let error): return .failed(error)
            case .blocked: return .wouldBlock
            case .done: break
            }
            // The records of the bytes claimed ahead have left: they count now.
            var taken = state.encryptedAhead
            state.encryptedAhead = 0
            var skip = taken
            // OpenSSL refused a record for want of room in the ring (not expected after a complete flush):
            // it keeps that record and expects the same bytes again, which the link offers from `taken` on.
            var refused = false
            var blocked = false
            library.ERR_clear_error()
            for segment in segments where taken < Self.writeLimit && !refused {
                guard skip < segment.iov_len else {
                    skip -= segment.iov_len
                    continue
                }
                var base = UnsafeRawPointer(segment.iov_base!) + skip
                var count = min(segment.iov_len - skip, Self.writeLimit - taken)
                skip = 0
                // Partial writes: SSL_write returns after each record.
                while count > 0 {
                    let written = Int(library.SSL_write(state.ssl, base, Int32(count)))
                    guard written > 0 else {
                        guard library.SSL_get_error(state.ssl, Int32(written)) == OpenSSL.errorWantWrite else {
                            return .failed(.security(library.drainErrors("cannot encrypt")))
                        }
                        refused = true
                        break
                    }
                    taken += written
                    base += written
                    count -= written
                    // Records go out as they are made, a few at a time: the peer decrypts the first while
                    // these are encrypted, and a socket that is full stops the encrypting.
                    if library.BIO_ctrl_pending(state.network) >= Self.flushBatch {
                        switch flush(&state) {
                        case .failed(let error): return .failed(error)
                        case .blocked: blocked = true
                        case .done: break
                        }
                        if blocked { break }
                    }
                }
                if blocked { break }
            }
            switch blocked ? .blocked : flush(&state) {
            case .failed(let error): return .failed(error)
            case .done: return taken > 0 ? .wrote(taken) : .wouldBlock
            case .blocked:
                // The link comes back for the refused bytes; else hold one byte back so that it comes back
                // to push the records out.
                if refused { return taken > 0 ? .wrote(taken) : .wouldBlock }
                state.encryptedAhead = 1
                return taken > 1 ? .wrote(taken - 1) : .wouldBlock
            }
        }
    }

    private enum Flush: Equatable { case done, blocked, failed(ByteStreamError) }

    /// Moves OpenSSL's output to the socket as far as it takes it, straight from the outgoing ring; what the
    /// socket refused stays there and goes first next time.
    private func flush(_ state: inout State) -> Flush {
        while true {
            var records: UnsafeMutablePointer<CChar>?
            let count = library.BIO_nread0(state.network, &records)
            guard count > 0, let start = records else {
                if state.shutdownPending {
                    state.shutdownPending = false
                    Glibc.shutdown(descriptor, Int32(SHUT_WR))
                }
                return .done
            }
            let result = send(start, count: Int(count))
            guard case .done(let sent) = result else { return result.flush }
            _ = library.BIO_nread(state.network, &records, Int32(sent))
        }
    }

    private enum Sent {
        case done(Int)
        case blocked
        case failed(ByteStreamError)

        /// What a flush that stopped here says (not for `done`).
        var flush: Flush {
            if case .failed(let error) = self { return .failed(error) }
            return .blocked
        }
    }

    /// One `send(2)` of up to `count` bytes (`EINTR` retried, `MSG_NOSIGNAL`).
    private func send(_ bytes: UnsafeRawPointer, count: Int) -> Sent {
        while true {
            let sent = Glibc.send(descriptor, bytes, count, Int32(MSG_NOSIGNAL))
            if sent > 0 { return .done(sent) }
            let error = sent == 0 ? EAGAIN : cms_errno()
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return .blocked }
            return .failed(ByteStreamError(errno: error))
        }
    }

    // MARK: Ending

    /// Sends close_notify and, once every record has left, shuts the socket's write side. Reactor thread.
    /// A socket too full to take them now gets them from the next flush that finds room (a read that
    /// needs more from the peer flushes; so does a later ``shutdownWrite()``).
    package func shutdownWrite() {
        state.withLock { state in
            guard !state.closed else { return }
            sendCloseNotify(&state)
            state.shutdownPending = true
            _ = flush(&state)
        }
    }

    private func sendCloseNotify(_ state: inout State) {
        guard !state.shutdownSent else { return }
        state.shutdownSent = true
        library.ERR_clear_error()
        _ = library.SSL_shutdown(state.ssl)
        library.ERR_clear_error()
    }

    /// The socket's unread bytes, plus the ciphertext and plaintext OpenSSL holds. Reactor thread.
    package func unreadByteCount() -> Int {
        let held = state.withLock { state in
            Int(library.SSL_pending(state.ssl)) + library.BIO_ctrl_wpending(state.network)
        }
        return held + Int(cms_unread_bytes(descriptor))
    }

    /// The socket's pending error (`SO_ERROR`), `nil` for none or `EPIPE`. Reactor thread.
    package func pendingFailure() -> ByteStreamError? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return nil }
        return error == 0 || error == EPIPE ? nil : ByteStreamError(errno: error)
    }

    /// Encrypts `goodbye`, sends close_notify, writes what the socket takes at once, and closes it.
    /// Reactor thread, once.
    package func close(sendingFirst goodbye: [UInt8]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            if !goodbye.isEmpty {
                library.ERR_clear_error()
                _ = goodbye.withUnsafeBytes { library.SSL_write(state.ssl, $0.baseAddress, Int32($0.count)) }
            }
            sendCloseNotify(&state)
            _ = flush(&state)
            Glibc.close(descriptor)
        }
    }
}
