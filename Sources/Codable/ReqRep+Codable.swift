/// Codable values on request/reply, both ways.
///
/// `request(_:as:)` sends a `String` as its UTF-8 and `[UInt8]` as they are (never JSON: the same bytes as
/// ``/MultiSocketProtocols/Req/request(_:timeout:resendInterval:)``), and any other `Encodable` encoded by the
/// coder; the reply is always decoded by the coder as the type named by `as:`.
extension Req {
    /// Encodes `body` with `coder` (JSON by default), sends it as a request, and decodes the reply as a
    /// `type`. Timeout, resending and cancellation as ``/MultiSocketProtocols/Req/request(_:timeout:resendInterval:)``.
    /// - Throws: ``ContentCodingError`` (`encoding`: nothing sent; `decoding`: the reply, kept in
    ///   ``ContentCodingError/content``); as `request(_:timeout:resendInterval:)` (`timedOut`, `noPeer`,
    ///   `handlerFailed`, …).
    public func request<Body: Encodable, Reply: Decodable>(
        _ body: Body, as type: Reply.Type, coder: some MessageCoder = JSONMessageCoder(),
        timeout: Duration? = .seconds(16), resendInterval: Duration? = nil
    ) async throws -> Reply {
        let reply = try await request(coder.content(of: body), timeout: timeout, resendInterval: resendInterval)
        return try coder.value(type, from: reply)
    }

    /// Sends `text` as its UTF-8 (not JSON) and decodes the reply as a `type` with `coder`.
    /// - Throws: as the generic `request(_:as:coder:timeout:resendInterval:)`: ``ContentCodingError`` (`decoding`);
    ///   as `request(_:timeout:resendInterval:)`.
    public func request<Reply: Decodable>(
        _ text: String, as type: Reply.Type, coder: some MessageCoder = JSONMessageCoder(),
        timeout: Duration? = .seconds(16), resendInterval: Duration? = nil
    ) async throws -> Reply {
        let reply = try await request(Array(text.utf8), timeout: timeout, resendInterval: resendInterval)
        return try coder.value(type, from: reply)
    }

    /// Sends `bytes` as they are (not JSON) and decodes the reply as a `type` with `coder`.
    /// - Throws: as the generic `request(_:as:coder:timeout:resendInterval:)`: ``ContentCodingError`` (`decoding`);
    ///   as `request(_:timeout:resendInterval:)`.
    public func request<Reply: Decodable>(
        _ bytes: [UInt8], as type: Reply.Type, coder: some MessageCoder = JSONMessageCoder(),
        timeout: Duration? = .seconds(16), resendInterval: Duration? = nil
    ) async throws -> Reply {
        let reply = try await request(bytes, timeout: timeout, resendInterval: resendInterval)
        return try coder.value(type, from: reply)
    }
}

extension Rep {
    /// Encodes `value` with `coder` (JSON by default) and sends it as the reply to `request`, as
    /// ``/MultiSocketProtocols/Rep/reply(to:_:)`` (best effort, never suspends).
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing sent); as `reply(to:_:)`.
    public func reply<Value: Encodable>(to request: Request, encoding value: Value,
                                        coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await reply(to: request, coder.content(of: value))
    }

    /// Serves requests decoded as `Input`, answering each with the `Output` the handler returns, encoded with
    /// `coder` (JSON by default): ``/MultiSocketProtocols/Rep/serve(workers:_:)`` with the coding done for you.
    ///
    /// A request that does not decode, and a handler that throws, are handler failures: counted, reported as
    /// an event and answered so that the requester's `request` throws `handlerFailed` naming the error
    /// (over `sp+` addresses the request stays unanswered). The handler also gets the ``Rep/Request`` (its
    /// path and id). Runs, returns and is cancelled as `serve(workers:_:)`.
    /// - Throws: as `serve(workers:_:)`.
    public func serve<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        workers: Int = 1, decoding type: Input.Type, coder: some MessageCoder = JSONMessageCoder(),
        _ handler: @escaping @Sendable (Input, Request) async throws -> Output
    ) async throws {
        try await serve(workers: workers) { request in
            let input = try coder.value(Input.self, from: request.body)
            return try coder.content(of: try await handler(input, request))
        }
    }
}

extension Rep.Request {
    /// The request's body decoded as a `type` with `coder` (JSON by default).
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the body).
    public func decode<Value: Decodable>(_ type: Value.Type,
                                         coder: some MessageCoder = JSONMessageCoder()) throws -> Value {
        try coder.value(type, from: body)
    }
}
