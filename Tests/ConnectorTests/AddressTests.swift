import MultiSocketConnector
import Testing

/// Address parsing (reference §3.7): one value with scheme, host, port, path and query, checked by the
/// scheme's transport; `description` gives back text that parses to the same address.
@Suite
struct AddressTests {
    private static func tcp(_ host: String, _ port: UInt16, query: [Address.QueryItem] = []) -> Address {
        Address(scheme: "tcp", host: host, port: port, query: query)
    }

    @Test func parsesTCPHostAndPort() throws {
        #expect(try Address("tcp://127.0.0.1:5555") == Self.tcp("127.0.0.1", 5555))
        #expect(try Address("tcp://localhost:0") == Self.tcp("localhost", 0))
        #expect(try Address("TCP://example.org:65535") == Self.tcp("example.org", 65535))
        let address = try Address("tcp://127.0.0.1:5555")
        #expect(address.scheme == "tcp" && address.host == "127.0.0.1" && address.port == 5555)
        #expect(address.path.isEmpty && address.query.isEmpty)
    }

    @Test func parsesWildcardHost() throws {
        let address = try Address("tcp://*:80")
        #expect(address == Self.tcp("*", 80))
        #expect("\(address)" == "tcp://*:80")
    }

    @Test func parsesIPv6Literal() throws {
        let address = try Address("tcp://[::1]:8080")
        #expect(address == Self.tcp("::1", 8080))
        #expect("\(address)" == "tcp://[::1]:8080")
    }

    @Test(arguments: ["tcp://127.0.0.1", "tcp://host:", "tcp://:80", "tcp://[::1]", "tcp://[::1]80", "tcp://h:1/x"])
    func rejectsMissingHostOrPortOrAPath(text: String) {
        #expect(throws: MultiSocketError(.badAddress)) { try Address(text) }
    }

    @Test(arguments: ["tcp://h:65536", "tcp://h:-1", "tcp://h:http", "tcp://h:12a", "tcp://h:99999999999"])
    func rejectsBadPort(text: String) {
        #expect(throws: MultiSocketError(.badAddress)) { try Address(text) }
    }

    @Test(arguments: ["udp://h:1", "wsx://h:1/x", "tls+udp://h:1", "inproc.channel://x", "://x"])
    func rejectsUnknownScheme(text: String) {
        #expect(throws: MultiSocketError(.unsupportedScheme)) { try Address(text) }
    }

