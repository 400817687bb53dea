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
/// Writes: frames are encoded into a pending buffer under a lock (a large content is spliced in by
/// reference, see ``StreamOutput``); one thread at a time holds the writer role and writes outside the lock,
/// swapping in whatever senders queued meanwhile, so a stream of messages goes out many frames per system
/// call. A lone message from another thread is written at once on its sender's thread; one that follows
/// closely hands the writing to the reactor, and the reactor resumes when the socket turns writable. A
/// message sent on the reactor thread itself is written when the running job ends.
final class StreamLink<Framing: StreamFraming>: PipeLink, ReactorHandler, @unchecked Sendable {
    /// Who writes to the socket now.
    private enum Writer {
        /// Nobody: everything queued has been written.
        case idle
        /// One thread holds the writer role and owns `writing`.
        case active
        /// The kernel's buffer is full; the reactor takes the role when the socket turns writable.
        case waitingForWritable
    }

    private struct Outbound {
        /// Encoded frames not yet taken by the writer.
        var pending = StreamOutput()
        /// The stream offset just past `pending`.
        var appended = 0
        /// Bytes handed to the kernel so far, as a stream offset.
        var written = 0
        /// Stream offsets where queued frames end, oldest first.
        var frameEnds = Ring<Int>()
        var writer = Writer.idle
        /// The socket turned writable while a writer was active: its `EAGAIN` may be stale.
        var writableSeen = false
        /// When the last write on a sender's own thread began (monotonic nanoseconds).
        var lastDirectWrite: UInt64 = 0
        /// Report a drain once the queue is down to half its capacity (a sender found it full).
        var notifyOnDrain = false
        /// Report a drain once the queue is empty (a closing socket waits for it).
        var notifyWhenEmpty = false
        /// No more messages are taken (the framing's closing reply is queued); what is queued still goes.
        var sealed = false
        var closed = false
        var failed = false
        /// The sending copy of the framing.
        var framing: Framing
        /// `finish` found a writer active; the writer hands the close back to the reactor when it stops.
        var finishDeferred = false
        /// Bytes of control replies in `pending` (pongs, close answers): bounded, see ``replyBacklogLimit``.
        var replyBytes = 0
        /// The read side stopped because its replies could not be written; the writer resumes it once they
        /// are taken.
        var readerWaitsForOutput = false
    }

    /// What the writer does next, and what it reports first.
    private struct WriteStep {
        /// Write again (`true`) or stop, having given up the writer role.
        var proceed: Bool
        /// The queue drained: tell the delegate.
        var notify = false
        /// Tear the link down (a deferred `finish`).
        var finish = false
        /// Let the read side carry on: the replies it waited on were taken.
        var resumeReader = false
    }

    /// What a sender does after queuing its frame.
    private enum Follow {
        case nothing
        case writeHere
        case handToReactor
    }

    let localAddress: String
    let remoteAddress: String
    let isRaw: Bool
    /// The largest content a framed message may have to be sent (``EndpointOptions/maxSendSize``; `.max`: none).
    private let maxSendSize: Int
    /// The stream's verified peer certificate (TLS), read once when the link is made.
    let peerCertificate: PeerCertificate?
    /// All the link's I/O goes through it; its descriptor is registered with `reactor`.
    private let stream: any ByteStream
    /// A read that does not fill the buffer empties the stream (it holds nothing beyond the kernel's queue).
    private let shortReadDrains: Bool
    private let reactor: Reactor
    private let sendCapacity: Int
    private let outbound: Locked<Outbound>

    // Writer-role state: touched only by the thread holding the writer role (`Writer.active`), which it
    // takes and gives up under the outbound lock. That discipline, not the runtime, makes every access
    // exclusive, hence `@exclusivity(unchecked)` here and below (a dynamic check per access cost ~5 % of a
    // receiver's time).
    @exclusivity(unchecked) private var writing = StreamOutput()

