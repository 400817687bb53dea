/// Text as content on every role: the same calls as with bytes, the `String` sent as its UTF-8 and read back
/// with invalid sequences replaced by U+FFFD (as ``/MultiSocketConnector/Message/text`` reads a message). Never
/// JSON: Codable values are `MultiSocketCodable`'s, under their own labels (`send(encoding:)`, …).
extension Req {
    /// Sends `text` as a request and returns the reply as text, as ``request(_:timeout:resendInterval:)-([UInt8],_,_)`` does
    /// with bytes (same timeout, resend and cancellation).
    /// - Throws: as ``request(_:timeout:resendInterval:)-([UInt8],_,_)``.
    public func request(_ text: String, timeout: Duration? = .seconds(16),
                        resendInterval: Duration? = nil) async throws -> String {
        let reply = try await request(Array(text.utf8), timeout: timeout, resendInterval: resendInterval)
        return String(decoding: reply, as: UTF8.self)
    }
}

extension Rep {
    /// Sends `text` as the reply to `request`, as ``reply(to:_:)-(_,[UInt8])`` sends bytes.
    /// - Throws: as ``reply(to:_:)-(_,[UInt8])``.
    public func reply(to request: Request, _ text: String) async throws {
        try await reply(to: request, Array(text.utf8))
    }
}

extension Rep.Request {
    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension Pub {
    /// Publishes `text`, as ``publish(_:)-([UInt8])`` publishes bytes.
    /// - Throws: as ``publish(_:)-([UInt8])``.
    public func publish(_ text: String) async throws {
        try await publish(Array(text.utf8))
    }
}

extension Push {
    /// Pushes `text`, as ``send(_:)-([UInt8])`` pushes bytes.
    /// - Throws: as ``send(_:)-([UInt8])``.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }
}

extension Pair {
    /// Sends `text` to the peer, as ``send(_:)-([UInt8])`` sends bytes.
    /// - Throws: as ``send(_:)-([UInt8])``.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }
}

extension Bus {
    /// Sends `text` to every peer, as ``send(_:)-([UInt8])`` sends bytes.
    /// - Throws: as ``send(_:)-([UInt8])``.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }
}

extension Surveyor {
    /// Sends `question` as text, as ``survey(_:deadline:maxAnswers:)-([UInt8],_,_)`` sends bytes.
    /// - Throws: as ``survey(_:deadline:maxAnswers:)-([UInt8],_,_)``.
    public func survey(_ question: String, deadline: Duration = .seconds(1),
                       maxAnswers: Int? = nil) async throws -> [Answer] {
        try await survey(Array(question.utf8), deadline: deadline, maxAnswers: maxAnswers)
    }
}

extension Surveyor.Answer {
    /// The answer's body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension Respondent {
    /// Sends `text` as the answer to `survey`, as ``respond(to:_:)-(_,[UInt8])`` sends bytes.
    /// - Throws: as ``respond(to:_:)-(_,[UInt8])``.
    public func respond(to survey: Survey, _ text: String) async throws {
        try await respond(to: survey, Array(text.utf8))
    }
}

extension Respondent.Survey {
    /// The question's body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}
