import CMultiSocketShims
import Glibc

/// A pipe link over a connected stream socket (tcp or ipc), driven by the reactor.
///
/// Reads: one buffer per link, large reads, as many whole frames parsed per read as it holds.
/// Writes: frames are encoded into one contiguous outbound buffer; a sender finding the link idle writes
/// at once on its own thread, and whatever the kernel does not take is flushed by the reactor when the
/// socket turns writable, many frames per system call.
final class StreamLink: PipeLink, ReactorHandler, @unchecked Sendable {
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
    }

    let localAddress: String
    let remoteAddress: String
    let isRaw: Bool
    private let fd: Int32
    private let reactor: Reactor
    private let codec: MultiSocketCodec
    private let sendCapacity: Int
    private let outbound = Locked(Outbound())

    // Reactor-thread state. Written in `start`'s job and read only on the reactor thread afterwards.
    private var pipeID: UInt32 = 0
    private var delegate: (any PipeDelegate)?
    private var onClose: (@Sendable () -> Void)?
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var readStart = 0
    private var readEnd = 0
    private var receivingPaused = false
    private var registered = false
    private var finished = false

    private static let initialReadSize = 64 * 1024
    private static let readsPerTurn = 16

    init(fd: Int32, reactor: Reactor, options: PipeOptions, localAddress: String, remoteAddress: String) {
        self.fd = fd
        self.reactor = reactor
        self.codec = MultiSocketCodec(maxContentLength: options.maxReceiveSize)
        self.sendCapacity = max(1, options.sendQueueSize)
        self.isRaw = options.raw
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.readBuffer = .allocate(byteCount: Self.initialReadSize, alignment: 16)
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
                out.bytes.append(contentsOf: message.content)
            } else {
                do throws(MultiSocketError) {
                    try codec.encode(message, into: &out.bytes)
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
    private func parseBuffered() -> Bool {
        if isRaw { return deliverRawChunk() }
        while readEnd > readStart {
            let result: DecodeResult
            do {
                result = try codec.decode(
                    UnsafeRawBufferPointer(start: readBuffer.baseAddress! + readStart, count: readEnd - readStart),
                    arrivingOn: pipeID
                )
            } catch {
                delegate?.pipe(pipeID, rejected: error)
                finish()
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
            return !out.closed
        }
        if first { reactor.execute { [self] in finish() } }
    }

    /// Tears the link down on the reactor thread; runs once.
    private func finish() {
        guard !finished else { return }
        finished = true
        outbound.withLock { $0.closed = true }
        if registered { reactor.deregister(fd, handler: self) }
        Glibc.close(fd)
        let onClose = self.onClose
        self.onClose = nil
        delegate = nil
        onClose?()
    }
}
