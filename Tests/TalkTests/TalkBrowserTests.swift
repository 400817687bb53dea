import Foundation
import MultiSocketTalk
import MultiSocketTestSupport
import MultiSocketTalkWebKit
import Testing

/// The TalkWeb page in a real browser: Debian's `chromium`, headless (CI installs it; missing, the test fails).
@Suite(.timeLimit(.minutes(2)))
struct TalkBrowserTests {
    @Test func pageTalksWithTheServerInChromium() async throws {
        let found = ["/usr/bin/chromium", "/usr/local/bin/chromium"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(found, "chromium is required (apt-get install -y chromium)")
        let journal = Journal()
        let ok = try await withTimeout(90, "chromium self-check") { try await selfCheck(journal: journal, launch: Self.launch) }
        let lines = journal.all
        #expect(ok, "\(lines)")
        // The page's call reached the server.
        #expect(lines.contains("server: greet from page"))
        // The server's call into the page was answered by the page.
        #expect(lines.contains { $0.hasPrefix("server: the page says its title is 'Talk from a page'") })
        // The page saw its greeting, both notifications and the server's notification after the call back, and
        // sets data-status="ok" on its body, which it reports to the server.
        #expect(lines.contains("page: <body data-status=\"ok\">"))
        #expect(lines.contains("server: the page reports status ok"))
    }

    /// Starts the browser as a ``ChildProcess`` (output discarded); what it returns ends it and waits for it.
    static func launch(_ command: [String]) throws -> @Sendable () async -> Void {
        let browser = try ChildProcess(command[0], Array(command.dropFirst()), output: .null, errors: .null)
        return {
            browser.terminate()
            _ = try? await browser.waitUntilExit()
        }
    }
}
