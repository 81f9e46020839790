import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Every YAML example in README.md and PLUGINS.md is checked by the real `reportd`, so the docs
/// cannot drift from what the program accepts: a report definition, a daemon config (or a part
/// of one), a dataset schema or a report test, each written into a copy of the sample config and
/// run through `reportd validate` (or `reportd test`). A block that is deliberately not checkable
/// says so with `<!-- not-validated: REASON -->` on the line before its fence; any other block
/// that cannot be classified fails, so nothing is skipped silently.
@Suite(.blocking) struct DocumentationExamplesTests {
    /// One fenced YAML block of a Markdown file.
    struct Block: CustomStringConvertible {
        var file: String
        /// The line of the opening fence, 1-based.
        var line: Int
        var text: String
        /// The reason given by a `<!-- not-validated: ... -->` marker, when there is one.
        var notValidated: String?

        var description: String { "\(file):\(line)" }

        /// The top-level keys, in order.
        var keys: [String] {
            text.split(separator: "\n").compactMap { line in
                guard let first = line.first, first.isLetter || first == "_" else { return nil }
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return String(line[..<colon])
            }
        }

        /// The file named by a first comment line such as `# reports.d/NAME.yaml`.
        var namedFile: String? {
            guard let first = text.split(separator: "\n").first, first.hasPrefix("#") else { return nil }
            let words = first.dropFirst().split(whereSeparator: { $0 == " " || $0 == ";" })
            return words.first.map(String.init).flatMap { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") ? $0 : nil }
        }
    }

