/// The content of the socket-internal refusal a listener writes on a connection its pipe veto refused, before
/// closing it: `"MSR"` and the veto's reason in UTF-8 (at most ``maxReasonLength`` bytes), so the dialer learns
/// why. Peers that do not know it (the Go library, older versions) drop it as they drop every internal
/// message; the SP wire does not carry it (internal messages are not written there).
///
/// Pure functions, any thread.
package enum PeerRefusal {
    /// The first bytes of every refusal ("MSR": a hello starts "MS" and version 1).
    package static let magic: [UInt8] = [0x4D, 0x53, 0x52]
    /// The most reason bytes sent; a longer reason is cut.
    package static let maxReasonLength = 512

    /// The internal message refusing a connection for `reason`.
    package static func message(reason: String) -> Message {
        Message(content: magic + Array(reason.utf8.prefix(maxReasonLength)), flags: .internal, ttl: 1)
    }

    /// The reason `message` carries, or `nil` when it is not a refusal.
    package static func reason(in message: Message) -> String? {
        let content = message.content
        guard message.flags.contains(.internal), content.count >= magic.count,
              content[0] == magic[0], content[1] == magic[1], content[2] == magic[2] else { return nil }
        return String(decoding: content[magic.count...], as: UTF8.self)
    }
}
