#if canImport(Glibc)
    import Glibc
#endif

/// How much more memory this process may map before an allocation fails, under its address-space
/// and data limits (`ulimit -v`, `ulimit -d`, `LimitAS=`, `LimitDATA=`).
///
/// Why: Swift cannot recover from a failed allocation; the process aborts. A dataset too large for
/// the limit aborted the whole daemon during catch-up (exit 134, then a restart loop under
/// systemd) instead of failing the one run. Checking the estimate first turns that into a run
/// error that says what to change. Without such a limit there is nothing to check against
/// (the kernel's overcommit and the OOM killer decide), and nothing is refused.
public enum MemoryHeadroom {
    /// Bytes that may still be mapped, or nil when no limit applies.
    public static func available() -> Int? {
        var limits: [Int] = []
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
                continue
            }
            let used = resource == RLIMIT_AS ? mappedBytes(field: "VmSize:") : mappedBytes(field: "VmData:")
            limits.append(Int(clamping: limit.rlim_cur) - (used ?? 0))
        }
        return limits.min().map { max(0, $0) }
    }

    /// A field of `/proc/self/status` in bytes.
    public static func mappedBytes(field: String) -> Int? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        guard case .success(let n) = buffer.withUnsafeMutableBytes({ FileIO.fill(fd, $0.baseAddress!, count: $0.count) }),
            n > 0
        else { return nil }
        for line in buffer[..<n].split(separator: 0x0A) {
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix(field) else { continue }
            let digits = text.dropFirst(field.count).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    /// A run error's text when reading `bytes` of a dataset, needing about `factor` times that in
    /// memory, would pass the limit; nil when it fits or no limit applies.
    public static func refusal(datasetBytes bytes: Int, factor: Double) -> String? {
        guard let left = available() else { return nil }
        let needed = Int(Double(bytes) * factor)
        guard needed > left else { return nil }
        return "the dataset is \(bytes >> 20) MiB and reading it needs about \(needed >> 20) MiB, but this process "
            + "may map only \(left >> 20) MiB more (its memory limit: ulimit -v or LimitAS=/LimitDATA= in the "
            + "service): raise the limit, or filter the data at its source"
    }
}
