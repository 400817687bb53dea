/// The texts `mscat` prints for `--help` and `--version`, and the hint after an error.
public enum Usage: Sendable {
    /// The version line.
    public static let version = "mscat 0.1.0 (MultiSocket)"

    /// The line printed after an error message.
    public static let hint = "Try 'mscat --help' for more information."

    /// The help text.
    public static let text = """
        Usage: mscat <protocol> <address>... [<format>] [<options>...] [<data>]

        Sends and receives MultiSocket messages from the command line, like nngcat.

        <protocol>, exactly one of:
          --req, --rep, --pub, --sub, --push, --pull, --bus, --pair, --surveyor, --respondent
          (each also as --req0, --rep0, ... for nngcat compatibility)

        <address>, one or more of:
          --dial URL             connect to URL (alias --connect); tcp://host:port, ipc:///path,
                                 ws://host:port/path; over TLS: tls+tcp://host:port, wss://host:port/path;
                                 sp+tcp://, sp+ipc://, sp+ws://, sp+tls+tcp:// for NNG/nngcat peers
          --listen URL           accept connections at URL (alias --bind)
          --async                dial in the background and keep retrying instead of failing at once

        <format> for received messages, at most one (default: print nothing, as nngcat):
          --raw                  the bytes as they are
          --ascii, -A            printable ASCII as is, other bytes as '.', one message per line
          --quoted, -Q           a C string literal per line: "text\\n\\x00"
          --hex                  a C string literal of \\xNN escapes per line
          --format NAME          one of no, raw, ascii, quoted, hex

        <data> to send, at most one:
          --data TEXT, -D TEXT   the text
          --file FILE, -F FILE   the file's contents; '-' reads standard input

        TLS, for tls+tcp://, wss:// and sp+tls+tcp:// addresses (others ignore these):
          --cacert FILE          trust the PEM certificates in FILE instead of the system's store
          --cert FILE, -E FILE   present the PEM certificate chain in FILE (a listener needs one)
          --key FILE             the PEM private key of --cert (default: read it from the --cert file)
          --insecure, -k         a dialer does not verify the server's certificate (tests only)
          A dialer checks the server's certificate against the address's host; a listener does not ask
          for client certificates.

        <options>:
          --count N, -C N        iterations (sends, exchanges or receives); 0 (default) means no limit
          --interval SECS, -i    send again every SECS seconds (with no --count: forever)
          --delay SECS, -d       wait SECS seconds before the first send
          --subscribe PREFIX     (--sub only, repeatable) keep messages starting with PREFIX;
                                 with none, keep everything
          --recv-timeout SECS    stop receiving when nothing arrives for SECS seconds (exit 0)
          --send-timeout SECS    fail (exit 1) when a send cannot go out for SECS seconds
          --help, -h             print this text
          --version, -V          print the version

        Values may also be attached: --dial=URL, -DTEXT. Times take fractions: --interval 0.25.

        What each protocol does:
          push, pub              send the data once, or --count times, --interval apart
          pull, sub              print each message (sub: those matching a --subscribe prefix)
          req                    send the data and print the reply, once or per --count/--interval
          surveyor               send the data and print the answers until the survey ends (1 s)
          rep, respondent        print each request; with data, answer it with the data
          bus, pair              with data: send as push does and print what arrives meanwhile;
                                 without: print what arrives
        Exit status: 0 when done (count reached, receive timeout, single exchange over), 1 on error.

        """
}
