import CMultiSocketShims
import Glibc

/// glibc's allocator, tuned once for message traffic when the first reactor starts.
///
/// A receiver that drains its queue frees a run of large contents that coalesces with the top of the
/// heap. With glibc's default thresholds (trim above 128 KiB of free top) the heap hands those pages back
/// at once (`madvise`), and the next messages fault them in again: on ipc with 64 KiB messages the receiver
/// then spent most of its time in the kernel, at a third of the untrimmed throughput (`bench/NOTES.md`).
/// The reactor sets the state glibc's own adaptive heuristic reaches after a program frees one 8 MiB
/// buffer: blocks below 8 MiB come from the heap, and a heap keeps up to 16 MiB of free top.
///
/// Nothing is changed when the environment already tunes malloc (a `MALLOC_…_` variable or
/// `GLIBC_TUNABLES`), or when `MULTISOCKET_MALLOC_TUNING=0`.
enum AllocatorTuning {
    /// Whether the thresholds were set (evaluated once).
    static let applied: Bool = {
        let environment = ["MULTISOCKET_MALLOC_TUNING", "GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_",
                           "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"]
        if let value = getenv(environment[0]), String(cString: value) == "0" { return false }
        if environment.dropFirst().contains(where: { getenv($0) != nil }) { return false }
        return cms_set_malloc_thresholds(8 << 20, 16 << 20) == 1
    }()
}
