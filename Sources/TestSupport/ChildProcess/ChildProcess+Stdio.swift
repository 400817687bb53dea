extension ChildProcess {
    /// Where one of a child's standard streams (0, 1 or 2) goes.
    public enum Stdio: Sendable, Equatable {
        /// The test process's own descriptor (its terminal or log).
        case inherit
        /// `/dev/null`: reads see end-of-file at once, writes are discarded.
        case null
        /// A pipe to the test: ``ChildProcess/write(_:)`` and ``ChildProcess/closeInput()`` for standard input,
        /// ``ChildProcess/output`` and ``ChildProcess/errors`` for the other two (drained as it arrives, so a
        /// child never blocks on a full pipe).
        case pipe
        /// Standard error only: wherever standard output goes (`2>&1`), so the two stay interleaved as the child
        /// wrote them (``ChildProcess/errors`` is then empty).
        case sameAsOutput
    }
}
