/// A run-time error `mscat` reports as `mscat: <description>` before exiting with status 1.
struct Failure: Error, Sendable, CustomStringConvertible {
    /// The message, without the `mscat: ` prefix.
    let description: String

    /// A failure with `description` as its message.
    init(_ description: String) {
        self.description = description
    }
}
