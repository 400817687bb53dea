/// What a pipe reports to the socket that owns it. Calls may come from any thread (the reactor thread
/// for stream transports, the sending task for inproc) and are made without any pipe lock held.
package protocol PipeDelegate: AnyObject, Sendable {
    /// A message arrived on pipe `pipeID`. Returns `false` when the receiver is full: the pipe then stops
    /// delivering until ``MessagePipe/resumeReceiving()`` is called.
    func pipe(_ pipeID: UInt32, received message: Message) -> Bool
    /// Messages arrived on pipe `pipeID`, oldest first; the delegate takes them all and leaves `messages`
    /// empty. Returns `false` when the receiver is full, as for one message.
    func pipe(_ pipeID: UInt32, received messages: inout Ring<Message>) -> Bool
    /// The pipe's outbound queue emptied after a send reported it busy or full.
    func pipeDrained(_ pipeID: UInt32)
    /// The pipe can send nothing more (its peer is gone for writing); it may still deliver what the peer
    /// sent before. Whoever waits to send through it gives up now.
    func pipeStoppedSending(_ pipeID: UInt32)
    /// A frame was rejected; for reasons that close the pipe, the close follows.
    func pipe(_ pipeID: UInt32, rejected reason: FrameError)
}
