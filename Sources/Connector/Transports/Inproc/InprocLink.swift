/// One end of an ``InprocChannel``.
final class InprocLink: PipeLink {
    let localAddress: String
    let remoteAddress: String
    private let channel: InprocChannel
    private let side: Int

    init(channel: InprocChannel, side: Int, localAddress: String, remoteAddress: String) {
        self.channel = channel
        self.side = side
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    func start(pipeID: UInt32, delegate: any PipeDelegate, onClose: @escaping @Sendable () -> Void) {
        channel.start(side: side, pipeID: pipeID, delegate: delegate, onClose: onClose)
    }

    func send(_ message: Message) -> PipeSendResult {
        channel.send(from: side, message)
    }

    func send(batch: inout Ring<Message>) -> PipeBatchSendResult {
        channel.send(from: side, batch: &batch)
    }

    var isRaw: Bool { false }

    func watchPendingOutput() -> Bool {
        channel.watchPendingOutput(side: side)
    }

    /// In-process links hold messages, not bytes.
    func footprint(_ report: @escaping @Sendable (_ readBuffer: Int, _ output: Int) -> Void) {
        report(0, 0)
    }

    func resumeReceiving() {
        channel.resume(receivingSide: side)
    }

    func close() {
        channel.close()
    }
}