    // Reactor-thread state. Written in `start`'s job and read only on the reactor thread afterwards: every
    // method that touches it begins with `reactor.assertInReactor()` (a check in debug builds).
    @exclusivity(unchecked) private var pipeID: UInt32 = 0
    /// The receiving copy of the framing.
    @exclusivity(unchecked) private var framing: Framing
    @exclusivity(unchecked) private var delegate: (any PipeDelegate)?
    @exclusivity(unchecked) private var onClose: (@Sendable () -> Void)?
    @exclusivity(unchecked) private var readBuffer: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var readStart = 0
    @exclusivity(unchecked) private var readEnd = 0
    /// The socket's receive queue is full: nothing is read until it resumes the link.
    @exclusivity(unchecked) private var receivingPaused = false {
        didSet { if receivingPaused != oldValue { updateReadInterest() } }
    }
    /// Control replies wait to be written: nothing is read until the writer takes them.
    @exclusivity(unchecked) private var waitingForOutput = false {
        didSet { if waitingForOutput != oldValue { updateReadInterest() } }
    }
    /// The peer is gone for writing and the delegate was not told yet (it had not started).
    @exclusivity(unchecked) private var stoppedSendingBeforeStart = false
    /// When the frame at the front of the read buffer began (monotonic nanoseconds), 0 when none is partial.
    @exclusivity(unchecked) private var partialSince: UInt64 = 0
    /// The partial-frame timer is armed.
    @exclusivity(unchecked) private var partialTimer: UInt64?
    private let partialFrameTimeout: UInt64?
    /// Messages decoded and not yet handed to the delegate.
    @exclusivity(unchecked) private var arrived = Ring<Message>()
    /// A drain happened before `start` gave the link its delegate.
    @exclusivity(unchecked) private var drainedBeforeStart = false
    @exclusivity(unchecked) private var registered = false
    @exclusivity(unchecked) private var finished = false

    // Generic types cannot have stored statics, hence computed constants.
    private static var initialReadSize: Int { 64 * 1024 }
    private static var readsPerTurn: Int { 16 }
    /// Decoded messages handed to the delegate at once (one lock on the receiving socket per batch).
    private static var deliveryBatch: Int { 64 }
    /// Write buffers up to this size are kept for reuse rather than freed after each batch (two per link).
    private static var retainedBufferSize: Int { 8 << 20 }
    /// A send this soon after the previous direct write leaves the writing to the reactor, so that a
    /// stream of small messages goes out many per system call while a lone message still leaves at once.
    private static var directWriteSpacing: UInt64 { 25_000 }
    /// Control replies queued beyond this many bytes stop the read side until the writer takes them: a
    /// peer that floods pings and never reads its pongs costs a bounded buffer, not memory and CPU.
    private static var replyBacklogLimit: Int { 16 * 1024 }

