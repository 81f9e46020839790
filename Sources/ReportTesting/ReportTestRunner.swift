public import Foundation
public import ReportConfig
public import ReportCore

/// Runs report test cases: reads each fixture as a run reads its dataset, computes the report with
/// the engine and calculators a run uses (plugins included), and compares. Publishes nothing,
/// writes nothing, takes no lock.
public struct ReportTestRunner: Sendable {
    public let engine: ReportEngine

    /// - Parameter calculators: those of the daemon config (built-in and its plugins').
    public init(calculators: CalculatorRegistry) {
        engine = ReportEngine(calculators: calculators)
    }

    /// Runs one case.
    public func run(_ test: ReportTest) -> ReportTestResult {
        let outcome: Result<ReportResult, any Error> = Result {
            let table = try test.fixture.load(testFile: test.file)
            return try compute(test.report, on: table, slot: test.slot)
        }
        var details: [String] = []
        switch (test.expectation, outcome) {
        case (.rows(let expected), .success(let result)):
            details = ResultComparison.differences(expected: expected, result: result)
        case (.rows, .failure(let error)):
            details = ["the run failed: \(error)"]
        case (.error(let text), .failure(let error)):
            if !"\(error)".contains(text) {
                details = ["expected an error containing '\(text)'", "got: \(error)"]
            }
        case (.error(let text), .success(let result)):
            details = [
                "expected the run to fail with an error containing '\(text)', but it gave \(result.rows.count) row\(result.rows.count == 1 ? "" : "s")"
            ]
        }
        return ReportTestResult(file: test.file, name: test.name, passed: details.isEmpty, details: details)
    }

    /// What a run of `definition` computes over `table`, before its outputs are rendered and
    /// published: the same engine call as `ReportRunner`'s.
    public func compute(_ definition: ReportDefinition, on table: Table, slot: Date = Date()) throws(RunError)
        -> ReportResult
    {
        // The period the slot covers, in the report's zone, for a report with `period:`.
        let zone = TimeZone(identifier: definition.timezone) ?? TimeZone(identifier: "UTC")!
        return try engine.execute(definition, on: table, slot: slot, in: zone)
    }
}

/// What one case gave.
public struct ReportTestResult: Sendable {
    public var file: String
    public var name: String
    public var passed: Bool
    /// Why it failed, as lines to print under its `FAIL` line: a diff, or the error.
    public var details: [String]

    public init(file: String, name: String, passed: Bool, details: [String]) {
        self.file = file
        self.name = name
        self.passed = passed
        self.details = details
    }
}
