@_spi(Internals) import MultiSocketConnector

/// Text and any byte sequence as message content: the same sends, without the caller's conversions.
extension Socket {
    /// Sends `text` as UTF-8 content, as `send(_: [UInt8])` sends bytes.
    /// - Throws: as `send(_: [UInt8])`.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Sends the bytes of `bytes` (a slice, a `Data`, a `ContiguousArray`, …) as one message, as
    /// `send(_: [UInt8])` sends an array.
    /// - Throws: as `send(_: [UInt8])`.
    public func send<Bytes: Sequence<UInt8>>(contentsOf bytes: Bytes) async throws {
        try await send(Array(bytes))
    }

    /// Sends `text` as UTF-8 content along `path`, as `sendTo(_: MessagePath, _: [UInt8])` sends bytes.
    /// - Throws: as `sendTo(_: MessagePath, _: [UInt8])`.
    public func sendTo(_ path: MessagePath, _ text: String) async throws {
        try await sendTo(path, Array(text.utf8))
    }
}

extension Message {
    /// The content decoded as UTF-8 (each invalid sequence replaced by U+FFFD).
    public var text: String { String(decoding: content, as: UTF8.self) }
}
