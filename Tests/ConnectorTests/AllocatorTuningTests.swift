import Glibc
@testable import MultiSocketConnector
import Testing

/// The reactor tunes glibc's malloc once, unless the environment already does or opts out (or malloc is not
/// glibc's).
struct AllocatorTuningTests {
    @Test func appliedUnlessTheEnvironmentTunesMalloc() {
        _ = ReactorGroup.default
        let names: [String] = ["GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                               "MALLOC_MMAP_MAX_"]
        let optedOut = getenv("MULTISOCKET_MALLOC_TUNING").map { String(cString: $0) } == "0"
        let tunedElsewhere = names.contains { getenv($0) != nil }
        // Under the address sanitizer malloc is the sanitizer's, whose `mallopt` changes nothing.
        let sanitizerAllocator = dlsym(nil, "__asan_init") != nil
        #expect(AllocatorTuning.applied == !(optedOut || tunedElsewhere || sanitizerAllocator))
    }
}
