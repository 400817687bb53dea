import Glibc

/// The process's descriptor limit (`RLIMIT_NOFILE`).
enum FileLimit {
    /// Raises the soft limit to the hard one (a soak with many peers needs more than the usual 1024).
    static func raiseToMaximum() {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }

    /// Leaves exactly `spare` descriptors free: lowers the soft limit to 64 above the highest descriptor
    /// open now, takes every free descriptor below it (opening `/dev/null`), then gives `spare` back. The
    /// descriptors taken stay open for the life of the process.
    /// - Throws: ``SoakError`` if the limit cannot be set or a descriptor cannot be opened.
    static func leave(spare: Int) throws(SoakError) {
        var highest: Int32 = 2
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard probe >= 0 else { throw SoakError("cannot open /dev/null") }
        close(probe)
        // The lowest free descriptor is `probe`; the highest open one is found from /proc.
        if let directory = opendir("/proc/self/fd") {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                if let fd = Int32(name) { highest = max(highest, fd) }
            }
            closedir(directory)
        }
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { throw SoakError("getrlimit failed") }
        limit.rlim_cur = rlim_t(Int(highest) + 64 + spare)
        guard setrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { throw SoakError("setrlimit failed: errno \(errno)") }
        var taken: [Int32] = []
        while true {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                guard errno == EMFILE else { throw SoakError("open /dev/null failed: errno \(errno)") }
                break
            }
            taken.append(fd)
        }
        guard taken.count >= spare else { throw SoakError("only \(taken.count) descriptors were free") }
        for fd in taken.suffix(spare) { close(fd) }
    }
}

/// `RLIMIT_NOFILE` as `setrlimit` takes it (Glibc imports the resource enum with a different type).
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