    /// The error lists the schemes registered, built-in or not.
    @Test func unknownSchemeListsTheRegisteredSchemes() {
        do {
            _ = try Address("udp://h:1")
            Issue.record("udp parsed")
        } catch {
            #expect(error.code == .unsupportedScheme)
            for scheme in ["inproc", "ipc", "tcp", "ws"] { #expect(error.context.contains("\"\(scheme)\"")) }
            #expect(Transports.schemes.allSatisfy { error.context.contains("\"\($0)\"") })
        }
    }

    @Test(arguments: ["tcp:/h:1", "127.0.0.1:80", "", "ipc:/tmp/x"])
    func rejectsMissingSeparator(text: String) {
        #expect(throws: MultiSocketError(.badAddress)) { try Address(text) }
    }

    @Test func parsesIPCAndInproc() throws {
        #expect(try Address("ipc:///tmp/a.sock") == Address(scheme: "ipc", path: "/tmp/a.sock"))
        #expect(try Address("inproc://name") == Address(scheme: "inproc", path: "name"))
        #expect(try Address("inproc://a:5/b") == Address(scheme: "inproc", path: "a:5/b"))
        #expect("\(try Address("ipc:///tmp/a.sock"))" == "ipc:///tmp/a.sock")
        #expect(throws: MultiSocketError(.badAddress)) { try Address("ipc://") }
        #expect(throws: MultiSocketError(.badAddress)) { try Address("inproc://") }
        #expect(throws: MultiSocketError(.badAddress)) { try Address("inproc://?raw=false") }
    }

    @Test func parsesWebSocketAddresses() throws {
        func ws(_ host: String, _ port: UInt16, _ path: String) -> Address {
            Address(scheme: "ws", host: host, port: port, path: path)
        }
        #expect(try Address("ws://127.0.0.1:4000/path") == ws("127.0.0.1", 4000, "/path"))
        #expect(try Address("WS://h:1/a/b?raw=true") == Address(
            scheme: "ws", host: "h", port: 1, path: "/a/b", query: [.init(name: "raw", value: "true")]))
        #expect(try Address("ws://h:1") == ws("h", 1, "/"))
        #expect(try Address("ws://*:80/x") == ws("*", 80, "/x"))
        #expect(try Address("ws://[::1]:8080/x") == ws("::1", 8080, "/x"))
        for text in ["ws://127.0.0.1:4000/path", "ws://h:1/", "ws://*:80/x", "ws://[::1]:8080/a/b?maxReceiveSize=10"] {
            #expect("\(try Address(text))" == text)
            #expect(try Address("\(try Address(text))") == Address(text))
        }
    }

    @Test(arguments: ["ws://h/x", "ws://:1/x", "ws://h:x/y", "ws://h:1/a b", "ws://h:1/a#f", "ws://[::1]/x",
                      "ws://h:1/a/b?x=1"])
    func rejectsBadWebSocketAddresses(text: String) {
        #expect(throws: MultiSocketError(.badAddress)) { try Address(text) }
    }

    @Test func rejectsIPCPathLongerThanSunPath() throws {
        let longest = "/tmp/" + String(repeating: "a", count: 102)  // 107 bytes: fits with the NUL
        #expect(try Address("ipc://" + longest) == Address(scheme: "ipc", path: longest))
        #expect(throws: MultiSocketError(.badAddress)) { try Address("ipc://" + longest + "b") }
        #expect(throws: MultiSocketError(.badAddress)) {
            try Address("ipc:///tmp/" + String(repeating: "x", count: 300))
        }
    }

    // MARK: The query: per-endpoint options

    @Test func queryCarriesEndpointOptions() throws {
        let address = try Address("tcp://127.0.0.1:5555?maxReceiveSize=1048576&raw=true")
        #expect(address.endpoint == Self.tcp("127.0.0.1", 5555))
        #expect(address.query == [.init(name: "maxReceiveSize", value: "1048576"), .init(name: "raw", value: "true")])
        #expect("\(address)" == "tcp://127.0.0.1:5555?maxReceiveSize=1048576&raw=true")
        let options = try EndpointOptions().applying(address.query)
        #expect(options.maxReceiveSize == 1_048_576)
        #expect(options.raw)
        #expect(options.tcpNoDelay, "fields the query does not name keep their value")
    }

    /// Every option has a query name (case-insensitive), and each kind of value parses.
    @Test func everyOptionParsesFromTheQuery() throws {
        let text = "tcp://h:1?reconnect=false&minReconnectInterval=250ms&maxReconnectInterval=none"
            + "&MAXRECEIVESIZE=none&raw=1&tcpNoDelay=false&tcpKeepAlive=0&partialFrameTimeout=2s&acceptBacklog=7"
        let options = try EndpointOptions().applying(try Address(text).query)
        #expect(options == EndpointOptions(
            reconnect: false, minReconnectInterval: .milliseconds(250), maxReconnectInterval: nil,
            maxReceiveSize: nil, raw: true, tcpNoDelay: false, tcpKeepAlive: false,
            partialFrameTimeout: .seconds(2), acceptBacklog: 7))
        let units = try EndpointOptions().applying([.init(name: "partialFrameTimeout", value: "3m"),
                                                    .init(name: "minReconnectInterval", value: "5us")])
        #expect(units.partialFrameTimeout == .seconds(180))
        #expect(units.minReconnectInterval == .microseconds(5))
    }

    /// Unknown names and bad values are `badAddress`, and the reason names the option, the value and what
    /// was expected.
    @Test(arguments: [
        ("tcp://h:1?colour=blue", "unknown option 'colour'"),
        ("tcp://h:1?raw=yes", "option 'raw' has value 'yes'; expected true or false"),
        ("tcp://h:1?maxReceiveSize=-1", "option 'maxReceiveSize' has value '-1'; expected a whole number"),
        ("tcp://h:1?maxReceiveSize=1k", "option 'maxReceiveSize' has value '1k'"),
        ("tcp://h:1?partialFrameTimeout=5", "expected a duration such as 250ms"),
        ("tcp://h:1?minReconnectInterval=none", "option 'minReconnectInterval' has value 'none'"),
        ("tcp://h:1?acceptBacklog=0", "option 'acceptBacklog' has value '0'; expected a whole number from 1"),
        ("tcp://h:1?raw=true&raw=false", "option 'raw' is given twice"),
        ("tcp://h:1?raw", "query item 'raw' is not name=value"),
        ("tcp://h:1?", "query item '' is not name=value"),
        ("inproc://x?raw=true", "raw pipes need a stream transport"),
    ])
    func badQueryIsABadAddressWithTheReason(text: String, reason: String) {
        do {
            _ = try Address(text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.code == .badAddress)
            #expect(error.context.contains(reason), "\(error.context)")
        }
    }
}
