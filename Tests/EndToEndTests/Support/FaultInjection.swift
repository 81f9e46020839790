import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// Helpers for the fault-injection tests (KillTests, DiskFullTests, ReloadUnderLoadTests): a
// seeded random source, a child reportd that can be killed, polling with a bound, a reader's audit
// of the output root, and a small tmpfs.

/// An integer from the environment, or `fallback`.
func environmentInt(_ name: String, default fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 20 ms until it holds; throws after `timeout` seconds. The bound is
/// generous: it only turns a hang into a failure, it never measures speed. It sleeps as a task, so
/// the other tests' tasks keep the threads of Swift's cooperative pool (two on a two-core machine).
func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        if Date() > deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Sleeps as a task (see `waitUntil`).
func pause(_ seconds: TimeInterval) async throws {
    if seconds > 0 { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
}

/// A value handed to another thread by a test that owns it alone meanwhile.
struct Handed<T>: @unchecked Sendable {
    var value: T
}

/// Runs blocking work (a child process, a socket poll) on a thread of its own while the test's task
/// waits, so that a long test does not hold one of the cooperative pool's few threads, which the
/// in-process scheduler tests need.
func offThePool<T>(_ body: @escaping () throws -> T) async throws -> T {
    let work = Handed(value: body)
    let result: Handed<Result<T, any Error>> = await withCheckedContinuation { continuation in
        Thread {
            continuation.resume(returning: Handed(value: Result { try work.value() }))
        }.start()
    }
    return try result.value.get()
}

/// `runReportd` off the cooperative pool.
func reportd(_ arguments: [String]) async throws -> ProcessOutput {
    try await offThePool { try runReportd(arguments) }
}

extension NotifyListener {
    /// `waitFor` off the cooperative pool.
    @discardableResult
    func waitAsync(for text: String, timeout: TimeInterval = 20) async throws -> String {
        let listener = Handed(value: self)
        return try await offThePool { try listener.value.waitFor(text, timeout: timeout) }
    }
}

/// A `reportd` child process whose standard output and error go to `log`.
final class ReportdProcess {
    let process = Process()
    let log: URL

    init(_ arguments: [String], log: URL, environment: [String: String] = [:]) throws {
        self.log = log
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.executableURL = try reportdBinary()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["REPORTD_CONFIG", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "NOTIFY_SOCKET"] {
            env.removeValue(forKey: key)
        }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// SIGKILL, then waits for the process to be gone.
    func kill9() {
        _ = kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Resident memory of a process in KiB (`VmRSS` in /proc/PID/status).
func residentKiB(_ pid: pid_t) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return nil }
    return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
}

/// Whether `name` is a publisher temporary file (`.NAME.tmp-HOST-PID-RANDOM`, or `.NAME.tmp-PID-RANDOM`
/// as written before the host was in the name).
func isPublisherTemporary(_ name: String) -> Bool {
    guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return false }
    let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    return parts.count >= 2 && parts.suffix(2).allSatisfy { Int($0) != nil }
        && parts.dropLast(2).allSatisfy { !$0.isEmpty }
}

// MARK: What a reader of the shared folder sees

/// The records of a CSV file as RFC 4180 reads them: each record's field count. Throws when the
/// file is not whole (an unterminated quote, a last line without its line ending).
func csvFieldCounts(_ data: Data) throws -> [Int] {
    struct NotWhole: Error, CustomStringConvertible {
        var description: String
    }
    var bytes = [UInt8](data)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    guard !bytes.isEmpty else { throw NotWhole(description: "empty") }
    guard bytes.last == UInt8(ascii: "\n") else { throw NotWhole(description: "does not end with a line ending") }
    guard String(validating: bytes, as: UTF8.self) != nil else { throw NotWhole(description: "not UTF-8") }
    var counts: [Int] = []
    var fields = 1
    var quoted = false
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        if quoted {
            if b == UInt8(ascii: "\"") {
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { i += 1 } else { quoted = false }
            }
        } else if b == UInt8(ascii: "\"") {
            quoted = true
        } else if b == UInt8(ascii: ",") {
            fields += 1
        } else if b == UInt8(ascii: "\n") {
            counts.append(fields)
            fields = 1
        }
        i += 1
    }
    if quoted { throw NotWhole(description: "an unterminated quoted field") }
    return counts
}

/// A reader's audit of `output.root` and the state folder after a fault.
struct OutputAudit {
    /// Files that do not parse in full, or should not be there: "PATH: why".
    var problems: [String] = []
    /// Hidden publisher temporary files (invisible to readers, but litter).
    var temporaries: [String] = []
    /// Visible files checked.
    var filesChecked = 0

    /// Audits every report folder under `root` and every state file in `state`.
    /// - Parameter requireLatest: every report folder must hold `latest.csv`, `.json` and `.txt`.
    init(root: URL, state: URL?, requireLatest: Bool = true) {
        let fm = FileManager.default
        for report in filesIn(root) {
            let folder = root.appendingPathComponent(report)
            // The index page and its publisher temporaries live in the root itself.
            if report == "index.html" {
                filesChecked += 1
                check(folder) { try Self.checkHTML(fm.contents(atPath: folder.path) ?? Data()) }
                continue
            }
            if report.hasPrefix("."), isPublisherTemporary(report) {
                temporaries.append(folder.path)
                continue
            }
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                problems.append("\(folder.path): not a folder")
                continue
            }
            auditFolder(folder, report: report, requireLatest: requireLatest, isValue: false)
        }
        if let state {
            for name in filesIn(state) {
                let url = state.appendingPathComponent(name)
                if name.hasPrefix(".") {
                    if isPublisherTemporary(name) {
                        temporaries.append(url.path)
                    } else {
                        problems.append("\(url.path): an unexpected hidden file")
                    }
                } else if name.hasSuffix(".json") {
                    filesChecked += 1
                    check(url) {
                        guard let data = fm.contents(atPath: url.path),
                            try JSONSerialization.jsonObject(with: data) is [String: Any]
                        else { throw Problem("not a JSON object") }
                    }
                }
                // `locks/` holds the per-report lock files (a pid, not state).
            }
        }
    }

    /// Audits one report folder (or, with `isValue`, one of a split report's value folders).
    private mutating func auditFolder(_ folder: URL, report: String, requireLatest: Bool, isValue: Bool) {
        let fm = FileManager.default
        let names = filesIn(folder)
        var rowsByStamp: [String: (csv: Int?, json: Int?)] = [:]
        for name in names {
            let url = folder.appendingPathComponent(name)
            // A split report's value folder (issue 26): the same files, named after the report.
            var isFolder: ObjCBool = false
            if !isValue, fm.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
                auditFolder(url, report: report, requireLatest: false, isValue: true)
                continue
            }
            if name.hasPrefix(".") {
                if isPublisherTemporary(name) {
                    temporaries.append(url.path)
                } else {
                    problems.append("\(url.path): an unexpected hidden file")
                }
                continue
            }
            if name.contains(".tmp") { problems.append("\(url.path): a temporary file under a visible name") }
            filesChecked += 1
            guard let data = fm.contents(atPath: url.path) else {
                problems.append("\(url.path): cannot be read")
                continue
            }
            let stamp = name.hasPrefix(report + "_") ? String(name.dropFirst(report.count + 1).prefix(17)) : nil
            if name == "index.html", !isValue {
                // A split report's index of its values.
                check(url) { try Self.checkHTML(data) }
            } else if name == "manifest.json", !isValue {
                // Rewritten whole (temporary file, rename): always a complete manifest of this report.
                check(url) {
                    let object = try JSONSerialization.jsonObject(with: data)
                    guard let manifest = object as? [String: Any], manifest["report"] as? String == report,
                        manifest["runs"] is [Any], manifest["latest_files"] is [Any]
                    else { throw Problem("not a complete manifest") }
                }
            } else if name.hasSuffix(".rejected.csv") {
                check(url, { _ = try csvFieldCounts(data) })
            } else if name.hasSuffix(".csv") {
                check(url) {
                    let counts = try csvFieldCounts(data)
                    guard let header = counts.first, counts.allSatisfy({ $0 == header }) else {
                        throw Problem("records have different field counts: \(Set(counts).sorted())")
                    }
                    if let stamp { rowsByStamp[stamp, default: (nil, nil)].csv = counts.count - 1 }
                }
            } else if name.hasSuffix(".json") {
                check(url) {
                    let object = try JSONSerialization.jsonObject(with: data)
                    guard let document = object as? [String: Any], document["report"] as? String == report,
                        let rows = document["rows"] as? [Any]
                    else { throw Problem("not a report document") }
                    if let stamp { rowsByStamp[stamp, default: (nil, nil)].json = rows.count }
                }
            } else if name.hasSuffix(".txt") {
                check(url) {
                    guard !data.isEmpty, data.last == UInt8(ascii: "\n") else {
                        throw Problem("empty, or its last line has no line ending")
                    }
                    guard String(data: data, encoding: .utf8) != nil else { throw Problem("not UTF-8") }
                }
            } else if name.hasSuffix(".html") {
                check(url) { try Self.checkHTML(data) }
            } else {
                problems.append("\(url.path): an unexpected file")
            }
        }
        // A run's CSV and JSON were written from one result: the same number of rows.
        for (stamp, rows) in rowsByStamp {
            if let csv = rows.csv, let json = rows.json, csv != json {
                problems.append("\(folder.path): run \(stamp) has \(csv) CSV rows but \(json) JSON rows")
            }
        }
        if requireLatest {
            for ext in ["csv", "json", "txt"] where !names.contains("latest.\(ext)") {
                problems.append("\(folder.path): latest.\(ext) is missing")
            }
        }
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A whole page: it begins with the doctype and ends with `</html>` and a line break.
    private static func checkHTML(_ data: Data) throws {
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("<!doctype html>"), text.hasSuffix("</html>\n") else {
            throw Problem("not a whole HTML page (\(data.count) bytes)")
        }
    }

    private mutating func check(_ url: URL, _ body: () throws -> Void) {
        do { try body() } catch { problems.append("\(url.path): \(error)") }
    }
}

