/// A bad `soak` command line, or a server mode that cannot start.
public struct SoakError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public let description: String

    /// Creates an error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}
