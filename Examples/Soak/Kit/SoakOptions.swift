/// The settings of a soak run (`soak [options]`); every one has a default.
public struct SoakOptions: Sendable, Equatable {
    /// Clients per pattern (`--peers`).
    public var peers = 100
    /// How long the load runs, in seconds (`--seconds`).
    public var seconds = 60.0
    /// Payload bytes per message, after the 24-byte stamp (`--size`).
    public var size = 128
    /// The patterns driven side by side (`--patterns reqrep,pubsub,pushpull`).
    public var patterns = SoakPattern.allCases
    /// Seconds between report lines (`--report-every`).
    public var reportEvery = 10.0
    /// Seconds before the memory baseline is taken (`--warmup`); `nil`: a third of the run, at most 60 s.
    public var warmup: Double?
    /// How far resident memory may grow past the baseline, in MiB, before the run fails (`--rss-tolerance`).
    public var rssToleranceMiB = 32.0
    /// How many more descriptors than at the baseline may be open at the end (`--fd-tolerance`).
    public var fdTolerance = 32
    /// Clients per pattern closed and replaced by new ones each second (`--churn`; 0: none).
    public var churn = 1
    /// How many publications the publisher may run ahead of its slowest subscriber (`--pub-window`; 0: no
    /// pacing, so drops are expected and counted). At 64 (the default queue size) drops are rare; past about
    /// twice that a subscriber that falls behind makes the publisher drop.
    public var pubWindow = 64
    /// Tasks serving requests in the `Rep` server (`--workers`).
    public var workers = 4
    /// How long a request may wait for its reply before it counts as lost, in seconds (`--request-timeout`).
    public var requestTimeout = 30.0

    /// The usage text.
    public static let usage = """
        usage: soak [--peers N] [--seconds S] [--size BYTES] [--patterns reqrep,pubsub,pushpull]
                    [--report-every S] [--warmup S] [--rss-tolerance MIB] [--fd-tolerance N] [--churn N]
                    [--pub-window N] [--workers N] [--request-timeout S]
               soak serve --pattern reqrep|pushpull --address URL [--spare-fds N]

        The first form drives every pattern over tcp on 127.0.0.1 (port 0) with N clients per pattern
        (default 100) for S seconds (default 60), checks every message (sender, sequence, checksum), prints a
        line every --report-every seconds (default 10) and a summary, and exits 1 if a message was lost or
        corrupt, or resident memory grew more than --rss-tolerance MiB (default 32) past its level after
        --warmup, or descriptors leaked. Defaults: --size 128, --churn 1 client per pattern per second,
        --pub-window 64, --workers 4, --request-timeout 30, --fd-tolerance 32.

        `soak serve` runs one server for fault tests: `pushpull` is a Pull that prints the runs of
        sequence numbers it receives (`range PEER FIRST LAST`), `reqrep` a Rep that echoes; both print
        `listening URL` first. --spare-fds lowers the descriptor limit so that only N more can be opened,
        and prints `ready`.
        """

    /// Creates the default options.
    public init() {}

    /// The warm-up actually used, in seconds.
    public var effectiveWarmup: Double { warmup ?? min(60, seconds / 3) }
}
