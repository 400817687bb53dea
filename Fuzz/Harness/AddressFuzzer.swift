import MultiSocketConnector

/// Area (d): the transport address parser.
///
/// Input: the address text (invalid UTF-8 is repaired the way `String(decoding:as:)` does). Parsing
/// either throws `badAddress` / `unsupportedScheme` or yields an address of a registered scheme, in the
/// shape of its form (a network address: a host without brackets and a path that starts with `/`; a local
/// one: a non-empty path), with a query whose options apply, and whose description parses back to the
/// same address and describes itself the same way.
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
        try FuzzViolation.check(Transports.schemes.contains(address.scheme), "scheme '\(address.scheme)'")
        if address.port != nil {
            let host = address.host ?? ""
            try FuzzViolation.check(!host.isEmpty && !host.contains("[") && !host.contains("]"), "host '\(host)'")
            try FuzzViolation.check(address.path.isEmpty || address.path.hasPrefix("/"), "path '\(address.path)'")
            if address.scheme == "ws" {
                let unfit = address.path.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "#") }
                try FuzzViolation.check(!unfit, "ws path '\(address.path)' cannot go in a request line")
            }
        } else {
            try FuzzViolation.check(address.host == nil, "a local address with a host")
            try FuzzViolation.check(!address.path.isEmpty && !address.path.contains("?"), "path '\(address.path)'")
            if address.scheme == "ipc" {
                try FuzzViolation.check(address.path.utf8.count < 108, "ipc path '\(address.path)'")
            }
        }
        do {
            _ = try EndpointOptions().applying(address.query)
        } catch {
            throw FuzzViolation("'\(text)' parsed with a query that does not apply: \(error)")
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
