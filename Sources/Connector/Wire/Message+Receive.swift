extension Message {
    /// Applies the receive rule for a message handed over in memory (inproc): the arrival pipe is
    /// prepended to the source, ttl drops by one, and a to-destination message loses its first
    /// destination id (the sender's outgoing pipe).
    ///
    /// - Throws: ``FrameError`` when the frame codec would have rejected the same message, including
    ///   content longer than `maxContentLength`.
    package func arriving(on pipeID: UInt32, maxContentLength: Int?) throws(FrameError) -> Message {
        if let limit = maxContentLength, content.count > limit { throw .tooLarge(length: content.count, limit: limit) }
        if source.count >= 255 { throw .hopsOverflow }
        if sendType == .toDest && destination.isEmpty { throw .missingDestination }
        if ttl == 0 { throw .ttlExpired }
        var arrived = self
        arrived.source.prepend(pipeID)
        arrived.ttl = ttl - 1
        if sendType == .toDest { arrived.destination.removeFirst() }
        return arrived
    }
}
