import Foundation
import Testing
import TestSupport

@testable import ReportDaemon

@Suite(.blocking) struct ReportSetTests {
    @Test func reloadAppliesEachFileOnItsOwn() throws {
        let fixture = try DaemonFixture(reports: [
            "keep": DaemonFixture.report("keep", schedule: "@daily"),
            "change": DaemonFixture.report("change", schedule: "@daily"),
            "gone": DaemonFixture.report("gone", schedule: "@daily"),
        ])
        let before = try fixture.load()
        try fixture.write("keep", "name: keep\nschedule: [broken\n")
        try fixture.write("change", DaemonFixture.report("change", schedule: "@hourly"))
        try fixture.write("new", DaemonFixture.report("new", schedule: "@daily"))
        try fixture.write("new-broken", DaemonFixture.report("new-broken", schedule: "61 * * * *"))
        try fixture.remove("gone")
        let (daemon, files, _) = fixture.reload()
        let (after, changes) = before.reloaded(daemon: daemon, files: files)
        #expect(changes.added == ["new"])
        #expect(changes.removed == ["gone"])
        #expect(changes.kept == ["keep"])
        #expect(changes.replaced == ["change"])
        #expect(Set(after.reports.keys) == ["keep", "change", "new"])
        #expect(after.reports["change"]?.definition.schedule.description == "0 * * * *")
        #expect(after.reports["keep"]?.definition.schedule.description == "0 0 * * *")
    }

    @Test func invalidDaemonConfigKeepsEverything() throws {
        let fixture = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "@daily")])
        let before = try fixture.load()
        let (after, changes) = before.reloaded(daemon: nil, files: [])
        #expect(changes.rejectedDaemonConfig)
        #expect(Array(after.reports.keys) == ["a"])
    }
}
