/// Why a command line is not a valid `mscat` invocation. Its ``description`` is the one-line message `mscat`
/// prints (after `mscat: `) before exiting with status 1.
public enum OptionsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument starting with `-` that names no option.
    case unknownOption(String)
    /// An option that takes a value came last, without one.
    case missingValue(option: String)
    /// An option that takes no value was given one (`--req=x`, `-Ax`).
    case unexpectedValue(option: String)
    /// An argument that is neither an option nor an option's value.
    case unexpectedArgument(String)
    /// A number that does not parse or is out of range; `expected` says what is accepted.
    case invalidNumber(option: String, value: String, expected: String)
    /// A `--format` name that is not one of ``Format``'s.
    case invalidFormat(String)
    /// A second protocol option.
    case multipleProtocols(first: String, second: String)
    /// A second output format option.
    case multipleFormats(first: String, second: String)
    /// A second `--data` or `--file`.
    case multipleDataSources
    /// No protocol option.
    case noProtocol
    /// Neither `--dial` nor `--listen`.
    case noAddress
    /// `--subscribe` with a role other than ``Role/sub``.
    case subscribeNeedsSub(Role)
    /// `--data` or `--file` with a role that sends nothing (pull, sub).
    case dataNotAllowed(Role)
    /// `--interval` with a role that never sends unprompted (pull, sub, rep, respondent).
    case intervalNotAllowed(Role)
    /// An output format with a role that receives nothing (push, pub).
    case formatNotAllowed(Role)
    /// A role that must send (req, pub, push, surveyor) without `--data` or `--file`.
    case dataRequired(Role)
    /// `--interval` with bus or pair but no data to send.
    case intervalNeedsData(Role)
    /// An empty file name for `--cacert`, `--cert` or `--key`.
    case emptyPath(option: String)
    /// `--key` without `--cert`.
    case keyNeedsCertificate

    /// The message, without the `mscat: ` prefix.
    public var description: String {
        switch self {
        case .unknownOption(let option):
            "unknown option '\(option)'"
        case .missingValue(let option):
            "option '\(option)' needs a value"
        case .unexpectedValue(let option):
            "option '\(option)' takes no value"
        case .unexpectedArgument(let argument):
            "unexpected argument '\(argument)' (values follow their option, as in --data TEXT)"
        case .invalidNumber(let option, let value, let expected):
            "\(option) expects \(expected), not '\(value)'"
        case .invalidFormat(let name):
            "--format expects one of \(Format.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'"
        case .multipleProtocols(let first, let second):
            "only one protocol may be given (got \(first) and \(second))"
        case .multipleFormats(let first, let second):
            "only one output format may be given (got \(first) and \(second))"
        case .multipleDataSources:
            "data may be given only once (one --data or one --file)"
        case .noProtocol:
            "no protocol given: use one of \(Role.allCases.map(\.flag).joined(separator: ", "))"
        case .noAddress:
            "no address given: use --dial URL or --listen URL"
        case .subscribeNeedsSub(let role):
            "--subscribe works only with --sub, not \(role.flag)"
        case .dataNotAllowed(let role):
            "\(role.flag) sends nothing: --data and --file are not allowed"
        case .intervalNotAllowed(let role):
            "\(role.flag) sends nothing unprompted: --interval is not allowed"
        case .formatNotAllowed(let role):
            "\(role.flag) receives nothing: output formats are not allowed"
        case .dataRequired(let role):
            "\(role.flag) needs data to send: use --data TEXT or --file FILE"
        case .intervalNeedsData(let role):
            "--interval with \(role.flag) needs data to send: use --data TEXT or --file FILE"
        case .emptyPath(let option):
            "\(option) expects a file name"
        case .keyNeedsCertificate:
            "--key needs --cert (the certificate the key belongs to)"
        }
    }
}
