import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Promise 2 of the reliability issue: a full disk costs a clear error and nothing else.
///
/// The output root is a small tmpfs mounted by the test (it runs as root here; where mounting is
/// impossible the tests print why and are skipped). A filler file leaves a chosen number of free
/// blocks: none, enough for the run's first file, for its slot files but not `latest.*`, or all
/// the run needs but one block (every file is written before any is renamed into place). The run
/// must fail with exit status 1 and a message that says the disk is full and names the file;
/// nothing of the failed run may appear and the previous outputs must be byte-for-byte as before.
@Suite(.blocking) struct DiskFullTests {
    /// 2,000 districts: each output is tens of kilobytes, so the run needs several blocks per file.
    static let csv: String = {
        var text = "district,year,amount\n"
        for i in 0..<2000 { text += "\"Xã số \(i), huyện Sìn Hồ\",2024,\(i * 1_000_003 % 9_999_991)\n" }
        return text
    }()

    static func report(_ extra: String = "") -> String { Fixture.report("big", schedule: "0 6 * * *", extra: extra) }

    /// The blocks each visible output file of `report` takes (the manifest aside: it is rewritten
    /// only once every output is in place).
    func blocks(_ folder: URL, blockSize: Int) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in filesIn(folder) where !name.hasPrefix(".") && name != "manifest.json" {
            let size =
                (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path))?[
                    .size] as? Int ?? 0
            result[name] = (size + blockSize - 1) / blockSize
        }
        return result
    }

    /// How much room the full disk leaves.
    enum Room: String, CaseIterable, CustomTestStringConvertible {
        case none, firstFileOnly, slotFilesOnly, allButOneBlock
        var testDescription: String { rawValue }
    }

    @Test(
        .enabled(if: TmpfsMount.available(), "needs a small tmpfs (root); the reason is printed when skipped"),
        arguments: Room.allCases)
    func aRunThatDoesNotFitFailsAndChangesNothing(room: Room) async throws {
        let f = try Fixture(csv: Self.csv, reports: ["big": Self.report()])
        let disk = try TmpfsMount(at: f.output, size: "4m")
        defer {
            disk.unmount()
            withExtendedLifetime(f) {}
        }
        let first = try await reportd(["run", "--config", f.config, "--slot", "2026-01-01T06:00"])
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let folder = f.output.appendingPathComponent("big")
        let before = snapshot(f.output)
        let sizes = blocks(folder, blockSize: disk.blockSize)
        // The next run writes files of the same sizes: slot CSV, JSON, text, then latest.*.
        let needed = sizes.values.reduce(0, +)
        let leave: Int
        switch room {
        case .none: leave = 0
        case .firstFileOnly: leave = sizes["big_2026-01-01T060000.csv"]!
        case .slotFilesOnly: leave = sizes.filter { !$0.key.hasPrefix("latest.") }.values.reduce(0, +)
        case .allButOneBlock: leave = needed - 1
        }
        try disk.fill(leaving: leave * disk.blockSize)
        #expect(disk.freeBytes == leave * disk.blockSize, "free \(disk.freeBytes), wanted \(leave) blocks")

        let full = try await reportd(["run", "--config", f.config, "--slot", "2026-01-02T06:00"])
        #expect(full.status == 1, "\(full.stdout)\n\(full.stderr)")
        let failure = full.stdout.split(separator: "\n").first { $0.hasPrefix("FAILED big:") } ?? ""
        print("DiskFullTests (\(room), \(leave) of \(needed) blocks free): \(failure)")
        #expect(failure.contains("the disk is full"), "\(full.stdout)")
        #expect(failure.contains("no space left on the device"), "\(full.stdout)")
        #expect(failure.contains("\(folder.path)/"), "\(full.stdout)")
        #expect(full.stderr.contains("no space left on the device"), "\(full.stderr)")

        // Nothing of the failed run, no temporary file, the previous outputs byte-for-byte.
        var after = snapshot(f.output)
        after["filler"] = nil
        #expect(after.keys.sorted() == before.keys.sorted())
        #expect(after == before, "the previous outputs changed")

        // Once there is room again, the same run succeeds.
        try FileManager.default.removeItem(at: f.output.appendingPathComponent("filler"))
        let again = try await reportd(["run", "--config", f.config, "--slot", "2026-01-02T06:00"])
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(filesIn(folder).contains("big_2026-01-02T060000.json"))
        let audit = OutputAudit(root: f.output, state: f.folder.appendingPathComponent("state"))
        #expect(audit.problems.isEmpty && audit.temporaries.isEmpty, "\(audit.problems) \(audit.temporaries)")
    }

    /// In `serve`, a run that does not fit is retried on its backoff while the daemon goes on; once
    /// there is room, the next slot and the retry succeed. (`retry_delay: 2s`: the retry comes 2 s
    /// after the failure, the next 4 s after that.)
    @Test(.enabled(if: TmpfsMount.available(), "needs a small tmpfs (root); the reason is printed when skipped"))
    func serveRetriesARunThatDoesNotFitAndLives() async throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: ["big": Self.report("retries: 2\nretry_delay: 2s").replacingOccurrences(of: "0 6 * * *", with: "every 1s")])
        let disk = try TmpfsMount(at: f.output, size: "4m")
        defer {
            disk.unmount()
            withExtendedLifetime(f) {}
        }
        // A manual run (not a backfill, which would count as a completed slot and make the daemon
        // catch up every second since then).
        let first = try await reportd(["run", "--config", f.config])
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let folder = f.output.appendingPathComponent("big")
        func visible() -> [String: Data] { snapshot(f.output).filter { !$0.key.contains("/.") && $0.key != "filler" } }
        let before = visible()
        try disk.fill(leaving: (blocks(folder, blockSize: disk.blockSize).values.reduce(0, +) - 1) * disk.blockSize)

        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        func lines(_ texts: String...) -> [Substring] {
            log().split(separator: "\n").filter { line in texts.allSatisfy { line.contains($0) } }
        }
        /// Waits, and shows the daemon's log when the wait fails.
        func until(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) async throws {
            do { try await waitUntil(what, timeout: timeout, condition) } catch {
                throw AuditFailure("\(error); the daemon's log:\n\(log().suffix(4000))")
            }
        }
        do { try await listener.waitAsync(for: "READY=1") } catch {
            throw AuditFailure("\(error); the daemon's log:\n\(log().suffix(4000))")
        }
        try await until("a failed run with its retry scheduled") {
            !lines("run failed, retrying in 2s (attempt 2 of 3)", "no space left on the device").isEmpty
        }
        // Later slots fail too, and the daemon goes on.
        try await until("three failed runs") { lines("run failed, retrying in").count >= 3 }
        #expect(process.isRunning)
        let failure = lines("run failed, retrying in 2s").first ?? ""
        print("DiskFullTests serve: \(failure)")
        #expect(failure.contains("\(folder.path)/"), "\(failure)")
        #expect(visible() == before, "a failed run changed the visible outputs")

        // Room again: the next slot publishes, and a failed slot's retry succeeds.
        try FileManager.default.removeItem(at: f.output.appendingPathComponent("filler"))
        try await until("a run published after space was freed") { !lines("report published").isEmpty }
        try await until("the retry of the failed slot", timeout: 60) {
            !lines("run succeeded", "run.trigger=retry").isEmpty
        }
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        try await until("exit after SIGTERM") { !process.isRunning }
        #expect(process.terminationStatus == 0)
        let audit = OutputAudit(root: f.output, state: f.folder.appendingPathComponent("state"))
        #expect(audit.problems.isEmpty && audit.temporaries.isEmpty, "\(audit.problems) \(audit.temporaries)")
    }

    /// ENOSPC also means "no free inodes": the message said "free space on that volume" on a volume
    /// that was 97 % empty (issue 13). A tmpfs with room for few files shows it.
    @Test(.enabled(if: TmpfsMount.available(), "needs a small tmpfs (root); the reason is printed when skipped"))
    func runningOutOfInodesSaysSoNotDiskFull() async throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,1\n", reports: ["small": Fixture.report("small")])
        // The root folder takes one inode: the report's folder and its first file the next two.
        let disk = try TmpfsMount(at: f.output, size: "4m", options: "nr_inodes=3")
        defer {
            disk.unmount()
            withExtendedLifetime(f) {}
        }
        let out = try await reportd(["run", "--config", f.config, "small"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("the volume has no free inodes"), "\(out.stderr)")
        #expect(!out.stderr.contains("the disk is full"), "\(out.stderr)")
    }
}
