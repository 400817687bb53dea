import CMultiSocketShims
import Glibc

/// A pipe link over a connected stream socket (tcp, ipc or ws), driven by the reactor.
///
/// `Framing` says how messages sit on the stream: ``MultiSocketFraming`` for tcp and ipc,
/// ``WebSocketFraming`` for ws. Links are used as `any PipeLink`, which the optimizer cannot specialize
/// through, so the hot methods carry `@_specialize` for both framings: the generic entry compares one
/// metadata pointer and runs the specialized body.
///
/// Reads: one buffer per link, large reads, as many whole frames parsed per read as it holds.
/// Writes: frames are encoded into one contiguous outbound buffer; a sender finding the link idle writes
/// at once on its own thread, and whatever the kernel does not take is flushed by the reactor when the
/// socket turns writable, many frames per system call.
final class StreamLink<Framing: StreamFraming>: PipeLink, ReactorHandler, @unchecked Sendable {
    private struct Outbound {
        var bytes: [UInt8] = []
        /// The stream offset of `bytes[0]`.
        var base = 0
        /// Bytes handed to the kernel so far, as a stream offset.
        var written = 0
        /// Stream offsets where queued frames end, oldest first.
        var frameEnds = Ring<Int>()
        var awaitingWritable = false
        var notifyOnDrain = false
        var closed = false
        var failed = false
        /// The sending copy of the framing.
        var framing: Framing
    }

    let localAddress: String
    let remoteAddress: String
    let isRaw: Bool
    private let fd: Int32
    private let reactor: Reactor
    private let sendCapacity: Int
    private let outbound: Locked<Outbound>

    // Reactor-thread state. Written in `start`'s job and read only on the reactor thread afterwards.
    private var pipeID: UInt32 = 0
    /// The receiving copy of the framing.
    private var framing: Framing
    private var delegate: (any PipeDelegate)?
    private var onClose: (@Sendable () -> Void)?
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var readStart = 0
    private var readEnd = 0
    private var receivingPaused = false
    private var registered = false
    private var finished = false

    private static var initialReadSize: Int { 64 * 1024 }
    private static var readsPerTurn: Int { 16 }

    /// `alreadyRead` holds bytes of the stream read before the link existed (after a WebSocket handshake).
    init(fd: Int32, reactor: Reactor, options: PipeOptions, framing: Framing, localAddress: String,
         remoteAddress: String, alreadyRead: [UInt8] = []) {
        self.fd = fd
        self.reactor = reactor
        self.framing = framing
        self.outbound = Locked(Outbound(framing: framing))
        self.sendCapacity = max(1, options.sendQueueSize)
        self.isRaw = options.raw
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.readBuffer = .allocate(byteCount: max(Self.initialReadSize, alreadyRead.count), alignment: 16)
        readBuffer.copyBytes(from: alreadyRead)
        readEnd = alreadyRead.count
    }

    deinit {
        readBuffer.deallocate()
    }

    func start(pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void) {
        reactor.execute { [self] in
            self.pipeID = pipeID
            self.delegate = delegate
            self.onClose = onClose
            if finished {
                self.onClose = nil
                self.delegate = nil
                onClose()
                return
            }
            if outbound.withLock({ $0.closed }) {
                finish()
                return
            }
            guard reactor.register(fd, handler: self) else {
                finish()
                return
            }
            registered = true
            if isRaw, delegate.pipe(pipeID, received: rawMessage([], kind: .connected)) == false {
                receivingPaused = true
            }
            readAvailable()
        }
    }

    // MARK: Sending

