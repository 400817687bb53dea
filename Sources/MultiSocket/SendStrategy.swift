/// What ``Socket/send(_:)-([UInt8])`` does, and whether the socket sends at all.
public enum SendStrategy: Sendable, Hashable {
    /// `send` goes to one peer: the next idle pipe takes it (fair by load).
    case toOne
    /// `send` goes to every peer, like ``Socket/sendAll(_:)``.
    case toAll
    /// Only path-addressed sends (``Socket/sendTo(_:_:)-(_,[UInt8])``) and ``Socket/sendAll(_:)``; `send` is refused.
    case toDest
    /// The socket never sends; every send is refused with ``/MultiSocketConnector/MultiSocketError/Code/notSupported``.
    case none
}
