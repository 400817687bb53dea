/// A bad `msperf` command line or a run that could not complete.
public struct PerfError: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