    /// `alreadyRead` holds bytes of the stream read before the link existed (after a WebSocket handshake).
    init(stream: any ByteStream, reactor: Reactor, options: PipeOptions, framing: Framing, localAddress: String,
         remoteAddress: String, alreadyRead: [UInt8] = []) {
        self.stream = stream
        self.shortReadDrains = !stream.holdsReadBytes
        self.peerCertificate = stream.peerCertificate
        self.reactor = reactor
        self.framing = framing
        self.outbound = Locked(Outbound(framing: framing), rank: .linkOutput)
        self.sendCapacity = max(1, options.sendQueueSize)
        self.isRaw = options.raw
        self.maxSendSize = options.maxSendSize ?? .max
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.partialFrameTimeout = options.partialFrameTimeout.map(Reactor.nanoseconds)
        self.readBuffer = .allocate(byteCount: max(Self.initialReadSize, alreadyRead.count), alignment: 16)
        readBuffer.copyBytes(from: alreadyRead)
        readEnd = alreadyRead.count
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Frees what a finished link holds (its read buffer, queued output, undelivered messages): whoever still
    /// refers to the pipe keeps only the small link object.
    private func releaseBuffers() {
        reactor.assertInReactor()
        readBuffer.deallocate()
        readBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        readStart = 0
        readEnd = 0
        arrived = Ring()
        writing = StreamOutput()
        outbound.withLock { out in
            out.pending = StreamOutput()
            out.frameEnds = Ring()
        }
    }

    func start(pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void) {
        reactor.execute { [self] in
            reactor.assertInReactor()
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
            guard reactor.register(stream.descriptor, handler: self) else {
                finish()
                return
            }
            registered = true
            if drainedBeforeStart {
                drainedBeforeStart = false
                delegate.pipeDrained(pipeID)
            }
            if stoppedSendingBeforeStart {
                stoppedSendingBeforeStart = false
                delegate.pipeStoppedSending(pipeID)
            }
            if isRaw, delegate.pipe(pipeID, received: rawMessage([], kind: .connected)) == false {
                receivingPaused = true
            }
            readAvailable()
        }
    }

    func footprint(_ report: @escaping @Sendable (_ readBuffer: Int, _ output: Int) -> Void) {
        reactor.execute { [self] in
            reactor.assertInReactor()
            report(readBuffer.count, outbound.withLock { $0.appended - $0.written })
        }
    }

    // MARK: Sending

    func watchPendingOutput() -> Bool {
        outbound.withLock { out in
            guard !out.closed, !out.failed, !out.frameEnds.isEmpty else { return false }
            out.notifyWhenEmpty = true
            return true
        }
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    func send(_ message: Message) -> PipeSendResult {
        let onReactor = reactor.isCurrent
        let (result, follow) = outbound.withLock { out -> (PipeSendResult, Follow) in
            if out.closed || out.failed || out.sealed { return (.closed, .nothing) }
            if out.frameEnds.count >= sendCapacity {
                out.notifyOnDrain = true
                return (.full, .nothing)
            }
            switch queue(message, in: &out) {
            case .skipped: return (.accepted(idle: true), .nothing)
            case .unencodable(let error): return (.unencodable(error), .nothing)
            case .frame: break
            }
            let room = out.frameEnds.count < sendCapacity
            if !room { out.notifyOnDrain = true }
            return (.accepted(idle: room), Self.claimWriter(&out, onReactor: onReactor))
        }
        perform(follow)
        return result
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    func send(batch: inout Ring<Message>) -> PipeBatchSendResult {
        let onReactor = reactor.isCurrent
        var outcome = PipeBatchSendResult()
        let follow = outbound.withLock { out -> Follow in
            if out.closed || out.failed || out.sealed {
                outcome.room = .closed
                return .nothing
            }
            var queued = 0
            while out.frameEnds.count < sendCapacity, let message = batch.popFirst() {
                switch queue(message, in: &out) {
                case .skipped:
                    outcome.sent += 1
                case .unencodable:
                    outcome.unencodable += 1
                case .frame:
                    queued += 1
                    outcome.sent += 1
                    outcome.bytes += message.content.count
                }
            }
            if out.frameEnds.count >= sendCapacity {
                out.notifyOnDrain = true
                outcome.room = .full
            }
            return queued > 0 ? Self.claimWriter(&out, onReactor: onReactor) : .nothing
        }
        perform(follow)
        return outcome
    }

    /// What queuing one message did.
    private enum Queued {
        /// Its frame is queued.
        case frame
        /// A raw link skipped it (only plain messages go to raw peers); it counts as sent.
        case skipped
        /// It cannot be encoded; nothing was queued.
        case unencodable(MultiSocketError)
    }

    /// Encodes `message` at the end of the pending buffer (under the outbound lock).
    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    private func queue(_ message: Message, in out: inout Outbound) -> Queued {
        let before = out.pending.count
        let large = message.content.count >= StreamOutput.spliceThreshold
        if isRaw {
            guard message.flags.isEmpty, message.kind == .data else { return .skipped }
            if large && !Framing.framesRawContent {
                out.pending.splice(message.content)
            } else {
                out.framing.encode(rawContent: message.content, into: &out.pending.bytes)
            }
        } else {
            guard message.content.count <= maxSendSize else {
                return .unencodable(MultiSocketError(
                    .messageTooLarge, "content of \(message.content.count) bytes exceeds maxSendSize \(maxSendSize)"))
            }
            do throws(MultiSocketError) {
                if large, try out.framing.encodeHeader(message, into: &out.pending.bytes) {
                    out.pending.splice(message.content)
                } else {
                    try out.framing.encode(message, into: &out.pending.bytes)
                }
            } catch {
                return .unencodable(error)
            }
        }
        out.appended += out.pending.count - before
        out.frameEnds.append(out.appended)
        return .frame
    }

    /// Takes the writer role for a sender that just queued frames, if nobody holds it, and says who writes.
    /// On the reactor thread the write waits for the end of the running job (typically until the sending
    /// task suspends), so whatever that job sends goes out in one system call.
    private static func claimWriter(_ out: inout Outbound, onReactor: Bool) -> Follow {
        guard out.writer == .idle else { return .nothing }
        out.writer = .active
        if onReactor { return .handToReactor }
        let now = Self.now()
        if now &- out.lastDirectWrite < Self.directWriteSpacing { return .handToReactor }
        out.lastDirectWrite = now
        return .writeHere
    }

    /// Writes, or has the reactor write, as a sender's ``claimWriter(_:onReactor:)`` decided.
    private func perform(_ follow: Follow) {
        switch follow {
        case .nothing: break
        case .writeHere: writeOut()
        case .handToReactor: reactor.execute { [self] in writeOut() }
        }
    }

    /// Queues a reply the receiving framing asked for (a pong, a close answer) after the frames queued so
    /// far, and writes it if nobody is writing. With `sealing`, the link takes no more messages.
    ///
    /// Returns `false` when replies are backing up (the peer does not read them): the read side must stop
    /// until the writer takes them, which it reports through ``resumeAfterOutput()``.
    @discardableResult
    private func write(_ reply: Framing.Reply?, sealing: Bool) -> Bool {
        let (writeHere, backedUp) = outbound.withLock { out -> (Bool, Bool) in
            if out.closed || out.failed { return (false, false) }
            if sealing { out.sealed = true }
            guard let reply else { return (false, false) }
            let before = out.pending.count
            out.framing.encode(reply: reply, into: &out.pending.bytes)
            out.appended += out.pending.count - before
            out.replyBytes += out.pending.count - before
            let backedUp = out.replyBytes >= Self.replyBacklogLimit
            if backedUp { out.readerWaitsForOutput = true }
            guard out.writer == .idle else { return (false, backedUp) }
            out.writer = .active
            return (true, backedUp)
        }
        if writeHere { writeOut() }
        return !backedUp
    }

    /// The writer took the replies the read side waited on: reading carries on.
    private func resumeAfterOutput() {
        reactor.assertInReactor()
        guard waitingForOutput else { return }
        waitingForOutput = false
        readAvailable()
    }

    /// Writes while there is something to write; the caller holds the writer role and gives it up here.
    /// System calls run outside the lock, so senders keep queuing while the kernel copies.
    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    private func writeOut() {
        var sent = 0
        var blocked = false
        while true {
            let step = outbound.withLock { out -> WriteStep in
                out.written += sent
                while let end = out.frameEnds.first, end <= out.written { _ = out.frameEnds.popFirst() }
                var step = WriteStep(proceed: true)
                if out.notifyOnDrain && out.frameEnds.count <= sendCapacity / 2 {
                    out.notifyOnDrain = false
                    step.notify = true
                }
                if out.notifyWhenEmpty && out.frameEnds.isEmpty {
                    out.notifyWhenEmpty = false
                    step.notify = true
                }
                if out.closed || out.failed {
                    out.writer = .idle
                    return WriteStep(proceed: false, finish: out.finishDeferred)
                }
                if blocked {
                    if !out.writableSeen {
                        out.writer = .waitingForWritable
                        step.proceed = false
                        return step
                    }
                    blocked = false
                }
                out.writableSeen = false
                if writing.isWritten {
                    writing.removeAll(keepingCapacity: writing.bytes.capacity <= Self.retainedBufferSize)
                    if out.pending.isEmpty {
                        out.writer = .idle
                        step.proceed = false
                        return step
                    }
                    swap(&writing, &out.pending)
                    out.replyBytes = 0
                    if out.readerWaitsForOutput {
                        out.readerWaitsForOutput = false
                        step.resumeReader = true
                    }
                }
                return step
            }
            if step.notify { notifyDrained() }
            if step.resumeReader { reactor.execute { [self] in resumeAfterOutput() } }
            if !step.proceed {
                if step.finish { reactor.execute { [self] in finish() } }
                return
            }
            sent = 0
            switch writing.write(to: stream) {
            case .wrote(let count):
                sent = count
            case .wouldBlock:
                blocked = true
                reactor.awaitWritable(stream.descriptor)
            case .failed(let error):
                let finishNow = outbound.withLock { out -> Bool in
                    out.failed = true
                    out.writer = .idle
                    return out.finishDeferred
                }
                reactor.execute { [self] in finishNow ? finish() : writeFailed(reset: error == .reset) }
                return
            }
        }
    }

    /// The peer is gone for writing. Whoever waits to send through the link gives up at once. What the peer
    /// sent before is still delivered when it closed in order (the read side carries on to the end of the
    /// stream, as far as the receive queue lets it); after a reset the link closes at once.
    private func writeFailed(reset: Bool) {
        reactor.assertInReactor()
        guard !finished else { return }
        reportStoppedSending()
        if reset && (receivingPaused || waitingForOutput) {
            abort()
        } else {
            readAvailable()
        }
    }

    /// Tells the delegate that the link can send nothing more; before ``start(pipeID:delegate:onClose:)`` has
    /// run, the report waits for it.
    private func reportStoppedSending() {
        reactor.assertInReactor()
        if let delegate {
            delegate.pipeStoppedSending(pipeID)
        } else {
            stoppedSendingBeforeStart = true
        }
    }

    /// The peer reset the connection: nothing more will arrive and nothing can be sent. Whatever the link
    /// had not read yet (a paused link reads nothing) is discarded and reported, and the link closes now —
    /// a full receive queue never keeps a dead connection open.
    private func abort() {
        reactor.assertInReactor()
        guard !finished else { return }
        let unread = readEnd - readStart + stream.unreadByteCount()
        if unread > 0 { delegate?.pipe(pipeID, rejected: .connectionReset(unread: unread)) }
        finish()
    }

    private func notifyDrained() {
        if reactor.isCurrent {
            reportDrained()
        } else {
            reactor.execute { [self] in reportDrained() }
        }
    }

    /// Tells the delegate that the queue drained; before ``start(pipeID:delegate:onClose:)`` has run (a
    /// message sent when the pipe was added can be written first), the report waits for it.
    private func reportDrained() {
        reactor.assertInReactor()
        guard let delegate else {
            drainedBeforeStart = !finished
            return
        }
        delegate.pipeDrained(pipeID)
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    private func writable() {
        let take = outbound.withLock { out -> Bool in
            switch out.writer {
            case .waitingForWritable:
                out.writer = .active
                return true
            case .active:
                out.writableSeen = true
                return false
            case .idle:
                return false
            }
        }
        if take { writeOut() }
    }

    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    // MARK: Receiving

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    func reactorEvent(_ events: UInt32) {
        reactor.assertInReactor()
        if events & cms_epollout() != 0 { writable() }
        if events & cms_epollerr() != 0 && connectionWasReset() {
            // Nothing more will come; a paused link does not wait for its receiver to catch up.
            if receivingPaused || waitingForOutput {
                abort()
                return
            }
        }
        let hangUp = cms_epollhup() | cms_epollerr() | cms_epollrdhup()
        // A paused link reads nothing (the bytes stay in the kernel); resuming reads to the end.
        if events & (cms_epollin() | hangUp) != 0 {
            readAvailable(stopAtShortRead: shortReadDrains && events & hangUp == 0)
        }
    }

    /// Whether the stream's pending error says the connection broke (the peer reset it). After an orderly
    /// close there is none (our write met the closed end): what the peer sent is whole and still delivered.
    private func connectionWasReset() -> Bool {
        reactor.assertInReactor()
        guard stream.pendingFailure() != nil else { return false }
        reportStoppedSending()
        outbound.withLock { $0.failed = true }
        return true
    }

    /// A paused link leaves bytes unread on purpose: the reactor need not report them until it reads again
    /// (free with epoll; the poll backend would report them every turn).
    private func updateReadInterest() {
        reactor.assertInReactor()
        if registered { reactor.setReadInterest(stream.descriptor, !receivingPaused && !waitingForOutput) }
    }

    func resumeReceiving() {
        reactor.execute { [self] in
            reactor.assertInReactor()
            guard receivingPaused else { return }
            receivingPaused = false
            readAvailable()
        }
    }

    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    ///
    /// With `stopAtShortRead`, a read that does not fill the buffer is taken to have emptied the stream: its
    /// bytes are delivered and the loop stops without the read that would only say `EAGAIN` (one system call
    /// less per message in a request/reply exchange). That is safe only when called for a readiness event
    /// without a hang-up: any data arriving later raises a new edge-triggered event.
    private func readAvailable(stopAtShortRead: Bool = false) {
        reactor.assertInReactor()
        guard !finished, delegate != nil, !receivingPaused, !waitingForOutput else { return }
        for _ in 0..<Self.readsPerTurn {
            guard parseBuffered() else { return }
            if readEnd == readBuffer.count { compact() }
            let room = readBuffer.count - readEnd
            switch stream.read(into: UnsafeMutableRawBufferPointer(start: readBuffer.baseAddress! + readEnd, count: room)) {
            case .bytes(let count):
                readEnd += count
                if stopAtShortRead && count < room {
                    _ = parseBuffered()
                    return
                }
            case .wouldBlock:
                return
            case .end:
                if isRaw {
                    _ = delegate?.pipe(pipeID, received: rawMessage([], kind: .endOfStream))
                } else if readEnd > readStart {
                    delegate?.pipe(pipeID, rejected: .truncated(buffered: readEnd - readStart))
                }
                finish()
                return
            case .failed:
                // Not a clean end (a reset, a TLS stream cut short): a raw peer gets no end-of-stream message.
                finish()
                return
            }
        }
        // Leave the loop to the other descriptors for a turn, then carry on.
        reactor.execute { [self] in readAvailable() }
    }

    /// Delivers every whole frame in the buffer. Returns `false` when delivery paused or the link ended.
    @_specialize(where Framing == MultiSocketFraming)
    @_specialize(where Framing == WebSocketFraming)
    @_specialize(where Framing == SPFraming)
    private func parseBuffered() -> Bool {
        reactor.assertInReactor()
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
                // What arrived before the bad frame is still delivered.
                _ = deliverArrived()
                delegate?.pipe(pipeID, rejected: error)
                finish(error)
                return false
            }
            switch result {
            case .message(let message, let consumed):
                readStart += consumed
                partialSince = 0
                arrived.append(message)
                if arrived.count >= Self.deliveryBatch, !deliverArrived() { return false }
            case .expired(let consumed):
                readStart += consumed
                partialSince = 0
                delegate?.pipe(pipeID, rejected: .ttlExpired)
            case .needMore(let frameSize):
                notePartialFrame()
                if let frameSize, frameSize > readBuffer.count - readStart { makeRoom(for: frameSize) }
                return deliverArrived() && !finished
            case .consumed(let consumed, let reply):
                readStart += consumed
                // A whole control frame; only a fragmented message still under way keeps its clock running.
                if !framing.isMidMessage { partialSince = 0 }
                if reply != nil, !write(reply, sealing: false) {
                    // The peer does not read its replies: read nothing more until the writer takes them.
                    waitingForOutput = true
                    _ = deliverArrived()
                    return false
                }
                if finished { return false }
            case .peerClosed(let consumed, let reply):
                readStart += consumed
                _ = deliverArrived()
                write(reply, sealing: true)
                if isRaw { _ = delegate?.pipe(pipeID, received: rawMessage([], kind: .endOfStream)) }
                finish()
                return false
            }
        }
        readStart = 0
        readEnd = 0
        if framing.isMidMessage { notePartialFrame() } else { partialSince = 0 }
        return deliverArrived() && !finished
    }

    // MARK: Partial frames

    /// A frame (or a fragmented message) has begun and not ended: it has ``PipeOptions/partialFrameTimeout``
    /// to complete, counted from now unless it was counting already.
    private func notePartialFrame() {
        reactor.assertInReactor()
        guard let timeout = partialFrameTimeout, partialSince == 0 else { return }
        partialSince = Self.now()
        if partialTimer == nil { armPartialTimer(after: timeout) }
    }

    private func armPartialTimer(after nanoseconds: UInt64) {
        reactor.assertInReactor()
        partialTimer = reactor.schedule(after: .nanoseconds(Int64(clamping: nanoseconds))) { [self] in
            partialTimerFired()
        }
    }

    /// Closes the link if its partial frame is still incomplete after the timeout; time spent paused by the
    /// receiver or by unwritten replies does not count. Before it does, it reads what the kernel holds: a
    /// reactor that woke late (a loaded machine) may see the timer before the bytes that finish the frame.
    private func partialTimerFired() {
        reactor.assertInReactor()
        partialTimer = nil
        guard !finished, partialSince != 0, let timeout = partialFrameTimeout else { return }
        if receivingPaused || waitingForOutput {
            partialSince = Self.now()
            armPartialTimer(after: timeout)
            return
        }
        if Self.now() &- partialSince >= timeout {
            readAvailable()
            guard !finished, partialSince != 0, partialTimer == nil else { return }
            if receivingPaused || waitingForOutput {
                partialSince = Self.now()
                armPartialTimer(after: timeout)
                return
            }
        }
        let elapsed = Self.now() &- partialSince
        if elapsed < timeout {
            armPartialTimer(after: timeout - elapsed)
            return
        }
        delegate?.pipe(pipeID, rejected: .stalled(buffered: readEnd - readStart))
        finish(.stalled(buffered: readEnd - readStart))
    }

    /// Hands the messages decoded so far to the delegate, which takes them all. Returns `false` when it
    /// paused the link.
    private func deliverArrived() -> Bool {
        reactor.assertInReactor()
        guard !arrived.isEmpty, let delegate else { return true }
        if delegate.pipe(pipeID, received: &arrived) { return true }
        receivingPaused = true
        return false
    }

    /// Delivers everything buffered as one raw message. Returns `false` when delivery paused.
    private func deliverRawChunk() -> Bool {
        reactor.assertInReactor()
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
        reactor.assertInReactor()
        return Message(content: content, flags: .raw, ttl: Message.defaultTTL - 1, source: [pipeID], kind: kind)
    }

    /// Moves the unparsed bytes to the front of the read buffer.
    private func compact() {
        reactor.assertInReactor()
        guard readStart > 0 else { return }
        let pending = readEnd - readStart
        readBuffer.baseAddress!.copyMemory(from: readBuffer.baseAddress! + readStart, byteCount: pending)
        readStart = 0
        readEnd = pending
    }

    /// Makes room after `readStart` for a frame of `frameSize` bytes whose header the framing validated. A
    /// buffer full of bytes that arrived doubles, up to the framing's largest unit (or the frame, if content
    /// is unlimited): large frames then come several per read, and what is moved to the front after each read
    /// is the small remainder. Otherwise the unparsed bytes move to the front. The buffer grows with the
    /// bytes that arrive, never with what a header claims.
    private func makeRoom(for frameSize: Int) {
        reactor.assertInReactor()
        let ceiling = max(frameSize, framing.maxUnitSize ?? frameSize)
        if readEnd == readBuffer.count && readBuffer.count < ceiling {
            grow(to: min(2 * readBuffer.count, ceiling))
        } else {
            compact()
        }
    }

    /// Grows the read buffer to `size` bytes.
    private func grow(to size: Int) {
        reactor.assertInReactor()
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
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

    /// Tears the link down on the reactor thread; runs once. While a sender's thread is inside a write, the
    /// descriptor stays open and the writer hands the teardown back when it stops. `reason` is why a frame
    /// was rejected, if one was; a framing with closing bytes (WebSocket's close frame) gets one
    /// best-effort write of them when nothing is half-written.
    private func finish(_ reason: FrameError? = nil) {
        reactor.assertInReactor()
        guard !finished else { return }
        let (writerActive, broken, goodbye) = outbound.withLock { out -> (Bool, Bool, [UInt8]) in
            var goodbye: [UInt8] = []
            if !out.sealed && !out.failed && out.writer == .idle {
                out.framing.encodeClose(reason: reason, into: &goodbye)
                out.sealed = true
            }
            out.closed = true
            out.finishDeferred = out.writer == .active
            return (out.finishDeferred, out.failed, goodbye)
        }
        if writerActive { return }
        finished = true
        if registered {
            reactor.deregister(stream.descriptor, handler: self)
        }
        // A stream that still works ends in order, so the peer reads everything written before the end.
        if registered && !broken {
            LingeringClose.start(stream, goodbye: goodbye, on: reactor)
        } else {
            stream.close(sendingFirst: goodbye)
        }
        if let partialTimer { reactor.cancelTimer(partialTimer) }
        partialTimer = nil
        releaseBuffers()
        let onClose = self.onClose
        self.onClose = nil
        delegate = nil
        onClose?()
    }
}
