import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// External calculator plugins (PLUGINS.md), run through the real binary: a plugin that fails its
/// handshake or misbehaves while computing fails only the reports that use it, with an error
/// naming it and what it did; the other reports publish; no plugin process outlives `reportd`.
/// Also the two example plugins, checked against values computed independently.
///
/// The misbehaving plugins are the scripts in `plugins/` beside this file, one per misbehaviour.
@Suite(.blocking, .serialized) struct PluginContainmentTests {
    /// `Tests/EndToEndTests/plugins/`.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("plugins")

    /// Short, so the hang case is quick; long enough for the good plugin's Python to start and
    /// answer on a loaded machine (3 s once ran out beside the rest of the suite).
    static let timeout = 5

    // MARK: - Runtime failures

    struct RuntimeCase: CustomTestStringConvertible, Sendable {
        var script: String
        var calculator: String
        /// Texts the `FAILED bad:` line must contain.
        var expected: [String]
        /// At least one of these, when not empty.
        var oneOf: [String] = []
        /// Texts the line must not contain.
        var absent: [String] = []
        var testDescription: String { script }
    }

    static let runtimeCases: [RuntimeCase] = [
        RuntimeCase(
            script: "crash.py", calculator: "crash_calc",
            expected: ["plugin 'crash' was killed by signal 11", "256 MiB"]),
        RuntimeCase(
            script: "exits.py", calculator: "exits_calc",
            expected: ["plugin 'exits' exited with status 3 before answering"],
            // Nothing says memory ran out: no hint that it might have.
            absent: ["MiB"]),
        RuntimeCase(
            script: "huge-number.py", calculator: "huge_number_calc",
            expected: ["plugin 'huge-number' answered garbage: value 1: a number out of range"]),
        RuntimeCase(script: "hang.py", calculator: "hang_calc", expected: ["plugin 'hang' timed out after \(timeout)s"]),
        RuntimeCase(script: "garbage.py", calculator: "garbage_calc", expected: ["plugin 'garbage' answered garbage"]),
        RuntimeCase(
            script: "wrong-shape.py", calculator: "wrong_shape_calc",
            expected: ["plugin 'wrong-shape' answered garbage"]),
        RuntimeCase(
            script: "wrong-type.py", calculator: "wrong_type_calc", expected: ["plugin 'wrong-type' answered garbage"]),
        RuntimeCase(script: "flood.py", calculator: "flood_calc", expected: ["plugin 'flood' wrote more than"]),
        // Before SIGPIPE was ignored, reportd died of it here (exit status 141).
        RuntimeCase(
            script: "closes-input.py", calculator: "closes_input_calc",
            expected: ["plugin 'closes-input' "], oneOf: ["closed its input", "exited", "killed"]),
        RuntimeCase(
            script: "memory-hog.py", calculator: "memory_hog_calc", expected: ["plugin 'memory-hog' ", "256 MiB"],
            oneOf: ["exited with status", "was killed by signal"]),
        RuntimeCase(
            script: "error.py", calculator: "error_calc",
            expected: ["plugin 'error' reported an error: no data for this group"]),
    ]

