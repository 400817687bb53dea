import Synchronization

/// The answering side of a survey (RESPONDENT, 0x63; peer ``Surveyor``, 0x62).
///
/// Receives surveys and answers each through the path it carries, at any time; an answer that arrives
/// after the survey's deadline is dropped by the surveyor.
public final class Respondent: ProtocolRole {
    /// A received survey: its id, its question, and the path back to the surveyor.
    public struct Survey: Sendable, Hashable {
        /// The surveyor's id for this survey.
        public let id: UInt32
        /// The question, without the id.
        public let body: [UInt8]
        /// The path back to the surveyor.
        public let path: MessagePath
    }

    /// RESPONDENT (0x63), whose peer is SURVEYOR (0x62).
    public static let identity = ProtocolIdentity.respondent
    /// The socket: receives from all, sends only along paths.
    public let socket: Socket
    private let malformed = Atomic(0)

    /// Creates a respondent. `options.identity` is replaced by ``identity``.
    public init(options: SocketOptions = .init()) {
        socket = Socket(sender: .toDest, receiver: .all, options: options.with(Self.identity))
    }

    /// Surveys dropped because they were too short to carry an id.
    public var droppedSurveys: Int { malformed.load(ordering: .relaxed) }

    /// Receives the next survey.
    ///
    /// A cancelled receive consumes nothing and throws `CancellationError`.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `closed` once the socket is closed and drained; `CancellationError`.
    public func receive() async throws -> Survey {
        while true {
            let message = try await socket.receive()
            guard let (id, body) = ProtocolHeader.split(message.content) else {
                malformed.add(1, ordering: .relaxed)
                continue
            }
            return Survey(id: id, body: body, path: message.source)
        }
    }

    /// Sends `body` as this respondent's answer to `survey`, back along its path.
    ///
    /// Answers are best effort, like ``Rep/reply(to:_:)-(_,[UInt8])``: when the surveyor's pipe is full the answer is
    /// dropped, counted as ``/MultiSocket/DropReason/queueFull``, and `messageDropped` is thrown, so a surveyor that does
    /// not read never stalls the respondent. Never suspends.
    /// - Throws: ``/MultiSocketConnector/MultiSocketError`` `brokenPath` (the surveyor is gone), `messageDropped` (its pipe is
    ///   full), `closed`, `messageTooLarge`.
    public func respond(to survey: Survey, _ body: [UInt8]) async throws {
        try socket.sendToOrDrop(survey.path, ProtocolHeader.prepend(survey.id, to: body))
    }
}
