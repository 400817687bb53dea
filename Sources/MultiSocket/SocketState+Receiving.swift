@_spi(Internals) import MultiSocketConnector

/// The receive transitions: delivering what pipes read, taking it, waiting for it.
extension SocketState {
    /// What happens to one message a pipe delivered.
    enum Delivery {
        /// Resume this waiting receiver with the message.
        case handTo(Types.Receiver)
        /// The message is queued; the pipe may keep delivering.
        case queued
        /// The message is queued and the queue is full: the pipe is paused until it has room.
        case pause
        /// Input has stopped (``stopReceiving()``): the message was dropped and counted; the pipe is paused.
        case stopped
    }

    /// Hands a received message to the oldest waiting receiver, or queues it.
    mutating func deliver(_ message: Message, from pipeID: UInt32) -> Delivery {
        if receivingStopped {
            statistics.drops[.receivingStopped, default: 0] += 1
            return .stopped
        }
        statistics.messagesReceived += 1
        statistics.bytesReceived += message.content.count
        while let id = receiverOrder.popFirst() {
            if let receiver = receivers.removeValue(forKey: id) { return .handTo(receiver) }
        }
        received.append(message)
        return pauseIfFull(pipeID) ? .pause : .queued
    }

    /// A message for a waiting receiver, to resume outside the lock.
    struct Handoff {
        let receiver: Types.Receiver
        let message: Message
    }

    /// Whether a pipe may keep delivering after a batch.
    enum ReadOn {
        case keepReading
        case pause
        /// Input has stopped (``stopReceiving()``): the batch was dropped and counted; the pipe is paused.
        case stopped
    }

    /// Hands received messages to waiting receivers (collected in `handoffs`, to resume) and queues the
    /// rest, all of them: a batch may take the queue past its capacity, by at most one batch per pipe.
    @inline(__always)
    mutating func deliver(_ messages: inout Ring<Message>, from pipeID: UInt32,
                          handoffs: inout [Handoff]) -> ReadOn {
        if receivingStopped {
            statistics.drops[.receivingStopped, default: 0] += messages.count
            _ = messages.removeAll()
            return .stopped
        }
        statistics.messagesReceived += messages.count
        while !receivers.isEmpty, let id = receiverOrder.popFirst() {
            guard let receiver = receivers.removeValue(forKey: id) else { continue }
            guard let message = messages.popFirst() else {
                receiverOrder.prepend(id)
                receivers[id] = receiver
                break
            }
            statistics.bytesReceived += message.content.count
            handoffs.append(Handoff(receiver: receiver, message: message))
        }
        if received.isEmpty {
            swap(&received, &messages)
            for message in received { statistics.bytesReceived += message.content.count }
        } else {
            while let message = messages.popFirst() {
                statistics.bytesReceived += message.content.count
                received.append(message)
            }
        }
        return pauseIfFull(pipeID) ? .pause : .keepReading
    }

    /// Pauses pipe `pipeID` when the receive queue is full; returns whether it did.
    private mutating func pauseIfFull(_ pipeID: UInt32) -> Bool {
        guard received.count >= receiveQueueSize, let record = pipes[pipeID] else { return false }
        pausedPipes[pipeID] = record.pipe
        return true
    }

    /// What a receive that does not wait finds.
    enum TakeAction {
        /// A message; resume these paused pipes (the queue has room again).
        case message(Message, resume: [Pipe])
        /// Nothing yet.
        case empty
        /// Nothing, and nothing more will come: the socket is closed.
        case closed
    }

    /// Takes the oldest received message.
    @inline(__always)
    mutating func takeReceived() -> TakeAction {
        guard let message = received.popFirst() else {
            return lifecycle == .open && !receivingStopped ? .empty : .closed
        }
        return .message(message, resume: pipesToResume())
    }

    /// What a receive that waits does.
    enum ReceiveWaitAction {
        /// A message arrived meanwhile: return it, and resume these paused pipes.
        case message(Message, resume: [Pipe])
        /// The receiver waits; a message, a close or a cancellation resumes it.
        case suspended
        /// The socket is closed and drained.
        case closed
        /// The task was cancelled.
        case cancelled
    }

    /// Registers receiver `id` waiting for the next message.
    mutating func waitForMessage(_ id: UInt64, receiver: Types.Receiver, cancelled: Bool) -> ReceiveWaitAction {
        if let message = received.popFirst() { return .message(message, resume: pipesToResume()) }
        if lifecycle != .open || receivingStopped { return .closed }
        if cancelled { return .cancelled }
        receivers[id] = receiver
        receiverOrder.append(id)
        return .suspended
    }

    /// Takes waiting receiver `id` (its task was cancelled), if it still waits.
    mutating func cancelReceive(_ id: UInt64) -> Types.Receiver? {
        receivers.removeValue(forKey: id)
    }

    /// Pipes to resume once the receive queue has room again.
    private mutating func pipesToResume() -> [Pipe] {
        // Hysteresis: paused pipes resume once the queue is half empty, so they deliver in batches
        // instead of one message per receive.
        guard received.count <= receiveQueueSize / 2, !pausedPipes.isEmpty, !receivingStopped else { return [] }
        defer { pausedPipes = [:] }
        return Array(pausedPipes.values)
    }

    /// Stops taking input: what pipes deliver from now on is dropped (counted as
    /// ``DropReason/receivingStopped``) and pauses them for good, and once the queue is empty a receive finds
    /// the socket closed. Returns the receivers waiting now (the queue is empty, or
    /// they would not wait), to end with `closed`.
    mutating func stopReceiving() -> [Types.Receiver] {
        receivingStopped = true
        let waiting = Array(receivers.values)
        receivers = [:]
        receiverOrder = Ring()
        return waiting
    }
}
