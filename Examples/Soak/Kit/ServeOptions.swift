/// The settings of `soak serve`: one server in a process of its own, for fault tests.
public struct ServeOptions: Sendable, Equatable {
    /// `.pushpull` (a Pull reporting what it receives) or `.reqrep` (a Rep echoing requests).
    public var pattern: SoakPattern
    /// Where to listen, e.g. `tcp://127.0.0.1:4000`.
    public var address: String
    /// With a value N, the descriptor limit is lowered once listening so that only N more can be opened.
    public var spareFiles: Int?

    /// Creates options.
    public init(pattern: SoakPattern, address: String, spareFiles: Int? = nil) {
        self.pattern = pattern
        self.address = address
        self.spareFiles = spareFiles
    }
}
