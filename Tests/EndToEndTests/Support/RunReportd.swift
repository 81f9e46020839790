import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished `reportd` process printed.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built `reportd` binary with `arguments` and waits for it.
/// - Parameter umask: when given, the binary is started by `/bin/sh` after `umask UMASK`.
func runReportd(
    _ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil, umask: String? = nil
) throws -> ProcessOutput {
    let process = Process()
    if let umask {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", try reportdBinary().path] + arguments
    } else {
        process.executableURL = try reportdBinary()
        process.arguments = arguments
    }
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "REPORTD_CONFIG")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let folder { process.currentDirectoryURL = folder }
    return try runCollecting(process)
}

/// Starts `process` with its standard output and error on pipes, reads both to their end at once
/// (standard error on another thread, so a child that fills either pipe never blocks), and waits.
/// With `mergingErrors`, standard error goes into `stdout` too.
func runCollecting(_ process: Process, mergingErrors: Bool = false) throws -> ProcessOutput {
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = mergingErrors ? out : err
    try process.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let errors = Box()
    let group = DispatchGroup()
    if !mergingErrors {
        let handle = err.fileHandleForReading
        DispatchQueue.global().async(group: group) { errors.data = readToEnd(handle) }
    }
    let outData = readToEnd(out.fileHandleForReading)
    group.wait()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errors.data, as: UTF8.self))
}

/// Everything `handle` gives until its end. A read interrupted by a signal is retried, and any
/// other error ends the data: Foundation's `readDataToEndOfFile()` traps on any error, which took
/// the whole test process down once (`ESRCH` from `/proc/PID/cmdline` of a process that had just
/// exited; `EINTR` on a pipe).
func readToEnd(_ handle: FileHandle) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let fd = handle.fileDescriptor
    while true {
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            data.append(contentsOf: buffer[..<n])
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

/// A fresh temporary folder.
func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The package root, found from this source file.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A copy of the sample `config/` folder in a temporary folder, so its relative output paths land there.
func copyOfSampleConfig() throws -> URL {
    let folder = try temporaryFolder("sample")
    // `examples/` comes along for the tests that read the example plugins.
    for item in ["config", "examples"] {
        try FileManager.default.copyItem(
            at: packageRoot.appendingPathComponent(item), to: folder.appendingPathComponent(item))
    }
    return folder
}

/// Reads a JSON object file.
func readJSON(_ url: URL) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    guard let dictionary = object as? [String: Any] else { throw CocoaError(.fileReadCorruptFile) }
    return dictionary
}

/// Files of a folder, hidden ones included.
func filesIn(_ url: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
}

/// Waits, in real time and blocking the calling thread, until `condition` holds.
/// - Throws: `WaitTimedOut` naming `what` after `timeout` seconds.
func waitBlocking(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { throw WaitTimedOut(what: what) }
        usleep(50_000)
    }
}

struct WaitTimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
