/// Which sockets a throughput run uses.
public enum PerfPattern: String, Sendable, CaseIterable {
    /// The bare ``Socket``: send to one peer, receive from all.
    case socket
    /// ``Push`` sending to ``Pull``.
    case pushpull
}
