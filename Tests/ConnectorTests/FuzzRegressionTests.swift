import MultiSocketConnector
import Testing

/// What the fuzzers (Fuzz/README.md) found, kept as ordinary tests.
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
    @Test(arguments: ["tcp://::1:80", "tcp://[fe80::1%eth0]:9", "ws://[::1]:1/p?q", "tcp://x://y:1", "inproc://a]b"])
    func descriptionParsesBack(text: String) throws {
        let address = try Address(text)
        #expect(try Address(address.description) == address)
    }
}
