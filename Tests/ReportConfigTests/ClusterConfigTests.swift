import Foundation
import ReportCore
import Testing
import TestSupport

@testable import ReportConfig

/// `cluster:` in the daemon config (issue 17): its keys, their defaults and located errors.
@Suite(.blocking) struct ClusterConfigTests {
    /// The fixture's daemon config (11 lines) with `cluster:` at line 12 and `lines` under it from 13.
    func load(_ lines: String...) throws -> (Configuration, [(file: String, line: Int, column: Int, message: String)]) {
        let daemon = ConfigFixture.daemon + "\ncluster:\n" + lines.map { "  \($0)\n" }.joined()
        let fixture = try ConfigFixture(daemon: daemon, reports: ["r.yaml": validReport])
        return (fixture.load(), fixture.errors())
    }

    @Test func withoutClusterThereIsNoneAndNoDatabase() throws {
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport])
        let configuration = fixture.load()
        #expect(fixture.errors().isEmpty)
        #expect(configuration.daemon != nil)
        #expect(configuration.daemon?.cluster == nil)
    }

    @Test func theKeysAndTheirDefaults() throws {
        let (configuration, errors) = try load("url: postgresql://reportd@db.example/reportd?sslmode=require")
        #expect(errors.isEmpty, "\(errors)")
        let cluster = try #require(configuration.daemon?.cluster)
        #expect(cluster.url == "postgresql://reportd@db.example/reportd?sslmode=require")
        #expect(cluster.lease == 30)
        #expect(cluster.node == ClusterSettings.hostName())
        #expect(cluster.urlLocation?.line == 13)
        let (short, shortErrors) = try load(
            "url: postgres://db/r", "node: report-1", "lease: 2s", "password_file: secret/cluster.pw")
        #expect(shortErrors.isEmpty, "\(shortErrors)")
        #expect(short.daemon?.cluster?.lease == 2)
        #expect(short.daemon?.cluster?.node == "report-1")
        #expect(short.daemon?.cluster?.passwordFile?.hasSuffix("/secret/cluster.pw") == true)
    }

    @Test(arguments: [
        (["url: postgres://db/r", "lease: 1s"], 14, 10, "'cluster.lease' must be from 2s to 1h"),
        (["url: postgres://db/r", "lease: 2h"], 14, 10, "'cluster.lease' must be from 2s to 1h"),
        (["url: postgres://db/r", "lease: soon"], 14, 10, "'cluster.lease' must be a duration"),
        (["url: postgres://db/r", "node: 'report 1'"], 14, 9, "'cluster.node' must be 1 to 63 letters"),
        (["url: postgres://db/r", "nodes: a"], 14, 3, "unknown key 'nodes'"),
        (["url: mysql://db/r"], 13, 8, "'cluster.url' must be a libpq URI"),
        (["url: postgresql://reportd:secret@db/r"], 13, 8, "must not hold a password"),
        (["url: postgresql://db/r?password=x"], 13, 8, "must not hold a password"),
        (["lease: 30s"], 13, 3, "'cluster' needs 'url'"),
    ])
    func aBadKeyIsALocatedError(lines: [String], line: Int, column: Int, message: String) throws {
        let daemon = ConfigFixture.daemon + "\ncluster:\n" + lines.map { "  \($0)\n" }.joined()
        let fixture = try ConfigFixture(daemon: daemon, reports: ["r.yaml": validReport])
        let configuration = fixture.load()
        let errors = fixture.errors()
        #expect(configuration.daemon == nil)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.line == line, "\(errors)")
        #expect(errors.first?.column == column, "\(errors)")
        #expect(errors.first?.message.contains(message) == true, "\(errors)")
    }
}
