import Foundation
import Testing

@testable import ReportState

/// The state-folder memory of `split_by`, `publish_when` and `alerts`: kept across instances (a
/// restart), first-come slugs, one fingerprint per (period, value), alerts by their `when` text.
@Suite struct ReportMemoryTests {
    func freshFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("memory-\(UUID().uuidString)").path
    }

    @Test func slugsAreAssignedOnceInTheOrderGivenAndKeptAcrossInstances() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let choose: @Sendable (String, Set<String>) -> String = { value, taken in
            let plain = value.lowercased()
            return taken.contains(plain) ? plain + "-2" : plain
        }
        let first = try FolderReportMemory(stateDirectory: folder).assignSlugs(
            report: "r", values: ["A", "a"], choose: choose)
        #expect(first == ["A": "a", "a": "a-2"])
        // A new instance (a restart) keeps the assignment; a value already assigned keeps its slug.
        let again = FolderReportMemory(stateDirectory: folder)
        let second = try again.assignSlugs(report: "r", values: ["a", "B"], choose: choose)
        #expect(second == ["A": "a", "a": "a-2", "B": "b"])
        #expect(try again.slugAssignments(report: "r") == second)
        #expect(try again.slugAssignments(report: "other") == [:])
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/memory/r.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func fingerprintsArePerPeriodAndValueAndAlertsPerWhenText() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let memory = FolderReportMemory(stateDirectory: folder)
        #expect(try memory.fingerprint(report: "r", period: "p1", splitValue: nil) == nil)
        try memory.recordFingerprint("f1", report: "r", period: "p1", splitValue: nil)
        try memory.recordFingerprint("f2", report: "r", period: "p1", splitValue: "Mường Tè")
        try memory.recordFingerprint("f3", report: "r", period: "p1", splitValue: nil)
        let restarted = FolderReportMemory(stateDirectory: folder)
        #expect(try restarted.fingerprint(report: "r", period: "p1", splitValue: nil) == "f3")
        #expect(try restarted.fingerprint(report: "r", period: "p1", splitValue: "Mường Tè") == "f2")
        #expect(try restarted.fingerprint(report: "r", period: "p2", splitValue: nil) == nil)
        #expect(restarted.load("r").fingerprints.count == 2)

        #expect(try restarted.alertRaised(report: "r", when: "rows > 0") == nil)
        #expect(try restarted.recordAlert(raised: true, report: "r", when: "rows > 0"))
        #expect(try restarted.recordAlert(raised: true, report: "r", when: "rows > 0") == false, "no change the second time")
        #expect(try FolderReportMemory(stateDirectory: folder).alertRaised(report: "r", when: "rows > 0") == true)
        #expect(try restarted.alertRaised(report: "r", when: "rows > 1") == nil)
    }
}
