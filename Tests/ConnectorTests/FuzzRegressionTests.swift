import Foundation
import MultiSocketFuzzHarness
import Glibc
import MultiSocketConnector
import Testing

/// What the fuzzers (Fuzz/README.md) found, kept as ordinary tests, and their committed seed corpus replayed
/// through the same checks, so that `swift test` (and its sanitizer runs) exercise every seed.
@Suite
struct FuzzRegressionTests {
    /// Found by FuzzAddress: a host with a bracket outside the IPv6 literal syntax parsed, and its
    /// description (which brackets any host containing ':') did not parse back.
    @Test(arguments: [
        "ws://_]I:0:0", "ws://]Uzzzzzzzzz!I:0:0", "tcp://a]:b:80", "tcp://[[::1]:80", "tcp://a[b:1",
        "ws://[a[b]:1/x",
    ])
    func rejectsBracketInHost(text: String) {
        #expect(throws: MultiSocketError(.badAddress)) { try Address(text) }
    }

    /// Every address the parser accepts reads back from its description.
    @Test(arguments: ["tcp://::1:80", "tcp://[fe80::1%eth0]:9", "ws://[::1]:1/p?raw=true", "inproc://x://y:1",
                      "inproc://a]b", "ipc:///tmp/a?maxReceiveSize=none&RAW=1"])
    func descriptionParsesBack(text: String) throws {
        let address = try Address(text)
        #expect(try Address(address.description) == address)
    }

    /// The committed seeds of `area` pass the harness's checks.
    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusPasses(area: FuzzTarget) throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/\(area.rawValue)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!names.isEmpty)
        for name in names {
            let data = try contents(of: directory.appendingPathComponent(name).path)
            let outcome = data.withUnsafeBytes { bytes in Result { () throws(FuzzViolation) in try area.check(bytes) } }
            if case .failure(let violation) = outcome { Issue.record("\(area.rawValue)/\(name): \(violation)") }
        }
    }

    /// The bytes of the file at `path`, read with plain system calls (under the address sanitizer,
    /// `Data(contentsOf:)` reports a leak of its own).
    private func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0, "cannot open \(path)")
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            try #require(count >= 0, "cannot read \(path)")
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }
}
