/// The protocol `mscat` speaks, chosen with exactly one of `--req`, `--rep`, `--pub`, … on the command line.
public enum Role: String, Sendable, CaseIterable {
    /// Sends requests and prints the replies.
    case req
    /// Prints requests and, with data, answers each with it.
    case rep
    /// Publishes data.
    case pub
    /// Prints what its publishers send that matches a subscription.
    case sub
    /// Sends data to one puller at a time.
    case push
    /// Prints what pushers send.
    case pull
    /// Sends data to every bus peer and prints what they send.
    case bus
    /// Sends data to its one peer and prints what the peer sends.
    case pair
    /// Sends surveys and prints the answers that arrive before each survey's deadline.
    case surveyor
    /// Prints surveys and, with data, answers each with it.
    case respondent

    /// The option that selects this role, for example `--req`.
    public var flag: String { "--\(rawValue)" }
}
