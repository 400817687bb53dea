/// What a valid `mscat` command line asks for (see ``Options/parse(_:)``).
public enum Command: Sendable, Equatable {
    /// Run with these options.
    case run(Options)
    /// Print the usage text (`--help`, `-h`) and exit 0.
    case help
    /// Print the version (`--version`, `-V`) and exit 0.
    case version
}
