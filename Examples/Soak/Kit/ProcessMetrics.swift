import Glibc

/// What the process holds now: resident memory (from `/proc/self/statm`) and open file descriptors (the
/// entries of `/proc/self/fd`).
public struct ProcessMetrics: Sendable, Hashable {
    /// Resident set size in bytes (0 if `/proc` cannot be read).
    public var residentBytes: Int
    /// Open file descriptors, not counting the one used to list them (-1 if `/proc` cannot be read).
    public var openFiles: Int

    /// Creates a snapshot from known values.
    public init(residentBytes: Int, openFiles: Int) {
        self.residentBytes = residentBytes
        self.openFiles = openFiles
    }

    /// The process's figures now.
    public static func current() -> ProcessMetrics {
        ProcessMetrics(residentBytes: residentBytes(), openFiles: openFiles())
    }

    /// Resident memory in MiB.
    public var residentMiB: Double { Double(residentBytes) / 1_048_576 }

    private static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { return 0 }
        // "size resident shared text lib data dt", in pages.
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func openFiles() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 } }
            if !name.elementsEqual([UInt8(ascii: ".")]) && !name.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                count += 1
            }
        }
        return count - 1  // the directory stream's own descriptor
    }
}
