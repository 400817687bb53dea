import CMultiSocketShims
import Glibc

/// glibc's allocator, tuned for message traffic — an explicit, process-wide choice the application makes;
/// the library never applies it by itself.
///
/// A receiver that drains its queue frees a run of large contents that coalesces with the top of the
/// heap. With glibc's default thresholds (trim above 128 KiB of free top) the heap hands those pages back
/// at once (`madvise`), and the next messages fault them in again: on ipc with 64 KiB messages the receiver
/// then spent most of its time in the kernel, at a third of the untrimmed throughput (`bench/NOTES.md`).
/// ``tuneForMessageTraffic()`` sets the state glibc's own adaptive heuristic reaches after a program frees
/// one 8 MiB buffer: blocks below 8 MiB come from the heap, and a heap keeps up to 16 MiB of free top. The
/// price is memory: up to 16 MiB of free heap per arena stays mapped instead of going back to the system.
/// `msperf` and `soak` call it at start; a server moving large messages should too.
public enum AllocatorTuning {
    /// The outcome of the first ``tuneForMessageTraffic()`` call (evaluated once).
    private static let outcome: Bool = {
        let environment = ["GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                           "MALLOC_MMAP_MAX_"]
        if environment.contains(where: { getenv($0) != nil }) { return false }
        return cms_set_malloc_thresholds(8 << 20, 16 << 20) == 1
    }()

    /// Sets glibc's malloc thresholds for message traffic (mmap threshold 8 MiB, trim threshold 16 MiB), once
    /// per process; later calls return the first call's outcome. Any thread; throws nothing.
    ///
    /// - Returns: whether the thresholds are set: `false` when the environment already tunes malloc (a
    ///   `MALLOC_…_` variable or `GLIBC_TUNABLES`: the operator's choice wins) or malloc is not glibc's (a
    ///   sanitizer's, for one, ignores `mallopt`).
    @discardableResult
    public static func tuneForMessageTraffic() -> Bool {
        outcome
    }
}