    var hasPendingOutput: Bool {
        outbound.withLock { !$0.closed && !$0.frameEnds.isEmpty }
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    func send(_ message: Message) -> PipeSendResult {
        let (result, failed) = outbound.withLock { out -> (PipeSendResult, Bool) in
            if out.closed { return (.closed, false) }
            if out.frameEnds.count >= sendCapacity {
                out.notifyOnDrain = true
                return (.full, false)
            }
            if isRaw {
                // Raw peers get only the content of plain messages; flagged ones are skipped as sent.
                guard message.flags.isEmpty, message.kind == .data else { return (.accepted(idle: out.frameEnds.isEmpty), false) }
                out.framing.encode(rawContent: message.content, into: &out.bytes)
            } else {
                do throws(MultiSocketError) {
                    try out.framing.encode(message, into: &out.bytes)
                } catch {
                    return (.unencodable(error), false)
                }
            }
            out.frameEnds.append(out.base + out.bytes.count)
            if !out.awaitingWritable { flush(&out) }
            if out.failed { return (.closed, true) }
            let idle = out.frameEnds.isEmpty
            if !idle { out.notifyOnDrain = true }
            return (.accepted(idle: idle), false)
        }
        if failed { close() }
        return result
    }

    /// Writes as much of the outbound buffer as the kernel takes. Runs under the outbound lock; the
    /// socket is non-blocking, so the lock is held for one system call at most per chunk.
    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    private func flush(_ out: inout Outbound) {
        while out.written - out.base < out.bytes.count {
            let head = out.written - out.base
            let sent = out.bytes.withUnsafeBytes { bytes in
                Glibc.send(fd, bytes.baseAddress! + head, bytes.count - head, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                out.written += sent
                continue
            }
            let error = cms_errno()
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK {
                out.awaitingWritable = true
            } else {
                out.failed = true
            }
            break
        }
        while let end = out.frameEnds.first, end <= out.written { _ = out.frameEnds.popFirst() }
        let head = out.written - out.base
        if head == out.bytes.count {
            out.bytes.removeAll(keepingCapacity: out.bytes.capacity <= 1 << 20)
            out.base = out.written
        } else if head >= 1 << 16 {
            out.bytes.removeFirst(head)
            out.base = out.written
        }
    }

    /// Writes a reply the receiving framing asked for, after the frames queued so far. With `closing`, the
    /// link takes no more messages: the reply is the last thing it sends.
    private func write(_ reply: Framing.Reply?, closing: Bool) {
        let failed = outbound.withLock { out -> Bool in
            if out.closed { return false }
            if closing { out.closed = true }
            if let reply { out.framing.encode(reply: reply, into: &out.bytes) }
            if !out.awaitingWritable || closing { flush(&out) }
            return out.failed
        }
        if failed { finish() }
    }

    /// Writes the framing's closing bytes, if it has any: one attempt, never waiting. Runs under the lock.
    private func writeClose(_ out: inout Outbound, reason: FrameError?) {
        guard !out.failed else { return }
        let count = out.bytes.count
        out.framing.encodeClose(reason: reason, into: &out.bytes)
        if out.bytes.count > count { flush(&out) }
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    private func writable() {
        let (drained, failed) = outbound.withLock { out -> (Bool, Bool) in
            out.awaitingWritable = false
            if out.closed { return (false, false) }
            flush(&out)
            if out.failed { return (false, true) }
            if out.frameEnds.isEmpty && out.notifyOnDrain {
                out.notifyOnDrain = false
                return (true, false)
            }
            return (false, false)
        }
        if failed {
            finish()
        } else if drained {
            delegate?.pipeDrained(pipeID)
        }
    }

    // MARK: Receiving

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    func reactorEvent(_ events: UInt32) {
        if events & cms_epollout() != 0 { writable() }
        if events & (cms_epollin() | cms_epollhup() | cms_epollerr() | cms_epollrdhup()) != 0 { readAvailable() }
    }

    func resumeReceiving() {
        reactor.execute { [self] in
            guard receivingPaused else { return }
            receivingPaused = false
            readAvailable()
        }
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    private func readAvailable() {
        guard !finished, delegate != nil else { return }
        for _ in 0..<Self.readsPerTurn {
            guard parseBuffered() else { return }
            makeRoom()
            let count = Glibc.read(fd, readBuffer.baseAddress! + readEnd, readBuffer.count - readEnd)
            if count > 0 {
                readEnd += count
                continue
            }
            if count == 0 {
                if isRaw {
                    _ = delegate?.pipe(pipeID, received: rawMessage([], kind: .endOfStream))
                } else if readEnd > readStart {
                    delegate?.pipe(pipeID, rejected: .truncated(buffered: readEnd - readStart))
                }
                finish()
                return
            }
            let error = cms_errno()
            if error == EINTR { continue }
            if error != EAGAIN && error != EWOULDBLOCK { finish() }
            return
        }
        // Leave the loop to the other descriptors for a turn, then carry on.
        reactor.execute { [self] in readAvailable() }
    }

    /// Delivers every whole frame in the buffer. Returns `false` when delivery paused or the link ended.
    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    private func parseBuffered() -> Bool {
        if isRaw && !Framing.framesRawContent { return deliverRawChunk() }
        while readEnd > readStart {
            let result: StreamDecodeResult<Framing.Reply>
            do {
                result = try framing.decode(
                    UnsafeMutableRawBufferPointer(
                        start: readBuffer.baseAddress! + readStart, count: readEnd - readStart),
                    arrivingOn: pipeID
                )
            } catch {
                delegate?.pipe(pipeID, rejected: error)
                finish(error)
                return false
            }
            switch result {
            case .message(let message, let consumed):
                readStart += consumed
                if delegate?.pipe(pipeID, received: message) == false {
                    receivingPaused = true
                    return false
                }
            case .expired(let consumed):
                readStart += consumed
                delegate?.pipe(pipeID, rejected: .ttlExpired)
            case .needMore(let frameSize):
                if let frameSize, frameSize > readBuffer.count { grow(to: frameSize) }
                return !finished
            case .consumed(let consumed, let reply):
                readStart += consumed
                if reply != nil { write(reply, closing: false) }
                if finished { return false }
            case .peerClosed(let consumed, let reply):
                readStart += consumed
                write(reply, closing: true)
                if isRaw { _ = delegate?.pipe(pipeID, received: rawMessage([], kind: .endOfStream)) }
                finish()
                return false
            }
        }
        readStart = 0
        readEnd = 0
        return !finished
    }

    /// Delivers everything buffered as one raw message. Returns `false` when delivery paused.
    private func deliverRawChunk() -> Bool {
        guard readEnd > readStart else { return !finished }
        let chunk = [UInt8](UnsafeRawBufferPointer(start: readBuffer.baseAddress! + readStart, count: readEnd - readStart))
        readStart = 0
        readEnd = 0
        if delegate?.pipe(pipeID, received: rawMessage(chunk, kind: .data)) == false {
            receivingPaused = true
            return false
        }
        return !finished
    }

    /// A message from a raw peer: one hop taken (ttl 15), arrived on this pipe.
    private func rawMessage(_ content: [UInt8], kind: Message.Kind) -> Message {
        Message(content: content, flags: .raw, ttl: Message.defaultTTL - 1, source: [pipeID], kind: kind)
    }

    private func makeRoom() {
        guard readEnd == readBuffer.count, readStart > 0 else { return }
        let pending = readEnd - readStart
        readBuffer.baseAddress!.copyMemory(from: readBuffer.baseAddress! + readStart, byteCount: pending)
        readStart = 0
        readEnd = pending
    }

    /// Grows the read buffer to hold a frame whose header the codec already validated.
    private func grow(to frameSize: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize, alignment: 16)
        let pending = readEnd - readStart
        bigger.baseAddress!.copyMemory(from: readBuffer.baseAddress! + readStart, byteCount: pending)
        readBuffer.deallocate()
        readBuffer = bigger
        readStart = 0
        readEnd = pending
    }

    // MARK: Closing

    func close() {
        let first = outbound.withLock { out -> Bool in
            defer { out.closed = true }
            if !out.closed { writeClose(&out, reason: nil) }
            return !out.closed
        }
        if first { reactor.execute { [self] in finish() } }
    }

    /// Tears the link down on the reactor thread; runs once. `reason` is why a frame was rejected, if one was.
    private func finish(_ reason: FrameError? = nil) {
        guard !finished else { return }
        finished = true
        outbound.withLock { out in
            if !out.closed { writeClose(&out, reason: reason) }
            out.closed = true
        }
        if registered { reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        let onClose = self.onClose
        self.onClose = nil
        delegate = nil
        onClose?()
    }
}
