/// The delegate of a connection refused by the pipe veto while its refusal (``PeerRefusal``) is written: it
/// drops whatever the peer sends and closes the link once the refusal has left (its output drained), so the
/// close is the link's lingering close and the refusal is not lost to a reset. Runs on the link's reactor.
final class RefusedPipeDelegate: PipeDelegate {
    private let link: any PipeLink

    /// Starts `link` as pipe `pipeID`, writes the refusal for `reason`, and closes the link when it has left;
    /// `onClose` runs when the link has closed.
    static func refuse(_ link: any PipeLink, pipeID: UInt32, reason: String,
                       onClose: @escaping @Sendable () -> Void) {
        link.start(pipeID: pipeID, delegate: RefusedPipeDelegate(link), onClose: onClose)
        guard case .accepted = link.send(PeerRefusal.message(reason: reason)), link.watchPendingOutput() else {
            link.close()
            return
        }
    }

    private init(_ link: any PipeLink) {
        self.link = link
    }

    func pipe(_ pipeID: UInt32, received message: Message) -> Bool { true }

    func pipe(_ pipeID: UInt32, received messages: inout Ring<Message>) -> Bool {
        _ = messages.removeAll()
        return true
    }

    /// The refusal has left: close.
    func pipeDrained(_ pipeID: UInt32) {
        link.close()
    }

    func pipeStoppedSending(_ pipeID: UInt32) {
        link.close()
    }

    func pipe(_ pipeID: UInt32, rejected reason: FrameError) {}
}
