/// How `mscat` prints the messages it receives (nngcat's formats, except msgpack).
///
/// ``silent`` is the default, as in nngcat: messages are received but nothing is printed until a format is
/// chosen. Printable means printable ASCII (0x20–0x7E).
public enum Format: String, Sendable, CaseIterable {
    /// Prints nothing (`--format no`, the default).
    case silent = "no"
    /// Writes the content bytes as they are, with nothing between messages (`--raw`).
    case raw
    /// Writes printable bytes as they are and every other byte as `.`, one message per line (`--ascii`, `-A`).
    case ascii
    /// Writes a C string literal: `"…"` with `\n`, `\r`, `\t`, `\"`, `\\` escaped and any other unprintable
    /// byte as `\xNN`, one message per line (`--quoted`, `-Q`).
    case quoted
    /// Writes a C string literal of `\xNN` escapes, one per byte, one message per line (`--hex`).
    case hex

    /// The bytes to write for a message with `content`.
    public func render(_ content: [UInt8]) -> [UInt8] {
        switch self {
        case .silent:
            return []
        case .raw:
            return content
        case .ascii:
            return content.map { Self.isPrintable($0) ? $0 : UInt8(ascii: ".") } + [UInt8(ascii: "\n")]
        case .quoted:
            return Self.literal(content) { byte in
                switch byte {
                case UInt8(ascii: "\n"): Array(#"\n"#.utf8)
                case UInt8(ascii: "\r"): Array(#"\r"#.utf8)
                case UInt8(ascii: "\t"): Array(#"\t"#.utf8)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): [UInt8(ascii: "\\"), byte]
                default: Self.isPrintable(byte) ? [byte] : Self.hexEscape(byte)
                }
            }
        case .hex:
            return Self.literal(content, Self.hexEscape)
        }
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x20...0x7E).contains(byte)
    }

    private static func literal(_ content: [UInt8], _ escape: (UInt8) -> [UInt8]) -> [UInt8] {
        var line: [UInt8] = [UInt8(ascii: "\"")]
        line.reserveCapacity(content.count * 4 + 3)
        for byte in content { line += escape(byte) }
        return line + [UInt8(ascii: "\""), UInt8(ascii: "\n")]
    }

    private static func hexEscape(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }
}
