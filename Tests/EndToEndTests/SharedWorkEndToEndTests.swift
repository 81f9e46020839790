import Foundation
import Testing
import TestSupport

/// The real `reportd run` with many reports in one run, which share work (issue 20: the rows a
/// filter keeps, group ids and identical metrics computed once per read): every report's files
/// are those it publishes when run alone, over two CSV datasets and the SQLite one (whose
/// reports read their own rows), with a plugin calculator among them.
@Suite(.blocking) struct SharedWorkEndToEndTests {
    /// The sample config with each sample report three more times: a copy on the same dataset,
    /// one on a second CSV dataset with other rows, one on the SQLite dataset.
    func config() throws -> (config: URL, names: [String]) {
        let root = try copyOfSampleConfig()
        let config = root.appendingPathComponent("config")
        let daemon = config.appendingPathComponent("reportd.yaml")
        // A second CSV dataset: every third row of the sample left out.
        let lines = try String(contentsOf: config.appendingPathComponent("data/projects.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let other = [lines[0]] + lines.dropFirst().enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        try other.joined(separator: "\n").write(
            to: config.appendingPathComponent("data/projects-other.csv"), atomically: true, encoding: .utf8)
        try String(contentsOf: daemon, encoding: .utf8)
            .replacingOccurrences(
                of: "\ndatasets:\n",
                with: "\ndatasets:\n  projects_other:\n    format: csv\n    path: data/projects-other.csv\n"
                    + "    schema: data/projects.schema.yaml\n")
            .replacingOccurrences(of: "    table: projects ", with: "    schema: data/projects.schema.yaml\n    table: projects ")
            .write(to: daemon, atomically: true, encoding: .utf8)
        let reports = config.appendingPathComponent("reports.d")
        var names: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted() where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: reports.appendingPathComponent(file), encoding: .utf8)
            let name = String(file.dropLast(5))
            names.append(name)
            for (prefix, dataset) in [("copy-", "projects"), ("other-", "projects_other"), ("db-", "projects_sqlite")] {
                let twin = text.replacingOccurrences(of: "\nname: \(name)\n", with: "\nname: \(prefix)\(name)\n")
                    .replacingOccurrences(of: "\ndataset: projects\n", with: "\ndataset: \(dataset)\n")
                #expect(twin.contains("\nname: \(prefix)\(name)\n") && twin.contains("\ndataset: \(dataset)\n"), "\(file)")
                try twin.write(to: reports.appendingPathComponent(prefix + file), atomically: true, encoding: .utf8)
                names.append(prefix + name)
            }
        }
        return (config, names)
    }

    /// A report's published CSV files (the whole report's and each split value's), by path.
    func csvFiles(_ config: URL, _ name: String) -> [String: Data] {
        let folder = config.deletingLastPathComponent().appendingPathComponent("var/reports/\(name)")
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: folder.path)
        while let path = walker?.nextObject() as? String {
            guard path.hasSuffix("latest.csv") else { continue }
            files[path] = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path)
        }
        return files
    }

    @Test func everyReportOfOneRunGivesWhatItGivesAlone() throws {
        let (config, names) = try config()
        let all = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        let together = Dictionary(uniqueKeysWithValues: names.map { ($0, csvFiles(config, $0)) })
        for name in names {
            #expect(!(together[name] ?? [:]).isEmpty, "\(name) published")
        }
        for name in names {
            let alone = try runReportd(["run", "--config", "reportd.yaml", name], in: config)
            #expect(alone.status == 0, "\(alone.stdout)\(alone.stderr)")
            #expect(csvFiles(config, name) == together[name], "\(name)")
        }
        // Copies give their original's figures; the other dataset gives its own.
        for name in names where ["copy-", "other-", "db-"].allSatisfy({ !name.hasPrefix($0) }) {
            #expect(together["copy-" + name] == together[name], "copy-\(name)")
        }
        #expect(names.contains { together["other-" + $0] != nil && together["other-" + $0] != together[$0] })
    }
}
