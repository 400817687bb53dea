import Logging
import MultiSocketProtocols

extension Logger {
    /// Logs `event` as one record: pipes coming and going at `info`, failures at `warning`, retries and drops
    /// at `debug` (a busy socket drops often and says so in its statistics), each with its facts as metadata.
    public func log(_ event: SocketEvent) {
        switch event {
        case .pipeAdded(let pipe):
            info("pipe added", metadata: ["pipe": "\(pipe.id)", "address": "\(pipe.address)",
                                          "remote": "\(pipe.remoteAddress)"])
        case .pipeRemoved(let pipe):
            info("pipe removed", metadata: ["pipe": "\(pipe.id)", "address": "\(pipe.address)"])
        case .pipeRefused(let pipe, let reason):
            warning("pipe refused", metadata: ["pipe": "\(pipe.id)", "reason": "\(reason)"])
        case .dialFailed(let address, let error):
            warning("dial failed", metadata: ["address": "\(address)", "error": "\(error)"])
        case .reconnectScheduled(let address, let delay):
            debug("reconnect scheduled", metadata: ["address": "\(address)", "after": "\(delay)"])
        case .frameRejected(let pipeID, let reason):
            warning("frame rejected", metadata: ["pipe": "\(pipeID)", "reason": "\(reason)"])
        case .handshakeRejected(let address, let peer, let error):
            warning("handshake rejected", metadata: ["address": "\(address)", "peer": "\(peer ?? "?")",
                                                     "error": "\(error)"])
        case .messageDropped(let reason):
            debug("message dropped", metadata: ["reason": "\(reason)"])
        case .handlerFailed(let path, let error):
            warning("handler failed", metadata: ["path": "\(path)", "error": "\(error)"])
        @unknown default:
            debug("socket event", metadata: ["event": "\(event)"])
        }
    }

    /// Logs every event of `events` (from `socket.events()`, taken before the socket dials or listens so that
    /// nothing is missed) until the socket closes. Run it in a task of its own: it returns when the sequence
    /// ends; cancelling the task stops it.
    public func log(events: AsyncStream<SocketEvent>) async {
        for await event in events {
            log(event)
        }
    }
}