    /// The fenced ```yaml blocks of `file` (relative to the package root), with their markers.
    static func yamlBlocks(in file: String) throws -> [Block] {
        let lines = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("```") else {
                index += 1
                continue
            }
            let language = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
            let start = index
            let indent = lines[index].prefix { $0 == " " }.count
            var body: [String] = []
            index += 1
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                body.append(String(lines[index].dropFirst(min(indent, lines[index].prefix { $0 == " " }.count))))
                index += 1
            }
            index += 1
            guard language == "yaml" || language == "yml" else { continue }
            var marker: String?
            if start > 0 {
                let previous = lines[start - 1].trimmingCharacters(in: .whitespaces)
                if previous.hasPrefix("<!-- not-validated:"), previous.hasSuffix("-->") {
                    marker = String(previous.dropFirst("<!-- not-validated:".count).dropLast(3))
                        .trimmingCharacters(in: .whitespaces)
                }
            }
            blocks.append(
                Block(file: file, line: start + 1, text: body.joined(separator: "\n") + "\n", notValidated: marker))
        }
        return blocks
    }

    static let documents = ["README.md", "PLUGINS.md"]

    /// The name of the group this process runs with, for the examples' `group: reportd` (a group
    /// that `validate` requires to exist, and that only an installed reportd has).
    static func currentGroupName() -> String? {
        guard let entry = getgrgid(getgid()), let name = entry.pointee.gr_name else { return nil }
        return String(cString: name)
    }

    enum Kind: String {
        case report = "report definition"
        case testFile = "report test"
        case schema = "dataset schema"
        case daemonConfig = "daemon config"
        case daemonFragment = "part of a daemon config"
    }

    static func kind(of block: Block) -> Kind? {
        let keys = Set(block.keys)
        if keys.contains("tests") { return .testFile }
        if keys == ["columns"] { return .schema }
        if keys.contains("name") && keys.contains("metrics") { return .report }
        if keys.contains("datasets") { return .daemonConfig }
        let daemonKeys: Set<String> = [
            "timezone", "reports", "state", "locale", "max_concurrent", "shutdown_grace", "dataset_cache",
            "metrics_file", "history", "output", "plugins", "plugin_timeout", "plugin_memory", "mail", "owners", "cluster",
        ]
        if !keys.isEmpty, keys.isSubset(of: daemonKeys) { return .daemonFragment }
        return nil
    }

    /// `text` with each top-level `key:` entry (and the lines indented under it) of `replacing`
    /// removed, then `replacing` appended: a daemon config with some of its keys set as a
    /// fragment sets them.
    static func merge(_ fragment: String, into config: String, keys: Set<String>) -> String {
        var kept: [Substring] = []
        var dropping = false
        for line in config.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#" {
                let key = line.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                dropping = keys.contains(key)
            } else if line.first == "#" {
                dropping = false
            }
            if !dropping { kept.append(line) }
        }
        return kept.joined(separator: "\n") + "\n" + fragment
    }

    /// Checks one block in a fresh copy of the sample config; returns the problem, or nil when
    /// the real `reportd` accepts it.
    static func check(_ block: Block) throws -> String? {
        guard let kind = kind(of: block) else {
            return "\(block): a YAML block that is neither a report, a daemon config, a dataset schema nor a "
                + "report test: make it one, or mark it <!-- not-validated: REASON --> on the line before its fence"
        }
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config")
        var configFile = config.appendingPathComponent("reportd.yaml")
        let sampleConfig = try String(contentsOf: configFile, encoding: .utf8)
        var text = block.text
        var arguments = ["validate", "--config", configFile.path]
        switch kind {
        case .report:
            // Added beside the sample reports (never over one): a name that clashes with a sample
            // report is an error, as it would be for an administrator following the README.
            let base = block.namedFile.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "example.yaml"
            let file = config.appendingPathComponent("reports.d/readme-\(block.line)-\(base)")
            try text.write(to: file, atomically: true, encoding: .utf8)
            // A report that mails needs `mail:` in the daemon config, which the sample leaves out
            // (it sends no mail): the README's Mail section shows that part on its own.
            if text.contains("\ndeliver:") || text.contains("\nowners:") {
                try (sampleConfig + "\nmail: {sendmail: /bin/true, from: reportd@example.org}\n")
                    .write(to: configFile, atomically: true, encoding: .utf8)
            }
        case .testFile:
            let file = config.appendingPathComponent("tests/readme-\(block.line).yaml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            arguments = ["test", "--config", configFile.path, file.path]
        case .schema:
            // A second dataset over the sample's CSV, with this schema (extra CSV columns are ignored).
            let schema = config.appendingPathComponent("data/readme-\(block.line).schema.yaml")
            try text.write(to: schema, atomically: true, encoding: .utf8)
            let dataset = """
                datasets:
                  readme:
                    format: csv
                    path: data/projects.csv
                    schema: data/readme-\(block.line).schema.yaml
                """
            #expect(sampleConfig.contains("\ndatasets:\n"), "the sample config has no 'datasets:' line")
            try sampleConfig.replacingOccurrences(of: "\ndatasets:\n", with: "\n" + dataset + "\n")
                .write(to: configFile, atomically: true, encoding: .utf8)
        case .daemonConfig, .daemonFragment:
            // Absolute paths of a server become paths in the temporary folder; the `reportd` group
            // (which `validate` requires to exist) becomes this process's group.
            let server = folder.appendingPathComponent("server").path
            text = text.replacingOccurrences(of: ": /", with: ": \(server)/")
            if let group = currentGroupName() {
                text = text.replacingOccurrences(of: "group: reportd", with: "group: \(group)")
            }
            if kind == .daemonFragment { text = merge(text, into: sampleConfig, keys: Set(block.keys)) }
            configFile = config.appendingPathComponent("readme-\(block.line).yaml")
            try text.write(to: configFile, atomically: true, encoding: .utf8)
            arguments[2] = configFile.path
        }
        let out = try runReportd(arguments, in: config)
        guard out.status == 0 else {
            return "\(block) (\(kind.rawValue)): `reportd \(arguments[0])` exited \(out.status):\n"
                + out.stdout + out.stderr + "--- the block as checked:\n" + text
        }
        return nil
    }

    @Test(arguments: documents) func everyYAMLExampleIsAccepted(document: String) throws {
        let blocks = try Self.yamlBlocks(in: document)
        #expect(!blocks.isEmpty || document != "README.md", "no YAML blocks found in \(document)")
        for block in blocks {
            if let reason = block.notValidated {
                #expect(!reason.isEmpty, "\(block): <!-- not-validated: --> needs a reason")
                continue
            }
            if let problem = try Self.check(block) { Issue.record(Comment(rawValue: problem)) }
        }
    }

    /// The test's own machinery: it finds the blocks, classifies them, and a broken example fails.
    @Test func aBrokenExampleFailsWithItsLine() throws {
        let blocks = try Self.yamlBlocks(in: "README.md")
        let report = try #require(blocks.first { Self.kind(of: $0) == .report }, "README.md has no report example")
        #expect(blocks.contains { Self.kind(of: $0) == .daemonConfig })
        #expect(blocks.contains { Self.kind(of: $0) == .testFile })
        #expect(blocks.contains { Self.kind(of: $0) == .schema })
        var broken = report
        broken.text = report.text.replacingOccurrences(of: "calc: sum", with: "calc: summ")
        #expect(broken.text != report.text)
        let problem = try #require(try Self.check(broken))
        #expect(problem.hasPrefix("README.md:\(report.line) (report definition)"), "\(problem)")
        #expect(problem.contains("unknown calculator 'summ'"), "\(problem)")
        var unknown = report
        unknown.text = "colour: red\n"
        #expect(try Self.check(unknown)?.contains("not-validated") == true)
    }
}
