import Foundation
import Testing
import TestSupport

import ReportCore
@testable import ReportConfig

/// Regression tests for what the config fuzz target (fuzz-config, Tests/Fuzz/config) found.
@Suite(.blocking) struct ConfigFuzzFindingsTests {
    /// A filter error inside a quoted filter folded over two lines pointed past the end of the first
    /// line (column 27 of a 21-character line): it now points at the filter's opening quote.
    @Test func filterErrorInAMultiLineScalarStaysOnItsLine() throws {
        let report = validReport.replacingOccurrences(
            of: "filter: \"year >= 2021 and status == 'completed'\"",
            with: "filter: \"year >= 2021\n  and statut == 'completed'\"")
        let e = try ConfigDiagnosticsTests().onlyError(report)
        #expect(e.message.contains("unknown column 'statut'"))
        #expect(e.line == 5 && e.column == 9)
    }

    /// An escape makes the value shorter than its source: the column inside it would be wrong, so
    /// the error points at the scalar.
    @Test func filterErrorAfterAnEscapePointsAtTheScalar() throws {
        let report = validReport.replacingOccurrences(
            of: "filter: \"year >= 2021 and status == 'completed'\"",
            with: "filter: \"status == '\\u00e9' and statut == 1\"")
        let e = try ConfigDiagnosticsTests().onlyError(report)
        #expect(e.message.contains("unknown column 'statut'"))
        #expect(e.line == 5 && e.column == 9)
    }

    /// A value that stands verbatim on its line is still located inside (plain and quoted).
    @Test func verbatimScalarsAreLocatedInside() throws {
        let plain = validReport.replacingOccurrences(
            of: "filter: \"year >= 2021 and status == 'completed'\"", with: "filter: year >= 2021 and statut == 1")
        let e = try ConfigDiagnosticsTests().onlyError(plain)
        #expect(e.line == 5 && e.column == 9 + 17)
        let schedule = validReport.replacingOccurrences(of: "\"0 6 * * 1\"", with: "'  every 5x'")
        let s = try ConfigDiagnosticsTests().onlyError(schedule)
        // The unit is 10 scalars into the value, after the two leading blanks.
        #expect(s.message.contains("unknown interval unit 'x'"))
        #expect(s.line == 4 && s.column == 11 + 1 + 9)
    }

    @Test func linesAreCutWhereLibYAMLCutsThem() {
        let lines = YAMLFile.lines(of: "a\r\nb\rc\nd\u{85}e\u{2028}f\u{2029}g")
        #expect(lines.map { String(String.UnicodeScalarView($0)) } == ["a", "b", "c", "d", "e", "f", "g"])
    }

    /// `timeout: 99999999999999999d` multiplied past Int.max and trapped; durations now stop at 366 days.
    @Test(arguments: ["99999999999999999d", "9223372036854775807h", "367d", "31622401"])
    func hugeDurationsAreErrorsNotACrash(_ text: String) throws {
        let e = try ConfigDiagnosticsTests().onlyError(validReport + "\ntimeout: \(text)\n")
        #expect(e.message.contains("'timeout' must be at most 366d, not '\(text)'"))
        #expect(e.line == 17 && e.column == 10)
    }

    @Test func durationsUpToAYearLoad() throws {
        let configuration = try ConfigFixture(reports: ["r.yaml": validReport + "\ntimeout: 366d\n"]).load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        #expect(configuration.reports.first?.definition.timeout == 366 * 86400)
    }

    /// A syntax error at the end of a last line without a line break was reported one line below
    /// the file (libyaml marks the end of the stream there); it is now at the end of the last line.
    @Test func syntaxErrorAtTheEndStaysInTheFile() throws {
        let e = try ConfigDiagnosticsTests().onlyError("name: x\ndataset: projects\nschedule")
        #expect(e.message.contains("YAML syntax"))
        #expect(e.line == 3 && e.column == 9)
    }
}
