// The TalkWeb example's server, page and self-check, as a library: the `TalkWeb` tool runs them, and the
// tests drive the same page through headless Chromium.
import Foundation
import MultiSocketTalk
import Synchronization

struct Greeting: Codable { var name: String }
struct Reply: Codable { var greeting: String }
struct Question: Codable { var ask: String }
struct Description: Codable { var title: String; var items: Int }

/// What happened, printed as it happens and kept for the self-check's verdict.
public final class Journal: Sendable {
    /// An empty journal.
    public init() {}

    private let lines = Mutex<[String]>([])
    private let status = Mutex<CheckedContinuation<String, Never>?>(nil)
    private let reported = Mutex<String?>(nil)

    /// Prints `line` and keeps it.
    public func note(_ line: String) {
        print(line)
        lines.withLock { $0.append(line) }
    }

    /// Every line so far.
    public var all: [String] { lines.withLock { $0 } }

    /// The page's status, once it reports it.
    func pageStatus() async -> String {
        await withCheckedContinuation { continuation in
            if let value = reported.withLock({ $0 }) { return continuation.resume(returning: value) }
            status.withLock { $0 = continuation }
        }
    }

    func report(_ value: String) {
        reported.withLock { $0 = value }
        status.withLock { current in
            current?.resume(returning: value)
            current = nil
        }
    }
}

/// The Talk server: `greet` (which notifies the page twice and calls back into it), and the page's `status`.
public func makeServer(_ journal: Journal) -> Talk {
    let talk = Talk()
    talk.handle("greet") { (greeting: Greeting, request: TalkRequest) -> Reply in
        journal.note("server: greet from \(greeting.name)")
        try await request.notify("news", Array("the server is up".utf8))
        try await request.notify("news", Array("and it answers".utf8))
        // Call back into the page while answering it, after the answer is on its way.
        let talk = request.talk
        let peer = request.peer
        Task {
            do {
                let description = try await talk.call("page.describe", Question(ask: "what are you?"),
                                                      as: Description.self, options: TalkCallOptions(to: peer))
                journal.note("server: the page says its title is '\(description.title)' with \(description.items) items")
                try await talk.notify("served", Array("the server asked and you answered".utf8), to: peer)
            } catch {
                journal.note("server: calling the page failed: \(error)")
                try? await talk.notify("served", Array("error: \(error)".utf8), to: peer)
            }
        }
        return Reply(greeting: "hello, \(greeting.name)")
    }
    talk.onNotification("status") { note in
        let status = String(decoding: note.payload, as: UTF8.self)
        journal.note("server: the page reports status \(status)")
        journal.report(status)
    }
    return talk
}

/// Listens on `ws://HOST:PORT/talk`, serving the page at `/talk/` and the script at `/talk/multisocket.js`.
public func listen(_ talk: Talk, on hostPort: String) throws -> Address {
    var endpoint = EndpointOptions()
    var page = WebResources()
    page.add("", contentType: "text/html; charset=utf-8", body: Array(Page.html.utf8))
    page.add("index.html", contentType: "text/html; charset=utf-8", body: Array(Page.html.utf8))
    endpoint.webResources = TalkWebClient.resources(adding: page)
    return try talk.socket.listen("ws://\(hostPort)/talk", options: endpoint)
}

/// Headless Chromium showing `url` in real time (no virtual clock: the page's heartbeats and timeouts run
/// as they would for a person), with a profile of its own; ``stop()`` ends it.
final class Chromium: Sendable {
    private let stopBrowser: @Sendable () async -> Void
    private let profile: URL

    /// Starts the browser through `launch` (see ``selfCheck(journal:launch:)``).
    init(_ url: String, launch: (_ command: [String]) throws -> @Sendable () async -> Void) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("talkweb-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        stopBrowser = try launch(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                  "--no-first-run", "--user-data-dir=\(profile.path)", url])
    }

    /// Ends the browser, waits for it, and removes its profile.
    func stop() async {
        await stopBrowser()
        try? FileManager.default.removeItem(at: profile)
    }

    /// Starts `command` (its first element found on the PATH) with Foundation's `Process`, its output
    /// discarded; returns what ends it (SIGTERM) and waits for its exit on a thread of its own.
    static func launch(_ command: [String]) throws -> @Sendable () async -> Void {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    if process.isRunning { process.terminate() }
                    process.waitUntilExit()
                    continuation.resume()
                }
            }
        }
    }
}

/// Serves on a free port, runs headless Chromium through the page, prints what happened; `true` when the
/// page, the server's call into it and its notifications all succeeded.
/// `launch` starts the browser: it is given the command (`chromium` and its arguments, the program to be found
/// on the PATH), starts it with its output discarded, and returns what ends it and waits for its exit. `nil`
/// (the default) uses Foundation's `Process`; the tests pass their own launcher (Foundation's `Process.run()`
/// can crash on Linux when many processes come and go).
/// - Throws: what `launch` throws (no browser), or what listening on a free port throws.
public func selfCheck(journal: Journal = Journal(),
                      launch: ((_ command: [String]) throws -> @Sendable () async -> Void)? = nil)
    async throws -> Bool {
    let talk = makeServer(journal)
    let address = try listen(talk, on: "127.0.0.1:0")
    let url = "http://127.0.0.1:\(address.port ?? 0)/talk/"
    journal.note("serving \(url)")
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await talk.run() }
        let browser = try Chromium(url, launch: launch ?? Chromium.launch)
        // The page reports the data-status it set on its <body>; a page that never does fails after a minute.
        let timeout = Task {
            try await Task.sleep(for: .seconds(60))
            journal.report("no status from the page within 60 s")
        }
        let status = await journal.pageStatus()
        timeout.cancel()
        await browser.stop()
        await talk.close()
        try await group.waitForAll()
        journal.note("page: <body data-status=\"\(status)\">")
        let called = journal.all.contains { $0.hasPrefix("server: the page says") }
        let ok = status == "ok" && called
        print(ok ? "TalkWeb self-check: ok" : "TalkWeb self-check: FAILED")
        return ok
    }
}
