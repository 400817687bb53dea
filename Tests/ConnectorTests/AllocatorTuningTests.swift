import Glibc
import MultiSocketConnector
import Testing

/// Tuning glibc's malloc is the application's call: it takes effect when asked, unless the environment
/// already tunes malloc (or malloc is not glibc's).
struct AllocatorTuningTests {
    @Test func appliedWhenAskedUnlessTheEnvironmentTunesMalloc() {
        let names: [String] = ["GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                               "MALLOC_MMAP_MAX_"]
        let tunedElsewhere = names.contains { getenv($0) != nil }
        // Under the address sanitizer malloc is the sanitizer's, whose `mallopt` changes nothing.
        let sanitizerAllocator = dlsym(nil, "__asan_init") != nil
        let expected = !(tunedElsewhere || sanitizerAllocator)
        #expect(AllocatorTuning.tuneForMessageTraffic() == expected)
        #expect(AllocatorTuning.tuneForMessageTraffic() == expected, "a second call reports the first's outcome")
    }
}