    @Test(arguments: runtimeCases)
    func runtimeFailureFailsOnlyItsReport(_ c: RuntimeCase) throws {
        let f = try PluginFixture(plugins: ["good.py", c.script], badCalculator: c.calculator)
        let started = Date()
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        let elapsed = Date().timeIntervalSince(started)
        let leftovers = processesMentioning(f.folder.path)

        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        let failed = out.stdout.split(separator: "\n").first { $0.hasPrefix("FAILED bad:") }.map(String.init)
        #expect(failed != nil, "no FAILED line for bad:\n\(out.stdout)")
        for text in c.expected {
            #expect(failed?.contains(text) == true, "expected '\(text)' in: \(failed ?? out.stdout)")
        }
        for text in c.absent {
            #expect(failed?.contains(text) == false, "did not expect '\(text)' in: \(failed ?? "")")
        }
        if !c.oneOf.isEmpty {
            #expect(c.oneOf.contains { failed?.contains($0) == true }, "expected one of \(c.oneOf) in: \(failed ?? "")")
        }
        #expect(out.stdout.contains("ok     good"), "\(out.stdout)")
        try f.expectGoodPublished()
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("bad/latest.json").path))
        #expect(leftovers.isEmpty, "plugin processes left running: \(leftovers)")
        // A bound, not a benchmark: the time limit, plus the handshakes and the good report, with
        // room for a loaded machine (a hang that is never stopped would take an hour).
        #expect(elapsed < Double(Self.timeout + 20), "reportd run took \(elapsed) s")
        if c.expected.contains(where: { $0.contains("timed out") }) {
            // ...and it did wait for the time limit before giving up.
            #expect(elapsed >= Double(Self.timeout) - 0.1, "gave up after \(elapsed) s")
        }
    }

    @Test func pluginStandardErrorIsLoggedAndTheRunSucceeds() throws {
        let f = try PluginFixture(plugins: ["good.py", "stderr.py"], badCalculator: "stderr_calc")
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stderr.contains("plugin stderr: warming up"), "\(out.stderr)")
        try f.expectGoodPublished()
        // The "bad" report's calculator answers rows per group here.
        let json = try readJSON(f.output.appendingPathComponent("bad/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.map { $0["district"] as? String } == ["Mường Tè", "Sìn Hồ", "Tam Đường"])
        #expect(rows.map { $0["x"] as? Int } == [1, 2, 2])
        #expect(processesMentioning(f.folder.path).isEmpty)
    }

    @Test func calculatorsListsThePluginsCalculators() throws {
        let f = try PluginFixture(plugins: ["good.py"], badCalculator: "good_count")
        let out = try runReportd(["calculators", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("good_count") && $0.contains("plugin good") }, "\(out.stdout)")
        #expect(lines.contains { $0.hasPrefix("good_sum") && $0.contains("plugin good") }, "\(out.stdout)")
        #expect(lines.contains { $0.hasPrefix("sum ") }, "built-in calculators are still listed:\n\(out.stdout)")
    }

    // MARK: - Handshake failures

    struct HandshakeCase: CustomTestStringConvertible, Sendable {
        var script: String
        var plugin: String
        var calculator: String
        /// The reason must contain one of these.
        var reasons: [String]
        var testDescription: String { script }
    }

    static let handshakeCases: [HandshakeCase] = [
        HandshakeCase(
            script: "no-hello.py", plugin: "no-hello", calculator: "no_hello_calc", reasons: ["no hello", "exited"]),
        HandshakeCase(
            script: "bad-protocol.py", plugin: "bad-protocol", calculator: "bad_protocol_calc", reasons: ["protocol"]),
        HandshakeCase(
            script: "handshake-garbage.py", plugin: "handshake-garbage", calculator: "handshake_garbage_calc",
            reasons: ["not JSON"]),
        HandshakeCase(
            script: "string-protocol.py", plugin: "string-protocol", calculator: "string_protocol_calc",
            reasons: ["the protocol version must be a number"]),
        // Its standard error is shown: the reason a Python plugin does not start is there.
        HandshakeCase(
            script: "import-error.py", plugin: "import-error", calculator: "import_error_calc",
            reasons: ["ModuleNotFoundError: No module named 'reportd_no_such_module'"]),
        HandshakeCase(
            script: "handshake-hang.py", plugin: "handshake-hang", calculator: "handshake_hang_calc",
            reasons: ["timed out"]),
    ]

    @Test(arguments: handshakeCases)
    func handshakeFailureMakesItsReportsInvalid(_ c: HandshakeCase) throws {
        let f = try PluginFixture(plugins: ["good.py", c.script], badCalculator: c.calculator)
        let diagnosticStart = "plugins/\(c.script): error: plugin '\(c.plugin)': "

        func check(_ out: ProcessOutput, _ command: String) {
            #expect(out.status == 1, "\(command): \(out.stdout)\n\(out.stderr)")
            let diagnostic = out.stderr.split(separator: "\n").first { $0.contains(diagnosticStart) }.map(String.init)
            #expect(diagnostic != nil, "\(command): no diagnostic '\(diagnosticStart)…' in:\n\(out.stderr)")
            #expect(
                c.reasons.contains { diagnostic?.contains($0) == true },
                "\(command): expected one of \(c.reasons) in: \(diagnostic ?? "")")
            let all = out.stdout + "\n" + out.stderr
            #expect(
                all.split(separator: "\n").contains {
                    $0.contains("bad.yaml") && $0.contains("unknown calculator '\(c.calculator)'")
                }, "\(command): the report using it is not reported invalid:\n\(all)")
        }

        let validate = try runReportd(["validate", "--config", f.config], in: f.folder)
        check(validate, "validate")

        let started = Date()
        let run = try runReportd(["run", "--config", f.config], in: f.folder)
        let elapsed = Date().timeIntervalSince(started)
        check(run, "run")
        #expect(run.stdout.contains("ok     good"), "\(run.stdout)")
        try f.expectGoodPublished()
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("bad").path))
        #expect(processesMentioning(f.folder.path).isEmpty)
        // A bound, not a benchmark (see above).
        #expect(elapsed < Double(Self.timeout + 20), "reportd run took \(elapsed) s")
    }

    // MARK: - The example plugins against independent computations

    /// `hhi` on the sample config, against DuckDB: Σ (s/S)² × 10000 per programme and overall.
    @Test func hhiExampleMatchesDuckDBOnTheSampleData() throws {
        let folder = try copyOfSampleConfig()
        let config = folder.appendingPathComponent("config")
        // The sample's plugin is a copy of the example: check that it is the same file.
        let example = try Data(contentsOf: packageRoot.appendingPathComponent("examples/plugins/hhi-python/hhi.py"))
        #expect(try Data(contentsOf: config.appendingPathComponent("plugins.d/hhi.py")) == example)
        #expect(FileManager.default.isExecutableFile(atPath: config.appendingPathComponent("plugins.d/hhi.py").path))

        let out = try runReportd(
            ["run", "--config", config.appendingPathComponent("reportd.yaml").path, "concentration-by-program"])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let json = try readJSON(folder.appendingPathComponent("var/reports/concentration-by-program/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        var got: [String: Double] = [:]
        for row in rows {
            got[try #require(row["program"] as? String)] = try #require(row["hhi"] as? Double)
        }
        let totals = try #require(json["totals"] as? [String: Any])
        got["(all)"] = try #require(totals["hhi"] as? Double)

        let script = #"""
            import duckdb, json, sys
            con = duckdb.connect()
            path = sys.argv[1].replace("'", "''")
            con.execute(f"create table p as select * from read_csv('{path}', header=true, all_varchar=true)")
            def hhi(keys):
                by = f"{keys}, " if keys else ""
                q = f"""
                  with s as (select {by} beneficiary, sum(cast(state_support_vnd as hugeint)) s from p
                             where state_support_vnd is not null and beneficiary is not null
                             group by all),
                       t as (select {by} sum(s) as total from s group by all)
                  select {by} sum(power(cast(s as double) / cast(total as double), 2)) * 10000
                  from s {'join t using (' + keys + ')' if keys else 'cross join t'} group by all"""
                return con.execute(q).fetchall()
            out = {program: value for program, value in hhi("program")}
            out["(all)"] = hhi("")[0][0]
            print(json.dumps(out))
            """#
        let duck = try runPython(["-c", script, config.appendingPathComponent("data/projects.csv").path])
        #expect(duck.status == 0, "duckdb failed (is the duckdb package installed?):\n\(duck.stderr)")
        let expected = try #require(
            try JSONSerialization.jsonObject(with: Data(duck.stdout.utf8)) as? [String: Double], "\(duck.stdout)")
        #expect(Set(expected.keys) == Set(got.keys), "DuckDB \(expected) vs reportd \(got)")
        #expect(Set(expected.keys) == ["local", "national", "(all)"])
        for (key, value) in expected {
            let mine = try #require(got[key])
            #expect(abs(mine - value) <= 1e-9 * abs(value), "\(key): reportd \(mine), DuckDB \(value)")
            // An index of concentration: between 10000/n and 10000.
            #expect(mine > 0 && mine <= 10000)
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// `gini` (Node.js), under the default memory limit and under 256 MiB, against the mean
    /// absolute difference computed by Python (a different formula: Σ|xᵢ − xⱼ| / (2 n² mean)).
    /// Under an address-space limit Node 20 could not start at 256 MiB (it reserves gigabytes).
    @Test(.enabled(if: nodeAvailable), arguments: [nil, 256] as [Int?])
    func giniNodeExampleMatchesPython(memoryMiB: Int?) throws {
        let script = packageRoot.appendingPathComponent("examples/plugins/gini-node/gini.js")
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv, pluginFiles: [("gini.js", script)],
            memoryMiB: memoryMiB,
            reports: [
                "inequality": """
                name: inequality
                title: inequality
                dataset: things
                schedule: "@daily"
                group_by: [year]
                metrics:
                  - {name: g, calc: gini, column: amount}
                totals: true
                """
            ])
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("inequality/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        var got: [String: Double] = [:]
        for row in rows { got["\(row["year"] as? Int ?? 0)"] = row["g"] as? Double }
        got["all"] = (json["totals"] as? [String: Any])?["g"] as? Double
        let python = """
            import json
            def gini(xs):
                n = len(xs); mean = sum(xs) / n
                return sum(abs(a - b) for a in xs for b in xs) / (2 * n * n * mean)
            data = {"2024": [100, 250], "2025": [9007199254740993]}
            out = {k: gini(v) for k, v in data.items()}
            out["all"] = gini(data["2024"] + data["2025"])
            print(json.dumps(out))
            """
        let oracle = try runPython(["-c", python])
        let expected = try #require(
            try JSONSerialization.jsonObject(with: Data(oracle.stdout.utf8)) as? [String: Double], "\(oracle.stderr)")
        #expect(Set(got.keys) == Set(expected.keys), "\(got)")
        for (key, value) in expected {
            let mine = try #require(got[key], "\(key) missing in \(got)")
            #expect(abs(mine - value) <= 1e-12 + 1e-9 * abs(value), "\(key): reportd \(mine), Python \(value)")
        }
        #expect(processesMentioning(f.folder.path).isEmpty)
    }

    /// `cagr`, built from its package, on a fixture whose answers were worked out by hand.
    @Test(.timeLimit(.minutes(5))) func cagrExampleMatchesHandCalculation() throws {
        let scratch = try temporaryFolder("cagr-build")
        let build = try runProcess(
            "/usr/bin/env",
            [
                "swift", "build", "--package-path",
                packageRoot.appendingPathComponent("examples/plugins/cagr-swift").path,
                "--scratch-path", scratch.path,
            ], mergingErrors: true)
        try #require(build.status == 0, "swift build of the cagr example failed:\n\(build.stdout)\n\(build.stderr)")
        let binary = scratch.appendingPathComponent("debug/cagr")

        // program, year, amount. By hand:
        //   national: 2021 → 1,000,000,000; 2023 → 1,210,000,000. (1.21)^(1/2) = 1.1: +10 % on 2023.
        //   local: 2021 → 200; 2022 → 300; 2024 → 1,600 (two rows, 1,000 + 600); 2025 → only null
        //     (not present). (1600/200)^(1/3) = 2: +100 % on 2024, the last present period.
        //   single: 2022 only → null.   zero: 2021 → 0 (first sum ≤ 0) → null on both years.
        //   Over all rows, by year: 2021 → 1,000,000,200; last present 2024 → 1,600; three years:
        //     (1600 / 1000000200)^(1/3) = 1.6e-6^(1/3) = 0.0116960...; − 1 → −98.8303...
        let csv = """
            program,year,amount
            national,2021,1000000000
            national,2023,1210000000
            local,2021,200
            local,2022,300
            local,2024,1000
            local,2024,600
            local,2025,
            single,2022,500
            zero,2021,0
            zero,2022,10

            """
        let schema = """
            columns:
              program: {type: string, required: true}
              year: {type: int, required: true}
              amount: {type: int}
            """
        let f = try PluginFixture(
            schema: schema, csv: csv, pluginFiles: [("cagr", binary)], memoryMiB: nil,
            reports: [
                "growth": """
                name: growth
                title: "Tăng trưởng bình quân năm"
                dataset: things
                schedule: "@yearly"
                group_by: [program, year]
                metrics:
                  - {name: amount, calc: sum, column: amount}
                  - {name: cagr_pct, calc: cagr, column: amount, period: year}
                totals: true
                """,
                "overall": """
                name: overall
                title: overall
                dataset: things
                schedule: "@yearly"
                metrics:
                  - {name: cagr_pct, calc: cagr, column: amount, period: year}
                """,
                "wrong": """
                name: wrong
                title: wrong
                dataset: things
                schedule: "@yearly"
                group_by: [program]
                metrics:
                  - {name: cagr_pct, calc: cagr, column: amount, period: year}
                """,
            ])
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("ok     growth"), "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("ok     overall"), "\(out.stdout)\n\(out.stderr)")
        let wrong = out.stdout.split(separator: "\n").first { $0.hasPrefix("FAILED wrong:") }
        #expect(
            wrong?.contains("period 'year' must be one of the report's group_by columns") == true, "\(out.stdout)")

        let json = try readJSON(f.output.appendingPathComponent("growth/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        var got: [String: Double?] = [:]
        for row in rows {
            let key = "\(row["program"] as? String ?? "?") \(row["year"] as? Int ?? 0)"
            got[key] = row["cagr_pct"] as? Double
            #expect(row["cagr_pct"] is Double || row["cagr_pct"] is NSNull, "\(key): \(row["cagr_pct"] ?? "missing")")
        }
        let overall = (pow(1600.0 / 1_000_000_200.0, 1.0 / 3.0) - 1) * 100
        let expected: [String: Double?] = [
            "national 2021": nil, "national 2023": 10,
            "local 2021": nil, "local 2022": nil, "local 2024": 100, "local 2025": nil,
            "single 2022": nil, "zero 2021": nil, "zero 2022": nil,
        ]
        #expect(Set(got.keys) == Set(expected.keys), "\(got)")
        for (key, value) in expected {
            let mine = got[key] ?? nil
            if let value {
                #expect(
                    mine != nil && abs(mine! - value) < 1e-9, "\(key): \(String(describing: mine)), expected \(value)")
            } else {
                #expect(mine == nil, "\(key): \(String(describing: mine)), expected null")
            }
        }
        let totals = try #require(json["totals"] as? [String: Any])
        let total = try #require(totals["cagr_pct"] as? Double)
        #expect(abs(total - overall) < 1e-9 && abs(total - -98.8304) < 0.001, "totals: \(total)")
        let overallJSON = try readJSON(f.output.appendingPathComponent("overall/latest.json"))
        let overallRow = try #require((overallJSON["rows"] as? [[String: Any]])?.first)
        #expect(abs((overallRow["cagr_pct"] as? Double ?? 0) - overall) < 1e-9, "\(overallRow)")
        #expect(processesMentioning(f.folder.path).isEmpty)
        try? FileManager.default.removeItem(at: scratch)
    }
}

// MARK: - Support

/// A temporary config folder: a small dataset, a `plugins/` folder, two reports.
struct PluginFixture {
    let folder: URL
    var config: String { folder.appendingPathComponent("reportd.yaml").path }
    var output: URL { folder.appendingPathComponent("out") }

    static let csv = """
        district,year,amount
        Sìn Hồ,2024,100
        Tam Đường,2024,250
        Sìn Hồ,2025,
        Tam Đường,2025,9007199254740993
        Mường Tè,2025,

        """
    static let schema = """
        columns:
          district: {type: string, required: true}
          year: {type: int, required: true}
          amount: {type: int}
        """

    /// The `good` report (`good_sum`, built-in `sum` and `count`) and a `bad` report using `badCalculator`.
    init(plugins: [String], badCalculator: String) throws {
        try self.init(
            schema: Self.schema, csv: Self.csv,
            pluginFiles: plugins.map { ($0, PluginContainmentTests.scripts.appendingPathComponent($0)) },
            memoryMiB: 256,
            reports: [
                "good": """
                name: good
                title: "Tổng hợp theo huyện"
                dataset: things
                schedule: "@daily"
                group_by: [district]
                metrics:
                  - {name: rows, calc: count}
                  - {name: amount, calc: good_sum, column: amount}
                  - {name: builtin_amount, calc: sum, column: amount}
                totals: true
                """,
                "bad": """
                name: bad
                title: "Báo cáo dùng plugin hỏng"
                dataset: things
                schedule: "@daily"
                group_by: [district]
                metrics:
                  - {name: x, calc: \(badCalculator)}
                """,
            ])
    }

    init(
        schema: String, csv: String, pluginFiles: [(String, URL)], memoryMiB: Int?, reports: [String: String],
        extraConfig: String = ""
    ) throws {
        folder = try temporaryFolder("plugin")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        try fm.createDirectory(at: folder.appendingPathComponent("plugins"), withIntermediateDirectories: true)
        for (name, source) in pluginFiles {
            let target = folder.appendingPathComponent("plugins/\(name)")
            try fm.copyItem(at: source, to: target)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target.path)
        }
        try """
        timezone: Asia/Ho_Chi_Minh
        reports: reports.d
        state: state
        plugins: plugins
        plugin_timeout: \(PluginContainmentTests.timeout)s
        \(memoryMiB.map { "plugin_memory: \($0)" } ?? "")
        output: {root: out, keep: 5}
        \(extraConfig)
        datasets:
          things:
            format: csv
            path: data.csv
            schema: schema.yaml
        """.write(to: folder.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        try schema.write(to: folder.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        for (name, text) in reports {
            try text.write(
                to: folder.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
        }
    }

    /// The `good` report was published with exact sums that agree with the built-in `sum`.
    func expectGoodPublished() throws {
        let json = try readJSON(output.appendingPathComponent("good/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.map { $0["district"] as? String } == ["Mường Tè", "Sìn Hồ", "Tam Đường"])
        #expect(rows.map { $0["rows"] as? Int } == [1, 2, 2])
        // 9007199254740993 + 250: beyond 2^53, so exact only if nothing went through a double.
        #expect(rows.map { $0["amount"] as? Int } == [nil, 100, 9_007_199_254_741_243])
        #expect(rows[0]["amount"] is NSNull)
        for row in rows {
            #expect(row["amount"] as? Int == row["builtin_amount"] as? Int, "\(row)")
        }
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["amount"] as? Int == 9_007_199_254_741_343)
        #expect(totals["builtin_amount"] as? Int == 9_007_199_254_741_343)
    }
}

/// Processes (other than this one) whose command line contains `path`: a plugin started from a
/// fixture's folder has the folder in its command line (`python3 /tmp/…/plugins/hang.py`).
func processesMentioning(_ path: String) -> [String] {
    let me = getpid()
    var found: [String] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), pid != me,
            let handle = FileHandle(forReadingAtPath: "/proc/\(entry)/cmdline")
        else { continue }
        let data = readToEnd(handle)
        try? handle.close()
        let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        if command.contains(path) { found.append("\(pid): \(command)") }
    }
    return found
}

/// Whether `node` is on PATH (the Node example's test needs it).
let nodeAvailable: Bool = {
    (try? runProcess("/usr/bin/env", ["node", "--version"]))?.status == 0
}()

/// Runs `python3` (the one on PATH, which has the duckdb package) with `arguments`.
func runPython(_ arguments: [String]) throws -> ProcessOutput {
    try runProcess("/usr/bin/env", ["python3"] + arguments)
}

/// Runs a program and waits for it (see `runCollecting`). `environment` adds to (or replaces in)
/// this process's environment.
func runProcess(
    _ executable: String, _ arguments: [String], mergingErrors: Bool = false, environment: [String: String] = [:]
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    return try runCollecting(process, mergingErrors: mergingErrors)
}
