@_spi(Internals) import MultiSocketConnector

/// One end of a stream, as a value: parts received and not consumed, the credit each way, the waiting
/// reader and writers. Lives in a ``TalkStream``'s lock; every method is one transition returning what to
/// do after the lock (resume, send credit).
struct TalkStreamState {
    typealias Reader = UnsafeContinuation<[UInt8]?, any Error>
    /// A writer waiting for credit; resumed with the path its part goes along.
    typealias Writer = UnsafeContinuation<MessagePath, any Error>

    /// Where our frames go; `nil` on the caller's side until the handler's first frame names it.
    var path: MessagePath?
    /// The window we grant the peer.
    let window: Int
    /// The window the peer granted us (its first credit); 0 until known.
    var peerWindow: Int
    /// Bytes we may still send.
    var sendCredit: Int
    /// Bytes we sent that the peer has not yet credited back.
    var unacknowledged = 0
    /// Bytes the peer may still send us.
    var allowance: Int
    /// Bytes consumed and not yet credited back.
    var pendingGrant = 0
    var buffer: [[UInt8]] = []
    var bufferHead = 0
    var buffered = 0
    var inputEnded = false
    var outputEnded = false
    var failure: (any Error)?
    var reader: Reader?
    var readTimer: SocketTimer?
    var writers: [(bytes: Int, continuation: Writer)] = []

    init(path: MessagePath?, window: Int, peerWindow: Int) {
        self.path = path
        self.window = window
        self.peerWindow = peerWindow
        sendCredit = peerWindow
        allowance = window
    }

    enum Arrival {
        case buffered
        case handOver(Reader, [UInt8], grant: UInt32?, timer: SocketTimer?)
        case violation
        case ignored
    }

    mutating func receive(_ part: [UInt8]) -> Arrival {
        guard failure == nil, !inputEnded else { return .ignored }
        guard part.count <= allowance else { return .violation }
        allowance -= part.count
        if let reader {
            self.reader = nil
            let timer = readTimer
            readTimer = nil
            return .handOver(reader, part, grant: consumed(part.count), timer: timer)
        }
        buffer.append(part)
        buffered += part.count
        return .buffered
    }

    /// Records `count` bytes consumed; returns the credit to send when it is time.
    private mutating func consumed(_ count: Int) -> UInt32? {
        pendingGrant += count
        guard pendingGrant > 0, pendingGrant >= window / 4 || buffered == 0 else { return nil }
        let grant = pendingGrant
        pendingGrant = 0
        allowance += grant
        return UInt32(grant)
    }

    enum Take {
        case part([UInt8], grant: UInt32?)
        case end
        case failed(any Error)
        case wait
    }

    mutating func take() -> Take {
        if bufferHead < buffer.count {
            let part = buffer[bufferHead]
            bufferHead += 1
            buffered -= part.count
            if bufferHead == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                bufferHead = 0
            }
            return .part(part, grant: consumed(part.count))
        }
        if let failure { return .failed(failure) }
        if inputEnded { return .end }
        return .wait
    }

    /// What the peer's end marker lets go: the reader to resume with the end, its timer, and (when the end
    /// also ends our output) the writers to fail.
    struct Ending {
        var reader: Reader?
        var timer: SocketTimer?
        var writers: [Writer] = []
    }

    /// The peer's end marker. With `endingOutput` (the caller's side: the handler's end ends the exchange)
    /// our output ends too, in the same transition, so that no writer can register after the end and wait
    /// for credit that will never come.
    mutating func endInput(endingOutput: Bool = false) -> Ending {
        guard failure == nil else { return Ending() }
        inputEnded = true
        var ending = Ending(reader: reader, timer: readTimer)
        reader = nil
        readTimer = nil
        if endingOutput {
            outputEnded = true
            ending.writers = writers.map(\.continuation)
            writers = []
        }
        return ending
    }

    /// Credit from the peer: the writers it lets go, with the path their parts go along.
    mutating func credit(_ bytes: Int, from path: MessagePath?) -> [(Writer, MessagePath)] {
        if self.path == nil, let path { self.path = path }
        if peerWindow == 0 { peerWindow = bytes }
        sendCredit += bytes
        unacknowledged = max(0, unacknowledged - bytes)
        var released: [(Writer, MessagePath)] = []
        while let first = writers.first, let known = self.path, first.bytes <= sendCredit {
            writers.removeFirst()
            sendCredit -= first.bytes
            unacknowledged += first.bytes
            released.append((first.continuation, known))
        }
        return released
    }

    enum Reserve {
        case go(MessagePath)
        case failed(any Error)
        case wait
    }

    /// Reserves credit for a part of `bytes`: `go` with the path, `failed`, or `wait`. With `writer`, a
    /// `wait` registers it in the same transition (resumed by ``credit(_:from:)``, ``endInput(endingOutput:)``
    /// or ``fail(_:)``): the decision to wait and the registration happen under one lock, so a credit, end or
    /// failure arriving in between cannot be missed.
    mutating func reserve(_ bytes: Int, writer: Writer? = nil) -> Reserve {
        if let failure { return .failed(failure) }
        if outputEnded { return .failed(TalkError(.badPayload, "part sent after the stream's end")) }
        if peerWindow > 0 && bytes > peerWindow {
            return .failed(TalkError(.badPayload, "part of \(bytes) bytes exceeds the peer's window of \(peerWindow)"))
        }
        if let path, writers.isEmpty, bytes <= sendCredit {
            sendCredit -= bytes
            unacknowledged += bytes
            return .go(path)
        }
        if let writer { writers.append((bytes, writer)) }
        return .wait
    }

    /// Ends the stream with `error`: the reader and writers to fail, and the timer to cancel.
    mutating func fail(_ error: any Error) -> (Reader?, [Writer], SocketTimer?)? {
        guard failure == nil else { return nil }
        failure = error
        let result = (reader, writers.map(\.continuation), readTimer)
        reader = nil
        writers = []
        readTimer = nil
        buffer = []
        bufferHead = 0
        buffered = 0
        return result
    }
}
