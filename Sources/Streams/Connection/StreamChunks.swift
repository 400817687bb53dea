@_spi(Internals) import MultiSocketConnector

/// A ``StreamConnection``'s bytes as an `AsyncSequence` of chunks (each at most the endpoint's chunk size),
/// ending at end of stream. Iterating reads: one consumer at a time.
public struct StreamChunks: AsyncSequence, Sendable {
    /// A chunk of bytes, never empty.
    public typealias Element = [UInt8]

    let connection: StreamConnection

    /// Reads the next chunk on the caller's task; cancellation throws `CancellationError`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: StreamConnection

        /// The next chunk, or `nil` at end of stream.
        /// - Throws: what ``StreamConnection/read(upToCount:)`` throws.
        public mutating func next() async throws -> [UInt8]? {
            try await connection.read(upToCount: connection.core.options.chunkSize)
        }
    }

    /// An iterator reading from the stream.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }
}
