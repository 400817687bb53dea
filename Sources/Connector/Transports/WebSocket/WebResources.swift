/// Files a ws listener serves over plain HTTP on its own port, beside its WebSocket upgrades: a `GET` of
/// `<listener path>/<name>` without an upgrade is answered `200` with the file, or `304 Not Modified` when
/// its `If-None-Match` names the file's ETag; each answer closes its connection. What Talk's browser client
/// (`multisocket.js`) and a page using it are served with (``EndpointOptions/webResources``).
///
/// A value: built once, shared by every connection; lookups run on the listener's reactor thread.
public struct WebResources: Sendable, Hashable {
    /// One file.
    public struct File: Sendable, Hashable {
        /// Its `Content-Type`.
        public let contentType: String
        /// Its bytes.
        public let body: [UInt8]
        /// Its strong ETag, quoted: the SHA-1 of the body, in hex.
        public let etag: String

        /// A file with `contentType` and `body`; its ETag is derived from the body.
        public init(contentType: String, body: [UInt8]) {
            self.contentType = contentType
            self.body = body
            etag = "\"" + SHA1.hash(body).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined() + "\""
        }
    }

    /// The files by name (`""` is the listener's path itself, with or without a trailing `/`).
    public var files: [String: File] = [:]

    /// No files.
    public init() {}

    /// Adds or replaces the file `name` (no leading `/`).
    public mutating func add(_ name: String, contentType: String, body: [UInt8]) {
        files[name] = File(contentType: contentType, body: body)
    }

    /// The HTTP response to a `GET` of file `name` with the request's `If-None-Match` value, or `nil` when
    /// there is no such file.
    func response(for name: String, ifNoneMatch: String?) -> [UInt8]? {
        guard let file = files[name] else { return nil }
        let matches = ifNoneMatch.map { value in
            value.split(separator: ",").contains { tag in
                let trimmed = tag.trimmingPrefix(" ").trimmingPrefix("W/")
                return trimmed == file.etag || trimmed == "*"
            }
        } ?? false
        var head = matches ? "HTTP/1.1 304 Not Modified\r\n" : "HTTP/1.1 200 OK\r\n"
        head += "ETag: \(file.etag)\r\nCache-Control: no-cache\r\nConnection: close\r\n"
        if matches { return Array((head + "\r\n").utf8) }
        head += "Content-Type: \(file.contentType)\r\nContent-Length: \(file.body.count)\r\n\r\n"
        return Array(head.utf8) + file.body
    }
}
