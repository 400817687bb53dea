/// A validated `mscat` command line: the role, where to connect, what to send and how to print.
///
/// Build it with ``parse(_:)``, which applies nngcat's rules. Values follow their option as the next argument
/// (`--dial URL`, `-D TEXT`), after `=` for long options (`--dial=URL`) or attached to short ones (`-DTEXT`).
public struct Options: Sendable, Equatable {
    /// An address to connect, in command-line order.
    public enum Endpoint: Sendable, Equatable {
        /// `--dial URL`: connect to a listener (and reconnect when the connection is lost).
        case dial(String)
        /// `--listen URL`: accept connections.
        case listen(String)
    }

    /// Where the data to send comes from.
    public enum Payload: Sendable, Equatable {
        /// `--data TEXT`: the text's UTF-8 bytes.
        case text(String)
        /// `--file PATH`: the file's bytes; `-` reads standard input to its end.
        case file(String)
    }

    /// The protocol spoken.
    public var role: Role
    /// The addresses to dial and listen on, in order.
    public var endpoints: [Endpoint]
    /// The data to send, if any.
    public var payload: Payload?
    /// How many iterations (sends, exchanges or receives, by role); 0 means no limit.
    public var count: Int
    /// Send again after this long (`--interval`); `nil` sends once unless ``count`` says otherwise.
    public var interval: Duration?
    /// Wait this long before the first send (`--delay`).
    public var delay: Duration
    /// The `--subscribe` prefixes, for ``Role/sub``; none means everything.
    public var subscriptions: [String]
    /// Stop receiving when no message arrives for this long (`--recv-timeout`); `nil` waits forever.
    public var receiveTimeout: Duration?
    /// Fail a send that cannot go out for this long (`--send-timeout`); `nil` waits forever.
    public var sendTimeout: Duration?
    /// How received messages are printed.
    public var format: Format
    /// Dial in the background (`--async`) instead of failing when the first attempt fails.
    public var dialsInBackground: Bool
    /// The TLS flags (`--cacert`, `--cert`, `--key`, `--insecure`) for the TLS endpoints.
    public var tls: TLSFlags

    /// Creates options; everything but the role and endpoints has nngcat's default.
    public init(role: Role, endpoints: [Endpoint], payload: Payload? = nil, count: Int = 0,
                interval: Duration? = nil, delay: Duration = .zero, subscriptions: [String] = [],
                receiveTimeout: Duration? = nil, sendTimeout: Duration? = nil, format: Format = .silent,
                dialsInBackground: Bool = false, tls: TLSFlags = TLSFlags()) {
        self.role = role
        self.endpoints = endpoints
        self.payload = payload
        self.count = count
        self.interval = interval
        self.delay = delay
        self.subscriptions = subscriptions
        self.receiveTimeout = receiveTimeout
        self.sendTimeout = sendTimeout
        self.format = format
        self.dialsInBackground = dialsInBackground
        self.tls = tls
    }

