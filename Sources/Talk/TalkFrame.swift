/// One Talk message on the wire: the content of a multisocket message, whatever transport carries it.
///
/// Every Talk frame starts with the same 8-byte header, then a body whose layout depends on the kind
/// (DESIGN.md, "Talk", has the table):
///
/// ```
/// [0x54 'T'][version u8][kind u8][flags u8][id u32 BE]
/// request, notification:  [name length u8][name UTF-8][payload …]
/// streamOpen:             [name length u8][name UTF-8][window u32 BE][payload …]
/// retry:                  [after ms u32 BE][reason UTF-8 …]
/// credit:                 [bytes u32 BE]
/// hello, heartbeat:       [load u16 BE][interval ms u32 BE]
/// result, part, failure, unknownOperation, versionMismatch: [payload …]   end, cancel: nothing
/// ```
///
/// `id` is chosen by the caller and names one call or stream for its whole life; frames sent by the
/// handling side carry ``Flags/fromHandler``, so a peer that both calls and handles never confuses its
/// own ids with its callers'. Decoding validates every length against the bytes present and allocates
/// nothing a peer claims. Pure value code: runs on any thread.
public struct TalkFrame: Sendable, Hashable {
    /// What a frame is.
    public enum Kind: UInt8, Sendable, Hashable {
        /// The first frame on a link: version and heartbeat interval.
        case hello = 1
        /// A periodic liveness frame with the sender's load.
        case heartbeat = 2
        /// A call of a named operation with one payload.
        case request = 3
        /// A named one-way message, never answered.
        case notification = 4
        /// A call's result.
        case result = 5
        /// The handler threw: the payload is the error's text.
        case failure = 6
        /// No handler has the name in the payload.
        case unknownOperation = 7
        /// The handler is overloaded: try again after the given milliseconds.
        case retry = 8
        /// Opens a streaming call; the number is the window the caller grants for result parts.
        case streamOpen = 9
        /// One part of a stream, in order.
        case part = 10
        /// The end marker of the sender's direction of a stream.
        case end = 11
        /// Grants the peer this many more bytes of parts.
        case credit = 12
        /// The caller gave the call up: its handler is cancelled.
        case cancel = 13
        /// The peer speaks another version: the payload lists the versions the sender speaks.
        case versionMismatch = 14
    }

    /// Per-frame flags.
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The flags byte.
        public let rawValue: UInt8
        /// Creates flags from their byte.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Sent by the side handling the call (results, parts of a streaming result, credit for request parts).
        public static let fromHandler = Flags(rawValue: 1)
        /// On ``Kind/streamOpen``: the caller sends no request parts (a call with a streaming result).
        public static let requestComplete = Flags(rawValue: 2)
    }

    /// The first byte of every Talk frame, `T`.
    public static let magic: UInt8 = 0x54
    /// The Talk version this library speaks.
    public static let currentVersion: UInt8 = 1
    /// The bytes of the fixed header.
    public static let headerSize = 8
    /// The longest operation or notification name, in UTF-8 bytes.
    public static let maxNameLength = 255

    /// The sender's Talk version.
    public var version: UInt8
    /// What the frame is.
    public var kind: Kind
    /// Its flags.
    public var flags: Flags
    /// The call or stream it belongs to (0 for hello, heartbeat, notification).
    public var id: UInt32
    /// The operation or notification name (request, notification, streamOpen), else empty.
    public var name: String
    /// The number field: window (streamOpen), milliseconds (retry), bytes (credit), interval ms (hello,
    /// heartbeat); else 0.
    public var number: UInt32
    /// The load figure of a hello or heartbeat (0 idle … 65535 saturated), else 0.
    public var load: UInt16
    /// The payload.
    public var payload: [UInt8]

    /// Creates a frame of the current version.
    public init(_ kind: Kind, id: UInt32 = 0, flags: Flags = [], name: String = "", number: UInt32 = 0,
                load: UInt16 = 0, payload: [UInt8] = [], version: UInt8 = TalkFrame.currentVersion) {
        self.version = version
        self.kind = kind
        self.flags = flags
        self.id = id
        self.name = name
        self.number = number
        self.load = load
        self.payload = payload
    }

    private var hasName: Bool { kind == .request || kind == .notification || kind == .streamOpen }
    private var hasNumber: Bool { kind == .streamOpen || kind == .retry || kind == .credit || hasLoad }
    private var hasLoad: Bool { kind == .hello || kind == .heartbeat }

    /// The frame's bytes. Names longer than ``maxNameLength`` are refused before anything is sent.
    /// - Throws: ``TalkError`` `badPayload` for an over-long name.
    public func encoded() throws(TalkError) -> [UInt8] {
        var bytes: [UInt8] = []
        let nameBytes = Array(name.utf8)
        if hasName && nameBytes.count > Self.maxNameLength {
            throw TalkError(.badPayload, "name of \(nameBytes.count) bytes is longer than \(Self.maxNameLength)")
        }
        bytes.reserveCapacity(Self.headerSize + 1 + nameBytes.count + 6 + payload.count)
        bytes.append(contentsOf: [Self.magic, version, kind.rawValue, flags.rawValue])
        Self.append(id, to: &bytes)
        if hasName {
            bytes.append(UInt8(nameBytes.count))
            bytes.append(contentsOf: nameBytes)
        }
        if hasLoad { bytes.append(contentsOf: [UInt8(load >> 8), UInt8(load & 0xFF)]) }
        if hasNumber { Self.append(number, to: &bytes) }
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Decodes `bytes`, or returns `nil` when they are not a well-formed Talk frame (too short, wrong
    /// magic, unknown kind, a name running past the end or not UTF-8). A frame of another version decodes
    /// its header only: `kind` and `id` are read, everything after the header is left in `payload`
    /// (so the receiver can answer ``Kind/versionMismatch``); an unknown kind of another version decodes as
    /// ``Kind/hello``.
    public static func decode(_ bytes: [UInt8]) -> TalkFrame? {
        guard bytes.count >= headerSize, bytes[0] == magic else { return nil }
        let id = readUInt32(bytes, at: 4)
        let flags = Flags(rawValue: bytes[3])
        guard bytes[1] == currentVersion else {
            return TalkFrame(Kind(rawValue: bytes[2]) ?? .hello, id: id, flags: flags,
                             payload: Array(bytes[headerSize...]), version: bytes[1])
        }
        guard let kind = Kind(rawValue: bytes[2]) else { return nil }
        var frame = TalkFrame(kind, id: id, flags: flags)
        var at = headerSize
        if frame.hasName {
            guard at < bytes.count else { return nil }
            let length = Int(bytes[at])
            at += 1
            guard bytes.count - at >= length,
                  let name = String(validating: bytes[at..<at + length], as: UTF8.self) else { return nil }
            frame.name = name
            at += length
        }
        if frame.hasLoad {
            guard bytes.count - at >= 2 else { return nil }
            frame.load = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
            at += 2
        }
        if frame.hasNumber {
            guard bytes.count - at >= 4 else { return nil }
            frame.number = readUInt32(bytes, at: at)
            at += 4
        }
        frame.payload = Array(bytes[at...])
        return frame
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF),
                                  UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    private static func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
            | UInt32(bytes[index + 3])
    }
}
