import MultiSocketCatCore
import Testing

/// `Options.parse` as a pure function: what valid command lines turn into.
@Suite("mscat options", .timeLimit(.minutes(1)))
struct OptionsTests {
    private func options(_ arguments: [String]) throws -> Options {
        guard case .run(let options) = try Options.parse(arguments) else {
            Issue.record("\(arguments) did not parse to a run")
            throw OptionsError.noProtocol
        }
        return options
    }

    @Test("defaults follow nngcat: no output, no limits, send once")
    func defaults() throws {
        let parsed = try options(["--pull", "--listen", "ipc:///tmp/a"])
        #expect(parsed == Options(role: .pull, endpoints: [.listen("ipc:///tmp/a")]))
        #expect(parsed.format == .silent)
        #expect(parsed.count == 0)
        #expect(parsed.interval == nil)
        #expect(parsed.receiveTimeout == nil)
    }

    @Test("every option, in its long, short, attached and = forms")
    func everyOption() throws {
        let parsed = try options([
            "--bus0", "--dial", "tcp://127.0.0.1:5000", "--listen=ipc:///tmp/b", "--connect", "ipc:///tmp/c",
            "--bind", "ipc:///tmp/d", "-DTEXT", "-C", "7", "-i0.25", "--delay=.5", "--recv-timeout", "3",
            "--send-timeout", "1.5", "--format=hex", "--async",
        ])
        #expect(parsed == Options(
            role: .bus,
            endpoints: [.dial("tcp://127.0.0.1:5000"), .listen("ipc:///tmp/b"), .dial("ipc:///tmp/c"),
                        .listen("ipc:///tmp/d")],
            payload: .text("TEXT"), count: 7, interval: .milliseconds(250), delay: .milliseconds(500),
            receiveTimeout: .seconds(3), sendTimeout: .milliseconds(1500), format: .hex, dialsInBackground: true))
    }

    @Test("the TLS flags, as nngcat spells them, fill Options.tls")
    func tlsFlags() throws {
        let parsed = try options(["--req", "--dial", "tls+tcp://127.0.0.1:5000", "-D", "x", "--cacert", "/c/ca.pem",
                                  "--cert=/c/me.pem", "--key", "/c/me.key", "--insecure"])
        #expect(parsed.tls == TLSFlags(caCertificate: "/c/ca.pem", certificate: "/c/me.pem", key: "/c/me.key",
                                       insecure: true))
        let short = try options(["--rep", "--listen", "wss://[::1]:0/x", "-E/c/both.pem", "-k"])
        #expect(short.tls == TLSFlags(certificate: "/c/both.pem", insecure: true))
        #expect(try options(["--pull", "--dial", "tcp://127.0.0.1:5000"]).tls.isEmpty)
    }

    @Test("each role flag selects its role", arguments: Role.allCases)
    func roles(_ role: Role) throws {
        let data: [String] = [.pull, .sub].contains(role) ? [] : ["-D", "x"]
        #expect(try options([role.flag, "--dial", "inproc://x"] + data).role == role)
    }

    @Test("sub keeps every --subscribe prefix, in order; a value may start with '-'")
    func subscriptions() throws {
        let parsed = try options(["--sub", "--dial", "inproc://x", "--subscribe", "a", "--subscribe", "-b",
                                  "--subscribe="])
        #expect(parsed.subscriptions == ["a", "-b", ""])
    }

    @Test("format flags map to formats",
          arguments: [("--raw", Format.raw), ("-A", .ascii), ("--ascii", .ascii), ("-Q", .quoted),
                      ("--quoted", .quoted), ("--hex", .hex), ("--format=no", .silent)])
    func formats(_ flag: String, _ format: Format) throws {
        #expect(try options(["--pull", "--dial", "inproc://x", flag]).format == format)
    }

    @Test("-F keeps the path; '-' is standard input")
    func file() throws {
        #expect(try options(["--push", "--dial", "inproc://x", "-F", "-"]).payload == .file("-"))
        #expect(try options(["--push", "--dial", "inproc://x", "--file", "/tmp/f"]).payload == .file("/tmp/f"))
    }

    @Test("errors come as typed values")
    func typedErrors() {
        #expect(throws: OptionsError.multipleProtocols(first: "--req", second: "--rep")) {
            try Options.parse(["--req", "--rep"])
        }
        #expect(throws: OptionsError.dataRequired(.push)) { try Options.parse(["--push", "--dial", "inproc://x"]) }
        #expect(throws: OptionsError.invalidNumber(option: "--count", value: "",
                                                   expected: "a whole number from 0 to 2147483647")) {
            try Options.parse(["--count="])
        }
    }

    @Test("--help and --version win over what follows them")
    func helpAndVersion() throws {
        #expect(try Options.parse(["-h"]) == .help)
        #expect(try Options.parse(["--pull", "-V", "--bogus"]) == .version)
    }
}