    /// Parses and validates the arguments that follow the program name.
    ///
    /// `--help` and `--version` are answered as soon as they are met; errors in the arguments before them are
    /// reported first.
    /// - Throws: ``OptionsError`` for the first thing wrong.
    public static func parse(_ arguments: [String]) throws(OptionsError) -> Command {
        var draft = Draft()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            let (name, attached) = try split(argument)
            guard let option = table[name] else { throw .unknownOption(name) }
            if !option.takesValue, attached != nil { throw .unexpectedValue(option: name) }
            var value = ""
            if option.takesValue {
                guard let given = attached ?? rest.popFirst() else { throw .missingValue(option: name) }
                value = given
            }
            switch option {
            case .help: return .help
            case .version: return .version
            default: try draft.apply(option, name: name, value: value)
            }
        }
        return .run(try draft.validated())
    }

    /// Splits `--name=value` and `-Xvalue`; anything not starting with `-` is an error.
    private static func split(_ argument: String) throws(OptionsError) -> (name: String, value: String?) {
        if argument.hasPrefix("--") {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        guard argument.hasPrefix("-"), argument.count >= 2 else { throw .unexpectedArgument(argument) }
        let name = String(argument.prefix(2))
        return (name, argument.count > 2 ? String(argument.dropFirst(2)) : nil)
    }

    private enum Option: Sendable, Equatable {
        case role(Role), dial, listen, data, file, count, interval, delay, subscribe
        case receiveTimeout, sendTimeout, format(Format), formatName, background, help, version
        case caCertificate, certificate, key, insecure

        var takesValue: Bool {
            switch self {
            case .role, .format, .background, .help, .version, .insecure: false
            default: true
            }
        }
    }

    private static let table: [String: Option] = {
        var table: [String: Option] = [
            "--dial": .dial, "--connect": .dial, "--listen": .listen, "--bind": .listen,
            "-D": .data, "--data": .data, "-F": .file, "--file": .file,
            "-C": .count, "--count": .count, "-i": .interval, "--interval": .interval, "-d": .delay, "--delay": .delay,
            "--subscribe": .subscribe, "--recv-timeout": .receiveTimeout, "--send-timeout": .sendTimeout,
            "--raw": .format(.raw), "-A": .format(.ascii), "--ascii": .format(.ascii),
            "-Q": .format(.quoted), "--quoted": .format(.quoted), "--hex": .format(.hex), "--format": .formatName,
            "--async": .background, "--cacert": .caCertificate, "--cert": .certificate, "-E": .certificate,
            "--key": .key, "--insecure": .insecure, "-k": .insecure, "-h": .help, "--help": .help, "-V": .version, "--version": .version,
        ]
        for role in Role.allCases {
            table[role.flag] = .role(role)
            table[role.flag + "0"] = .role(role)
        }
        return table
    }()

    /// The options met so far, before the checks that need all of them.
    private struct Draft: Sendable {
        var role: (role: Role, flag: String)?
        var endpoints: [Endpoint] = []
        var payload: Payload?
        var count = 0
        var interval: Duration?
        var delay = Duration.zero
        var subscriptions: [String] = []
        var receiveTimeout: Duration?
        var sendTimeout: Duration?
        var format: (format: Format, flag: String)?
        var dialsInBackground = false
        var tls = TLSFlags()

        mutating func apply(_ option: Option, name: String, value: String) throws(OptionsError) {
            switch option {
            case .role(let role):
                if let first = self.role { throw .multipleProtocols(first: first.flag, second: name) }
                self.role = (role, name)
            case .dial: endpoints.append(.dial(value))
            case .listen: endpoints.append(.listen(value))
            case .data, .file:
                guard payload == nil else { throw .multipleDataSources }
                payload = option == .data ? .text(value) : .file(value)
            case .count: count = try wholeNumber(value, for: name)
            case .interval: interval = try seconds(value, for: name)
            case .delay: delay = try seconds(value, for: name)
            case .subscribe: subscriptions.append(value)
            case .receiveTimeout: receiveTimeout = try seconds(value, for: name)
            case .sendTimeout: sendTimeout = try seconds(value, for: name)
            case .format(let format):
                try setFormat(format, flag: name)
            case .formatName:
                guard let format = Format(rawValue: value) else { throw .invalidFormat(value) }
                try setFormat(format, flag: "\(name) \(value)")
            case .background: dialsInBackground = true
            case .caCertificate: tls.caCertificate = try path(value, for: name)
            case .certificate: tls.certificate = try path(value, for: name)
            case .key: tls.key = try path(value, for: name)
            case .insecure: tls.insecure = true
            case .help, .version: break
            }
        }

        private mutating func setFormat(_ format: Format, flag: String) throws(OptionsError) {
            if let first = self.format { throw .multipleFormats(first: first.flag, second: flag) }
            self.format = (format, flag)
        }

        /// The options, checked against the role as nngcat checks them.
        func validated() throws(OptionsError) -> Options {
            guard let role = role?.role else { throw .noProtocol }
            guard !endpoints.isEmpty else { throw .noAddress }
            if tls.key != nil, tls.certificate == nil { throw .keyNeedsCertificate }
            if role != .sub, !subscriptions.isEmpty { throw .subscribeNeedsSub(role) }
            switch role {
            case .pull, .sub:
                if payload != nil { throw .dataNotAllowed(role) }
                if interval != nil { throw .intervalNotAllowed(role) }
            case .push, .pub:
                if format != nil { throw .formatNotAllowed(role) }
                if payload == nil { throw .dataRequired(role) }
            case .req, .surveyor:
                if payload == nil { throw .dataRequired(role) }
            case .rep, .respondent:
                if interval != nil { throw .intervalNotAllowed(role) }
            case .bus, .pair:
                if interval != nil, payload == nil { throw .intervalNeedsData(role) }
            }
            return Options(role: role, endpoints: endpoints, payload: payload, count: count, interval: interval,
                           delay: delay, subscriptions: subscriptions, receiveTimeout: receiveTimeout,
                           sendTimeout: sendTimeout, format: format?.format ?? .silent,
                           dialsInBackground: dialsInBackground, tls: tls)
        }
    }

    /// A file path: anything but empty (the file is read when the endpoint opens).
    private static func path(_ text: String, for option: String) throws(OptionsError) -> String {
        guard !text.isEmpty else { throw .emptyPath(option: option) }
        return text
    }

    /// The longest time accepted, as in nngcat: one day.
    private static let maxSeconds = 86_400

    /// A count: digits only, at most `Int32.max`.
    private static func wholeNumber(_ text: String, for option: String) throws(OptionsError) -> Int {
        let expected = "a whole number from 0 to \(Int32.max)"
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = Int32(text)
        else { throw .invalidNumber(option: option, value: text, expected: expected) }
        return Int(value)
    }

    /// A time in seconds: digits with an optional fraction (`2`, `0.05`, `.5`), at most one day.
    private static func seconds(_ text: String, for option: String) throws(OptionsError) -> Duration {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in part.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        guard parts.allSatisfy(isDigits), !(whole.isEmpty && fraction.isEmpty),
              let value = Double("\(whole.isEmpty ? "0" : whole).\(fraction.isEmpty ? "0" : fraction)"),
              value <= Double(maxSeconds)
        else {
            throw .invalidNumber(option: option, value: text, expected: "seconds from 0 to \(maxSeconds), as in 0.5")
        }
        return .nanoseconds(Int64((value * 1e9).rounded()))
    }
}
