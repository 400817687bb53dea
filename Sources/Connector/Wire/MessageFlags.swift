/// The flag bits of a frame's first byte (the high six bits; the low two are the ``SendType``).
public struct MessageFlags: OptionSet, Sendable, Hashable {
    /// The raw bit pattern; the two low bits are always zero.
    public let rawValue: UInt8

    /// Creates flags from bits; the send-type bits (0x03) are masked off.
    @inlinable
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0xFC
    }

    /// Socket-internal message; receivers drop it silently.
    @inlinable public static var `internal`: MessageFlags { MessageFlags(rawValue: 0x04) }
    /// Declared by the Go library as "do not record the source"; carried but not acted on.
    @inlinable public static var noSource: MessageFlags { MessageFlags(rawValue: 0x08) }
    /// Synthesised from a raw (non-multisocket) pipe; never forwarded to framed peers.
    @inlinable public static var raw: MessageFlags { MessageFlags(rawValue: 0x10) }
    /// Free for protocols (for example keep-alives); passed through untouched.
    @inlinable public static var control: MessageFlags { MessageFlags(rawValue: 0x20) }
}
