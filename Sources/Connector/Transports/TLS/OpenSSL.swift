import Glibc

/// The part of OpenSSL 3 (`libssl.so.3`, `libcrypto.so.3`) the TLS transports use, loaded with `dlopen` at
/// first use: the package needs no OpenSSL headers to build and no OpenSSL to run its other transports.
///
/// Each member is a C function pointer found with `dlsym`; the constants are OpenSSL 3's ABI values (the
/// header macros they stand for are named beside them). ``shared`` loads the library once per process; a
/// missing library or symbol is a ``MultiSocketError`` with code `notSupported` naming what to install, which
/// a TLS dial completes with and a TLS listen throws. The table is immutable and its functions may be called
/// from any thread (OpenSSL 3 initialises itself thread-safely); an `SSL` object is not thread-safe, so
/// ``TLSStream`` guards its own.
package final class OpenSSL: @unchecked Sendable {
    typealias Pointer = OpaquePointer
    typealias VerifyCallback = @convention(c) (Int32, Pointer?) -> Int32
    typealias ALPNSelect = @convention(c) (
        Pointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32

    // MARK: Constants (OpenSSL 3's ABI)

    /// `SSL_ERROR_WANT_READ` and `SSL_ERROR_ZERO_RETURN` from `SSL_get_error` (the others are failures).
    static let errorWantRead: Int32 = 2, errorZeroReturn: Int32 = 6
    /// `SSL_CTRL_SET_MIN_PROTO_VERSION`, `SSL_CTRL_SET_TLSEXT_HOSTNAME`, `SSL_CTRL_EXTRA_CHAIN_CERT`.
    static let controlMinProtocol: Int32 = 123, controlHostName: Int32 = 55, controlExtraChainCertificate: Int32 = 14
    /// `TLS1_2_VERSION`.
    static let tls12: Int = 0x0303
    /// `SSL_OP_NO_RENEGOTIATION`, `SSL_OP_NO_COMPRESSION`, `SSL_OP_CIPHER_SERVER_PREFERENCE`.
    static let optionNoRenegotiation: UInt64 = 1 << 30, optionNoCompression: UInt64 = 1 << 17
    static let optionServerPreference: UInt64 = 1 << 22
    /// `SSL_VERIFY_NONE`, `SSL_VERIFY_PEER`, `SSL_VERIFY_FAIL_IF_NO_PEER_CERT`.
    static let verifyNone: Int32 = 0, verifyPeer: Int32 = 1, verifyFailIfNoPeerCertificate: Int32 = 2
    /// `SSL_FILETYPE_PEM`.
    static let fileTypePEM: Int32 = 1
    /// `X509_V_OK`.
    static let verifyOK = 0
    /// `NID_subject_alt_name`; `GEN_EMAIL`, `GEN_DNS`, `GEN_URI`, `GEN_IPADD`.
    static let nidSubjectAltName: Int32 = 85
    static let generalEmail: Int32 = 1, generalDNS: Int32 = 2, generalURI: Int32 = 6, generalIP: Int32 = 7
    /// `XN_FLAG_RFC2253` (`ASN1_STRFLGS_RFC2253 | XN_FLAG_SEP_COMMA_PLUS | XN_FLAG_DN_REV |
    /// XN_FLAG_DUMP_UNKNOWN_FIELDS`) without `ASN1_STRFLGS_ESC_MSB`, so UTF-8 names stay readable.
    static let nameRFC2253: UInt = 0x1110313
    /// `SSL_ERROR_WANT_WRITE`.
    static let errorWantWrite: Int32 = 3
    /// `SSL_CTRL_MODE`; `SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER`.
    static let controlMode: Int32 = 33, modePartialMovingWrite: Int = 1 | 2
    /// The TLS 1.3 suites, fastest first where AES instructions exist (AES-128-GCM before AES-256-GCM).
    static let cipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    /// `SSL_TLSEXT_ERR_OK`, `SSL_TLSEXT_ERR_ALERT_FATAL`.
    static let extensionOK: Int32 = 0, extensionAlertFatal: Int32 = 2

    // MARK: libssl

    let TLS_method: @convention(c) () -> Pointer?
    let SSL_CTX_new: @convention(c) (Pointer?) -> Pointer?
    let SSL_CTX_free: @convention(c) (Pointer?) -> Void
    let SSL_CTX_ctrl: @convention(c) (Pointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_options: @convention(c) (Pointer?, UInt64) -> UInt64
    let SSL_CTX_set_verify: @convention(c) (Pointer?, Int32, VerifyCallback?) -> Void
    let SSL_CTX_set_default_verify_paths: @convention(c) (Pointer?) -> Int32
    let SSL_CTX_load_verify_locations: @convention(c) (Pointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_certificate_chain_file: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_PrivateKey_file: @convention(c) (Pointer?, UnsafePointer<CChar>?, Int32) -> Int32
    let SSL_CTX_use_certificate: @convention(c) (Pointer?, Pointer?) -> Int32
    let SSL_CTX_use_PrivateKey: @convention(c) (Pointer?, Pointer?) -> Int32
    let SSL_CTX_check_private_key: @convention(c) (Pointer?) -> Int32
    let SSL_CTX_get_cert_store: @convention(c) (Pointer?) -> Pointer?
    let SSL_CTX_set_num_tickets: @convention(c) (Pointer?, Int) -> Int32
    let SSL_CTX_set_ciphersuites: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_set_alpn_protos: @convention(c) (Pointer?, UnsafePointer<UInt8>?, UInt32) -> Int32
    let SSL_CTX_set_alpn_select_cb: @convention(c) (Pointer?, ALPNSelect?, UnsafeMutableRawPointer?) -> Void
    let SSL_new: @convention(c) (Pointer?) -> Pointer?
    let SSL_free: @convention(c) (Pointer?) -> Void
    let SSL_set_bio: @convention(c) (Pointer?, Pointer?, Pointer?) -> Void
    let SSL_set_connect_state: @convention(c) (Pointer?) -> Void
    let SSL_set_accept_state: @convention(c) (Pointer?) -> Void
    let SSL_do_handshake: @convention(c) (Pointer?) -> Int32
    let SSL_read: @convention(c) (Pointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (Pointer?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_shutdown: @convention(c) (Pointer?) -> Int32
    let SSL_get_error: @convention(c) (Pointer?, Int32) -> Int32
    let SSL_pending: @convention(c) (Pointer?) -> Int32
    let SSL_ctrl: @convention(c) (Pointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_set1_host: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_get0_param: @convention(c) (Pointer?) -> Pointer?
    let SSL_get_verify_result: @convention(c) (Pointer?) -> Int
    let SSL_get1_peer_certificate: @convention(c) (Pointer?) -> Pointer?
    let SSL_get_version: @convention(c) (Pointer?) -> UnsafePointer<CChar>?
    let SSL_get0_alpn_selected: @convention(c) (
        Pointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt32>?
    ) -> Void

    // MARK: libcrypto

    let BIO_s_mem: @convention(c) () -> Pointer?
    let BIO_new: @convention(c) (Pointer?) -> Pointer?
    let BIO_new_mem_buf: @convention(c) (UnsafeRawPointer?, Int32) -> Pointer?
    let BIO_read: @convention(c) (Pointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    let BIO_ctrl_pending: @convention(c) (Pointer?) -> Int
    let BIO_ctrl_wpending: @convention(c) (Pointer?) -> Int
    let BIO_free: @convention(c) (Pointer?) -> Int32
    let BIO_new_bio_pair: @convention(c) (UnsafeMutablePointer<Pointer?>?, Int, UnsafeMutablePointer<Pointer?>?,
                                          Int) -> Int32
    let BIO_nread0: @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
    let BIO_nread: @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32
    let BIO_nwrite0: @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
    let BIO_nwrite: @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32
    let PEM_read_bio_X509: @convention(c) (Pointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                            UnsafeMutableRawPointer?) -> Pointer?
    let PEM_read_bio_PrivateKey: @convention(c) (Pointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                                  UnsafeMutableRawPointer?) -> Pointer?
    let EVP_PKEY_free: @convention(c) (Pointer?) -> Void
    let X509_free: @convention(c) (Pointer?) -> Void
    let X509_STORE_add_cert: @convention(c) (Pointer?, Pointer?) -> Int32
    let X509_get_subject_name: @convention(c) (Pointer?) -> Pointer?
    let X509_NAME_print_ex: @convention(c) (Pointer?, Pointer?, Int32, UInt) -> Int32
    let X509_get_ext_d2i: @convention(c) (Pointer?, Int32, UnsafeMutablePointer<Int32>?,
                                          UnsafeMutablePointer<Int32>?) -> UnsafeMutableRawPointer?
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Int32
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?
    let GENERAL_NAMES_free: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let OPENSSL_sk_num: @convention(c) (UnsafeMutableRawPointer?) -> Int32
    let OPENSSL_sk_value: @convention(c) (UnsafeMutableRawPointer?, Int32) -> UnsafeMutableRawPointer?
    let ASN1_STRING_get0_data: @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<UInt8>?
    let ASN1_STRING_length: @convention(c) (UnsafeMutableRawPointer?) -> Int32
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_reason_error_string: @convention(c) (UInt) -> UnsafePointer<CChar>?
    let ERR_clear_error: @convention(c) () -> Void

    /// The default library names.
    package static let defaultLibraries = (ssl: "libssl.so.3", crypto: "libcrypto.so.3")

    /// The process's OpenSSL, loaded on first use from ``defaultLibraries`` (then kept for the process's
    /// life), or why it could not be. Any thread.
    package static let shared: Result<OpenSSL, MultiSocketError> = load()

    /// Loads OpenSSL from the given library names (a test names one that does not exist). Any thread; the
    /// libraries stay loaded.
    ///
    /// - Returns: the table, or a ``MultiSocketError`` with code `notSupported` saying what to install.
    package static func load(
        ssl sslName: String = defaultLibraries.ssl, crypto cryptoName: String = defaultLibraries.crypto
    ) -> Result<OpenSSL, MultiSocketError> {
        guard let crypto = dlopen(cryptoName, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(missing(cryptoName))
        }
        guard let ssl = dlopen(sslName, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(missing(sslName))
        }
        do {
            return .success(try OpenSSL(ssl: ssl, crypto: crypto, sslName: sslName, cryptoName: cryptoName))
        } catch {
            return .failure(error)
        }
    }

    private static func missing(_ library: String) -> MultiSocketError {
        let reason = dlerror().map { String(cString: $0) } ?? "not found"
        return MultiSocketError(
            .notSupported,
            "TLS needs OpenSSL 3 (\(library)): apt-get install libssl3 (or your system's OpenSSL 3 package); \(reason)"
        )
    }

    private init(ssl: UnsafeMutableRawPointer, crypto: UnsafeMutableRawPointer, sslName: String,
                 cryptoName: String) throws(MultiSocketError) {
        func find<F>(
            _ handle: UnsafeMutableRawPointer, _ library: String, _ name: String
        ) throws(MultiSocketError) -> F {
            guard let symbol = dlsym(handle, name) else {
                throw MultiSocketError(.notSupported,
                                       "TLS needs OpenSSL 3: \(library) has no \(name); apt-get install libssl3")
            }
            return unsafeBitCast(symbol, to: F.self)
        }
        func s<F>(_ name: String) throws(MultiSocketError) -> F { try find(ssl, sslName, name) }
        func c<F>(_ name: String) throws(MultiSocketError) -> F { try find(crypto, cryptoName, name) }
        TLS_method = try s("TLS_method")
        SSL_CTX_new = try s("SSL_CTX_new")
        SSL_CTX_free = try s("SSL_CTX_free")
        SSL_CTX_ctrl = try s("SSL_CTX_ctrl")
        SSL_CTX_set_options = try s("SSL_CTX_set_options")
        SSL_CTX_set_verify = try s("SSL_CTX_set_verify")
        SSL_CTX_set_default_verify_paths = try s("SSL_CTX_set_default_verify_paths")
        SSL_CTX_load_verify_locations = try s("SSL_CTX_load_verify_locations")
        SSL_CTX_use_certificate_chain_file = try s("SSL_CTX_use_certificate_chain_file")
        SSL_CTX_use_PrivateKey_file = try s("SSL_CTX_use_PrivateKey_file")
        SSL_CTX_use_certificate = try s("SSL_CTX_use_certificate")
        SSL_CTX_use_PrivateKey = try s("SSL_CTX_use_PrivateKey")
        SSL_CTX_check_private_key = try s("SSL_CTX_check_private_key")
        SSL_CTX_get_cert_store = try s("SSL_CTX_get_cert_store")
        SSL_CTX_set_num_tickets = try s("SSL_CTX_set_num_tickets")
        SSL_CTX_set_ciphersuites = try s("SSL_CTX_set_ciphersuites")
        SSL_CTX_set_alpn_protos = try s("SSL_CTX_set_alpn_protos")
        SSL_CTX_set_alpn_select_cb = try s("SSL_CTX_set_alpn_select_cb")
        SSL_new = try s("SSL_new")
        SSL_free = try s("SSL_free")
        SSL_set_bio = try s("SSL_set_bio")
        SSL_set_connect_state = try s("SSL_set_connect_state")
        SSL_set_accept_state = try s("SSL_set_accept_state")
        SSL_do_handshake = try s("SSL_do_handshake")
        SSL_read = try s("SSL_read")
        SSL_write = try s("SSL_write")
        SSL_shutdown = try s("SSL_shutdown")
        SSL_get_error = try s("SSL_get_error")
        SSL_pending = try s("SSL_pending")
        SSL_ctrl = try s("SSL_ctrl")
        SSL_set1_host = try s("SSL_set1_host")
        SSL_get0_param = try s("SSL_get0_param")
        SSL_get_verify_result = try s("SSL_get_verify_result")
        SSL_get1_peer_certificate = try s("SSL_get1_peer_certificate")
        SSL_get_version = try s("SSL_get_version")
        SSL_get0_alpn_selected = try s("SSL_get0_alpn_selected")
        BIO_s_mem = try c("BIO_s_mem")
        BIO_new = try c("BIO_new")
        BIO_new_mem_buf = try c("BIO_new_mem_buf")
        BIO_read = try c("BIO_read")
        BIO_ctrl_pending = try c("BIO_ctrl_pending")
        BIO_ctrl_wpending = try c("BIO_ctrl_wpending")
        BIO_free = try c("BIO_free")
        BIO_new_bio_pair = try c("BIO_new_bio_pair")
        BIO_nread0 = try c("BIO_nread0")
        BIO_nread = try c("BIO_nread")
        BIO_nwrite0 = try c("BIO_nwrite0")
        BIO_nwrite = try c("BIO_nwrite")
        PEM_read_bio_X509 = try c("PEM_read_bio_X509")
        PEM_read_bio_PrivateKey = try c("PEM_read_bio_PrivateKey")
        EVP_PKEY_free = try c("EVP_PKEY_free")
        X509_free = try c("X509_free")
        X509_STORE_add_cert = try c("X509_STORE_add_cert")
        X509_get_subject_name = try c("X509_get_subject_name")
        X509_NAME_print_ex = try c("X509_NAME_print_ex")
        X509_get_ext_d2i = try c("X509_get_ext_d2i")
        X509_VERIFY_PARAM_set1_ip_asc = try c("X509_VERIFY_PARAM_set1_ip_asc")
        X509_verify_cert_error_string = try c("X509_verify_cert_error_string")
        GENERAL_NAMES_free = try c("GENERAL_NAMES_free")
        OPENSSL_sk_num = try c("OPENSSL_sk_num")
        OPENSSL_sk_value = try c("OPENSSL_sk_value")
        ASN1_STRING_get0_data = try c("ASN1_STRING_get0_data")
        ASN1_STRING_length = try c("ASN1_STRING_length")
        ERR_get_error = try c("ERR_get_error")
        ERR_reason_error_string = try c("ERR_reason_error_string")
        ERR_clear_error = try c("ERR_clear_error")
    }

    /// The reasons on this thread's OpenSSL error queue, oldest first, joined (the queue is emptied), or
    /// `fallback` when it is empty.
    func drainErrors(_ fallback: String) -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)")
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