// MARK: A small tmpfs

/// A tmpfs mounted on a folder (tests run as root here); `unmount()` in the test's cleanup.
final class TmpfsMount {
    let path: URL

    /// Why a tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN, a seccomp filter), or nil.
    static let unavailableReason: String? = {
        guard let probe = try? temporaryFolder("tmpfs-probe") else { return "cannot create a temporary folder" }
        defer { try? FileManager.default.removeItem(at: probe) }
        guard Glibc.mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else {
            return
                "cannot mount a tmpfs (mount(2): \(String(cString: strerror(errno)))); the tests must run as root with CAP_SYS_ADMIN"
        }
        umount2(probe.path, Int32(MNT_DETACH))
        return nil
    }()

    /// A Swift Testing condition: whether a tmpfs can be mounted; prints the reason when not.
    static func available() -> Bool {
        if let reason = unavailableReason {
            print("SKIPPED: the disk-full tests need a small tmpfs: \(reason)")
            return false
        }
        return true
    }

    /// - Parameter options: more mount options (`nr_inodes=N`).
    init(at path: URL, size: String, options: String = "") throws {
        self.path = path
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", path.path, "tmpfs", 0, "size=\(size),mode=0755\(options.isEmpty ? "" : "," + options)") == 0 else {
            throw AuditFailure("cannot mount a tmpfs on \(path.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Free bytes, as a writer sees them.
    var freeBytes: Int {
        var s = statvfs()
        guard statvfs(path.path, &s) == 0 else { return -1 }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    var blockSize: Int {
        var s = statvfs()
        guard statvfs(path.path, &s) == 0 else { return 4096 }
        return Int(s.f_frsize)
    }

    /// Writes a filler file leaving about `leave` bytes free (whole blocks).
    func fill(leaving leave: Int, name: String = "filler") throws {
        let filler = path.appendingPathComponent(name)
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw AuditFailure("cannot create \(filler.path)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x2E, count: blockSize)
        while freeBytes > leave {
            guard write(fd, chunk, chunk.count) == chunk.count else { break }
        }
    }

    func unmount() {
        if umount2(path.path, 0) != 0 { umount2(path.path, Int32(MNT_DETACH)) }
    }
}

struct AuditFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Every file of a folder tree (hidden ones included) with its bytes, to show nothing changed.
func snapshot(_ root: URL) -> [String: Data] {
    var result: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return result }
    while let relative = enumerator.nextObject() as? String {
        let url = root.appendingPathComponent(relative)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
            result[relative] = FileManager.default.contents(atPath: url.path) ?? Data()
        }
    }
    return result
}
