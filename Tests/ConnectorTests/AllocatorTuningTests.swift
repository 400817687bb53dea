import Glibc
@testable import MultiSocketConnector
import Testing

/// The reactor tunes glibc's malloc once, unless the environment already does or opts out.
struct AllocatorTuningTests {
    @Test func appliedUnlessTheEnvironmentTunesMalloc() {
        _ = Reactor.shared
        let names: [String] = ["GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                               "MALLOC_MMAP_MAX_"]
        let optedOut = getenv("MULTISOCKET_MALLOC_TUNING").map { String(cString: $0) } == "0"
        let tunedElsewhere = names.contains { getenv($0) != nil }
        #expect(AllocatorTuning.applied == !(optedOut || tunedElsewhere))
    }
}
