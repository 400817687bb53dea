import Testing

/// Every command-line rule, checked on the built binary: status 1, the message on standard error, a hint.
@Suite("mscat validation", .timeLimit(.minutes(1)))
struct ValidationTests {
    /// A command line and the message it must be refused with.
    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }

        init(_ arguments: String, _ message: String) {
            self.arguments = arguments.split(separator: " ").map(String.init)
            self.message = message
        }
    }

    static let address = "--listen ipc:///tmp/mscat-validation-unused.sock"

    static let cases: [Case] = [
        Case("", "no protocol given: use one of --req, --rep, --pub, --sub, --push, --pull, --bus, --pair, "
            + "--surveyor, --respondent"),
        Case("\(address) -D x", "no protocol given: use one of --req, --rep, --pub, --sub, --push, --pull, --bus, "
            + "--pair, --surveyor, --respondent"),
        Case("--req -D x", "no address given: use --dial URL or --listen URL"),
        Case("--req --rep \(address)", "only one protocol may be given (got --req and --rep)"),
        Case("--pull --pull0 \(address)", "only one protocol may be given (got --pull and --pull0)"),
        Case("--bogus", "unknown option '--bogus'"),
        Case("-Z 5", "unknown option '-Z'"),
        Case("--pull \(address) stray", "unexpected argument 'stray' (values follow their option, as in --data TEXT)"),
        Case("--pull \(address) --dial", "option '--dial' needs a value"),
        Case("--pull=yes \(address)", "option '--pull' takes no value"),
        Case("--pull \(address) -Ax", "option '-A' takes no value"),
        Case("--pull \(address) --count ten", "--count expects a whole number from 0 to 2147483647, not 'ten'"),
        Case("--pull \(address) -C -1", "-C expects a whole number from 0 to 2147483647, not '-1'"),
        Case("--pull \(address) --count 2147483648",
             "--count expects a whole number from 0 to 2147483647, not '2147483648'"),
        Case("--push \(address) -D x --interval 1s",
             "--interval expects seconds from 0 to 86400, as in 0.5, not '1s'"),
        Case("--push \(address) -D x -d 86401", "-d expects seconds from 0 to 86400, as in 0.5, not '86401'"),
        Case("--pull \(address) --recv-timeout .",
             "--recv-timeout expects seconds from 0 to 86400, as in 0.5, not '.'"),
        Case("--push \(address) -D x --send-timeout 1e3",
             "--send-timeout expects seconds from 0 to 86400, as in 0.5, not '1e3'"),
        Case("--pull \(address) --raw --hex", "only one output format may be given (got --raw and --hex)"),
        Case("--pull \(address) -Q --format ascii", "only one output format may be given (got -Q and --format ascii)"),
        Case("--pull \(address) --format xml", "--format expects one of no, raw, ascii, quoted, hex, not 'xml'"),
        Case("--bus \(address) -D x -F -", "data may be given only once (one --data or one --file)"),
        Case("--bus \(address) -D x --data y", "data may be given only once (one --data or one --file)"),
        Case("--pub \(address) -D x --subscribe a", "--subscribe works only with --sub, not --pub"),
        Case("--pull \(address) -D x", "--pull sends nothing: --data and --file are not allowed"),
        Case("--sub \(address) -F -", "--sub sends nothing: --data and --file are not allowed"),
        Case("--sub \(address) -i 1", "--sub sends nothing unprompted: --interval is not allowed"),
        Case("--pull \(address) --interval 1", "--pull sends nothing unprompted: --interval is not allowed"),
        Case("--rep \(address) -D x -i 1", "--rep sends nothing unprompted: --interval is not allowed"),
        Case("--respondent \(address) -i 1", "--respondent sends nothing unprompted: --interval is not allowed"),
        Case("--push \(address) -D x --ascii", "--push receives nothing: output formats are not allowed"),
        Case("--pub \(address) -D x --format no", "--pub receives nothing: output formats are not allowed"),
        Case("--push \(address)", "--push needs data to send: use --data TEXT or --file FILE"),
        Case("--pub \(address)", "--pub needs data to send: use --data TEXT or --file FILE"),
        Case("--req \(address)", "--req needs data to send: use --data TEXT or --file FILE"),
        Case("--surveyor \(address)", "--surveyor needs data to send: use --data TEXT or --file FILE"),
        Case("--bus \(address) -i 1", "--interval with --bus needs data to send: use --data TEXT or --file FILE"),
        Case("--pair \(address) -i 1", "--interval with --pair needs data to send: use --data TEXT or --file FILE"),
        Case("--pull \(address) --key /tmp/k.pem", "--key needs --cert (the certificate the key belongs to)"),
        Case("--pull \(address) --cacert=", "--cacert expects a file name"),
        Case("--pull \(address) --insecure=yes", "option '--insecure' takes no value"),
        Case("--pull \(address) --cert", "option '--cert' needs a value"),
    ]

    @Test("a bad command line exits 1 with one message and a hint", arguments: cases)
    func refused(_ refused: Case) async throws {
        let outcome = try await MSCatProcess.run(refused.arguments)
        #expect(outcome.status == 1)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errors == "mscat: \(refused.message)\nTry 'mscat --help' for more information.\n")
    }

    @Test("a data file that cannot be read exits 1 without the hint")
    func unreadableFile() async throws {
        let outcome = try await MSCatProcess.run(["--push", "--listen", MSCatProcess.uniqueAddress(),
                                                  "-F", "/nonexistent/mscat-data"])
        #expect(outcome.status == 1)
        #expect(outcome.errors == "mscat: cannot open /nonexistent/mscat-data: No such file or directory\n")
    }

    @Test("--help and -h print the usage on standard output and exit 0",
          arguments: [["--help"], ["-h"], ["--req", "--help", "--bogus"]])
    func help(_ arguments: [String]) async throws {
        let outcome = try await MSCatProcess.run(arguments)
        #expect(outcome.status == 0)
        #expect(outcome.output.hasPrefix("Usage: mscat <protocol> <address>..."))
        #expect(outcome.errors.isEmpty)
    }

    @Test("--version and -V print the version and exit 0", arguments: ["--version", "-V"])
    func version(_ option: String) async throws {
        let outcome = try await MSCatProcess.run([option])
        #expect(outcome.status == 0)
        #expect(outcome.output == "mscat 0.1.0 (MultiSocket)\n")
    }
}
