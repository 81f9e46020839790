public import Foundation
public import ReportCore

/// One case of a report test file (`reportd test`): a report, a fixture dataset, the slot of the
/// run it stands for, and what the run must give.
public struct ReportTest: Sendable {
    /// The test file, as the user would name it.
    public var file: String
    /// Where the case starts in the file.
    public var line: Int
    public var column: Int
    public var name: String
    /// The report, checked against the fixture's schema as `validate` checks report files.
    public var report: ReportDefinition
    public var fixture: Fixture
    /// The run's slot, read in the report's time zone (or with the offset given).
    public var slot: Date
    public var expectation: Expectation

    /// The rows a test reads: a data file, rows written in the test file, or both (the file's
    /// rows first).
    public struct Fixture: Sendable {
        /// The dataset's settings (name, schema, `on_bad_rows`); `path` and `format` are those of
        /// the data file when there is one.
        public var dataset: DatasetConfig
        public var hasFile: Bool
        public var rows: [InlineRow]
        /// What reads the data file: the source registered for its format (nil: none is).
        public var source: (any DatasetSource)?
    }

    /// One row written in the test file: cells by column, each located for error messages.
    public struct InlineRow: Sendable {
        public var line: Int
        public var column: Int
        public var cells: [String: ExpectedCell]
    }

    public enum Expectation: Sendable {
        /// The run succeeds and gives these rows (and totals, when given).
        case rows(ExpectedRows)
        /// The run fails with an error whose text contains this.
        case error(String)
    }

    public struct ExpectedRows: Sendable {
        public var rows: [ExpectedRow]
        /// The totals row, by metric column, when the test checks it.
        public var totals: ExpectedRow?
        /// Whether the rows must come in the order given (the default: reports sort).
        public var ordered: Bool = true
        /// The largest absolute difference accepted between two numbers; `nil`: integers exactly,
        /// decimals up to rounding (a relative 1e-9).
        public var tolerance: Double?
    }

    /// One expected row: cells in the order written.
    public struct ExpectedRow: Sendable {
        public var line: Int
        public var column: Int
        public var cells: [(name: String, value: ExpectedCell)]

        public init(line: Int = 0, column: Int = 0, cells: [(name: String, value: ExpectedCell)]) {
            self.line = line
            self.column = column
            self.cells = cells
        }

        public subscript(name: String) -> ExpectedCell? { cells.first { $0.name == name }?.value }
    }
}

/// A value written in a test file: its text as written (YAML types nothing; the column's type
/// decides how it reads), or null (`null`, `~` or nothing).
public struct ExpectedCell: Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var isNull: Bool

    public init(_ text: String, isNull: Bool = false) {
        self.text = text
        self.isNull = isNull
    }

    public static let null = ExpectedCell("", isNull: true)

    public var description: String { isNull ? "null" : text }
}
