import Foundation
import Testing
import TestSupport

/// The config loader's YAML library must not read the environment: Yams, left to its default,
/// reads YAMS_DEFAULT_ENCODING on every file it parses and prints a line to standard output for
/// each when the variable is set, into what `list` and `validate` print.
@Suite(.blocking) struct ConfigEnvironmentTests {
    @Test func yamsEncodingVariableChangesNothing() throws {
        let config = packageRoot.appendingPathComponent("config/reportd.yaml").path
        for value in ["UTF16", "utf8"] {
            let out = try runReportd(["validate", "--config", config], environment: ["YAMS_DEFAULT_ENCODING": value])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == "OK: 8 reports, 3 datasets\n", "YAMS_DEFAULT_ENCODING=\(value)")
        }
    }
}
