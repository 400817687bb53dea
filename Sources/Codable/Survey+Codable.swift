/// Codable values on a survey: a question encoded, answers decoded one by one (an answer that does not decode
/// is not lost among the others).
extension Surveyor {
    /// Encodes `question` with `coder` (JSON by default) and runs ``Surveyor/survey(_:deadline:maxAnswers:)``.
    /// Decode each answer with ``Surveyor/Answer/decode(_:coder:)``. Cancellation: as `survey`.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `survey`.
    public func survey<Question: Encodable>(encoding question: Question, deadline: Duration = .seconds(1),
                                            maxAnswers: Int? = nil,
                                            coder: some MessageCoder = JSONMessageCoder()) async throws -> [Answer] {
        try await survey(coder.content(of: question), deadline: deadline, maxAnswers: maxAnswers)
    }
}

extension Surveyor.Answer {
    /// The answer's body decoded as a `type` with `coder` (JSON by default).
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the body).
    public func decode<Value: Decodable>(_ type: Value.Type,
                                         coder: some MessageCoder = JSONMessageCoder()) throws -> Value {
        try coder.value(type, from: body)
    }
}

extension Respondent {
    /// Encodes `value` with `coder` (JSON by default) and sends it as the answer to `survey`, as
    /// ``Respondent/respond(to:_:)``.
    /// - Throws: ``ContentCodingError`` (`encoding`; nothing was sent); as `respond(to:_:)`.
    public func respond<Value: Encodable>(to survey: Survey, encoding value: Value,
                                          coder: some MessageCoder = JSONMessageCoder()) async throws {
        try await respond(to: survey, coder.content(of: value))
    }
}

extension Respondent.Survey {
    /// The question's body decoded as a `type` with `coder` (JSON by default).
    /// - Throws: ``ContentCodingError`` (`decoding`, holding the body).
    public func decode<Value: Decodable>(_ type: Value.Type,
                                         coder: some MessageCoder = JSONMessageCoder()) throws -> Value {
        try coder.value(type, from: body)
    }
}
