import Glibc

extension ChildProcess {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status (0–255).
        case exited(Int32)
        /// A signal ended it (`SIGKILL`, `SIGTERM`, …).
        case signalled(Int32)
        /// Something else in this process reaped it first (a `waitpid(-1, …)`), so its status is unknown.
        case unknown

        /// Decodes a `waitpid` status word (the `WIFEXITED`/`WTERMSIG` macros, which Swift does not import).
        init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        }

        /// The exit status, or the signal number when a signal ended it (what Foundation's
        /// `terminationStatus` reported); -1 when unknown.
        public var status: Int32 {
            switch self {
            case .exited(let code), .signalled(let code): code
            case .unknown: -1
            }
        }

        /// Whether it exited with status 0.
        public var succeeded: Bool { self == .exited(0) }

        /// `exit 3`, `signal 9`, or `unknown`, for test output.
        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signalled(let signal): "signal \(signal)"
            case .unknown: "unknown"
            }
        }
    }
}
