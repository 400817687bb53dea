import MultiSocketConnector

/// Area (d): the transport address parser.
///
/// Input: the address text (invalid UTF-8 is repaired the way `String(decoding:as:)` does). Parsing
/// either throws `badAddress` / `unsupportedScheme` or yields an address whose description parses back
/// to the same address and describes itself the same way.
package enum AddressFuzzer {
    /// Checks `data`; throws the first property that did not hold.
    package static func run(_ data: UnsafeRawBufferPointer) throws(FuzzViolation) {
        let text = String(decoding: data, as: UTF8.self)
        let address: Address
        do {
            address = try Address(text)
        } catch {
            try FuzzViolation.check(error.code == .badAddress || error.code == .unsupportedScheme,
                                    "'\(text)' rejected with \(error.code)")
            return
        }
        switch address {
        case .ipc(let path):
            try FuzzViolation.check(!path.isEmpty && path.utf8.count < 108, "ipc path '\(path)'")
        case .inproc(let name):
            try FuzzViolation.check(!name.isEmpty, "empty inproc name")
        case .tcp(let host, _):
            try FuzzViolation.check(host.map { !$0.isEmpty } ?? true, "empty tcp host")
        case .ws(let host, _, let path):
            try FuzzViolation.check(host.map { !$0.isEmpty } ?? true, "empty ws host")
            try FuzzViolation.check(path.hasPrefix("/"), "ws path '\(path)'")
            try FuzzViolation.check(!path.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "#") },
                                    "ws path '\(path)' cannot go in a request line")
        }
        let description = address.description
        let reparsed: Address
        do {
            reparsed = try Address(description)
        } catch {
            throw FuzzViolation("'\(text)' parsed to \(address), whose description does not parse: \(error)")
        }
        try FuzzViolation.check(reparsed == address, "'\(text)' parsed to \(address); its description to \(reparsed)")
        try FuzzViolation.check(reparsed.description == description, "description changed on reparsing")
    }
}
