import MultiSocketTalk
import MultiSocketTestSupport
import Testing

/// The ws listener's plain-HTTP files (``EndpointOptions/webResources``) beside its upgrades, on one port.
@Suite(.timeLimit(.minutes(1)))
struct TalkWebServingTests {
    /// Sends one HTTP request and returns the response header (as text) and body.
    private func get(_ port: UInt16, _ request: String) async throws -> (header: String, body: [UInt8]) {
        let client = try PlainClient(port: port)
        defer { client.close() }
        try client.write(Array(request.utf8))
        let header = String(decoding: await client.readHeader(), as: UTF8.self)
        let length = header.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingPrefix(" ")) } ?? 0
        let body = header.hasPrefix("HTTP/1.1 200") && !request.hasPrefix("HEAD") ? await client.read(count: length) : []
        return (header, body)
    }

    private func etag(_ header: String) -> String? {
        header.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }
            .map { String($0.dropFirst(5).trimmingPrefix(" ")) }
    }

    @Test func servesFilesWithETagsBesideUpgrades() async throws {
        let server = Talk()
        server.handle("echo") { $0.payload }
        var endpoint = EndpointOptions()
        var page = WebResources()
        page.add("", contentType: "text/html", body: Array("<p>page</p>".utf8))
        endpoint.webResources = TalkWebClient.resources(adding: page)
        let address = try server.socket.listen("ws://127.0.0.1:0/app", options: endpoint)
        let port = address.port ?? 0
        // Another path on the same port serves nothing over plain HTTP.
        _ = try server.socket.listen("ws://127.0.0.1:\(port)/other")
        let host = "Host: 127.0.0.1\r\n"
        try await withTimeout(20, "web serving") {
            try await running([server]) {
                let script = try await get(port, "GET /app/multisocket.js?v=1 HTTP/1.1\r\n\(host)\r\n")
                #expect(script.header.hasPrefix("HTTP/1.1 200 OK"))
                #expect(script.header.contains("Content-Type: text/javascript; charset=utf-8"))
                #expect(script.body == Array(TalkWebClient.source.utf8))
                let tag = try #require(etag(script.header))
                let cached = try await get(port, "GET /app/multisocket.js HTTP/1.1\r\n\(host)If-None-Match: \(tag)\r\n\r\n")
                #expect(cached.header.hasPrefix("HTTP/1.1 304 Not Modified"))
                #expect(etag(cached.header) == tag)
                let stale = try await get(port, "GET /app/multisocket.js HTTP/1.1\r\n\(host)If-None-Match: \"old\"\r\n\r\n")
                #expect(stale.header.hasPrefix("HTTP/1.1 200 OK"))
                let head = try await get(port, "HEAD /app/multisocket.js HTTP/1.1\r\n\(host)\r\n")
                #expect(head.header.hasPrefix("HTTP/1.1 200 OK"))
                #expect(head.header.contains("Content-Length: \(TalkWebClient.source.utf8.count)"))
                for path in ["/app", "/app/"] {
                    let index = try await get(port, "GET \(path) HTTP/1.1\r\n\(host)\r\n")
                    #expect(index.header.hasPrefix("HTTP/1.1 200 OK"))
                    #expect(index.body == Array("<p>page</p>".utf8))
                }
                // Files nobody serves, and listeners without files, are refused as before.
                for path in ["/app/missing.js", "/other/multisocket.js", "/other", "/nowhere/multisocket.js"] {
                    let refused = try await get(port, "GET \(path) HTTP/1.1\r\n\(host)\r\n")
                    #expect(refused.header.hasPrefix("HTTP/1.1 400") || refused.header.hasPrefix("HTTP/1.1 404"),
                            "\(path): \(refused.header)")
                }
                // The upgrade on the same path still works.
                let client = Talk()
                try await client.dial("ws://127.0.0.1:\(port)/app")
                try await running([client]) {
                    let echoed = try await client.call("echo", bytes("over ws"))
                    #expect(text(echoed) == "over ws")
                }
            }
        }
    }
}
