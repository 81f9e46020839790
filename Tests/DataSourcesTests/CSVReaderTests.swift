import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON
import ReportFiles

/// A temporary folder holding one dataset file; removed when the test ends.
private final class DatasetFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` as the dataset file and returns its config.
    func dataset(
        _ bytes: [UInt8], schema: DatasetSchema, format: DatasetConfig.Format = "csv",
        onBadRows: DatasetConfig.BadRows = .fail
    ) throws -> DatasetConfig {
        let path = url.appendingPathComponent(format == "csv" ? "data.csv" : "data.json").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return DatasetConfig(
            name: "projects", format: format, path: path, schemaPath: url.appendingPathComponent("schema.yaml").path,
            schema: schema, onBadRows: onBadRows)
    }

    func dataset(
        _ text: String, schema: DatasetSchema, format: DatasetConfig.Format = "csv",
        onBadRows: DatasetConfig.BadRows = .fail
    ) throws -> DatasetConfig {
        try dataset(Array(text.utf8), schema: schema, format: format, onBadRows: onBadRows)
    }
}

private let nameCount = DatasetSchema(columns: [
    ColumnSpec(name: "name", type: .string),
    ColumnSpec(name: "count", type: .int),
])

private let mixed = DatasetSchema(columns: [
    ColumnSpec(name: "name", type: .string, required: true),
    ColumnSpec(name: "count", type: .int),
    ColumnSpec(name: "amount", type: .decimal),
    ColumnSpec(name: "started", type: .date),
    ColumnSpec(name: "active", type: .bool),
])

private func load(_ text: String, schema: DatasetSchema = nameCount, onBadRows: DatasetConfig.BadRows = .fail) throws
    -> LoadedDataset
{
    let folder = try DatasetFolder()
    return try CSVLoader.load(try folder.dataset(text, schema: schema, onBadRows: onBadRows))
}

private func loadError(_ text: String, schema: DatasetSchema = nameCount) throws -> DatasetError? {
    let folder = try DatasetFolder()
    let config = try folder.dataset(text, schema: schema)
    return #expect(throws: DatasetError.self) { try CSVLoader.load(config) }
}

private func loadError(bytes: [UInt8], schema: DatasetSchema = nameCount) throws -> DatasetError? {
    let folder = try DatasetFolder()
    let config = try folder.dataset(bytes, schema: schema)
    return #expect(throws: DatasetError.self) { try CSVLoader.load(config) }
}

/// Every value of a column, in row order.
private func values(_ loaded: LoadedDataset, _ column: String) -> [Value] {
    guard let c = loaded.table.column(column) else { return [] }
    return (0..<loaded.table.rowCount).map { c.value(at: $0) }
}

private func stringBytes(_ value: Value) -> [UInt8]? {
    if case .string(let s) = value { return Array(s.utf8) }
    return nil
}

@Suite(.blocking) struct CSVReaderTests {
    // MARK: RFC 4180

    @Test func quotedFieldsHoldCommasDoubledQuotesAndNewlines() throws {
        let loaded = try load(
            "name,count\n\"Lai Châu, Sìn Hồ\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n\"crlf\r\ninside\",4\n\"\",5\n"
        )
        let names = values(loaded, "name").map(stringBytes)
        #expect(
            names == [
                Array("Lai Châu, Sìn Hồ".utf8), Array(#"say "hi""#.utf8), Array("two\nlines".utf8),
                Array("crlf\r\ninside".utf8), nil,
            ])
        #expect(values(loaded, "count") == [.int(1), .int(2), .int(3), .int(4), .int(5)])
    }

    @Test func crlfLineEndings() throws {
        let loaded = try load("name,count\r\nA,1\r\nB,2\r\n")
        #expect(values(loaded, "name") == [.string("A"), .string("B")])
        #expect(values(loaded, "count") == [.int(1), .int(2)])
        #expect(loaded.header == ["name", "count"])
    }

    @Test func lastRecordNeedsNoLineEnding() throws {
        let loaded = try load("name,count\nA,1\nB,2")
        #expect(values(loaded, "count") == [.int(1), .int(2)])
    }

    @Test func byteOrderMarkBeforeTheHeaderIsSkipped() throws {
        let loaded = try load("\u{FEFF}name,count\nA,1\n")
        #expect(loaded.header == ["name", "count"])
        #expect(values(loaded, "name") == [.string("A")])
    }

    @Test func vietnameseTextIsReadInNFCWhateverItsForm() throws {
        // SPEC, "Dataset schema": text is normalised to NFC where it is read (issue 24).
        let nfc = "Sìn Hồ"
        let nfd = "Mu\u{031B}\u{0300}o\u{031B}ng Te\u{0300}"  // "Mường Tè" decomposed
        #expect(nfc.unicodeScalars.count == 6)
        let loaded = try load("name,count\n\(nfc),1\n\(nfd),2\n")
        let names = values(loaded, "name").map(stringBytes)
        #expect(names == [Array(nfc.utf8), Array("M\u{1EEB}\u{1A1}ng T\u{E8}".utf8)])
    }

    @Test func headerNamesAreTrimmed() throws {
        let loaded = try load(" name ,\tcount \nA,1\n")
        #expect(loaded.header == ["name", "count"])
        #expect(values(loaded, "count") == [.int(1)])
    }

    @Test func emptyCellsAreNullForEveryType() throws {
        let schema = DatasetSchema(columns: mixed.columns.map { ColumnSpec(name: $0.name, type: $0.type) })
        let loaded = try load("name,count,amount,started,active\n,,,,\nA, ,\t, , \n", schema: schema)
        #expect(loaded.table.rowCount == 2)
        #expect(values(loaded, "name") == [.null, .string("A")])
        for column in schema.columnNames.dropFirst() {
            #expect(values(loaded, column) == [.null, .null], "\(column)")
        }
    }

    @Test func typedCellsAreParsed() throws {
        let loaded = try load(
            "name,count,amount,started,active\nA,-42,1234.5,2024-02-29,true\nB, 7 ,-0.25,1970-01-01,no\n", schema: mixed
        )
        #expect(values(loaded, "count") == [.int(-42), .int(7)])
        #expect(values(loaded, "amount") == [.decimal(1234.5), .decimal(-0.25)])
        #expect(values(loaded, "started") == [.date(Day(iso: "2024-02-29")!), .date(Day(iso: "1970-01-01")!)])
        #expect(values(loaded, "active") == [.bool(true), .bool(false)])
    }

    @Test func stringCellsKeepTheirSpaces() throws {
        let loaded = try load("name,count\n  padded  ,1\n")
        #expect(values(loaded, "name") == [.string("  padded  ")])
    }

    @Test func extraHeaderColumnsAreIgnoredAndOrderFollowsTheHeader() throws {
        let loaded = try load("note,count,extra,name\nx,1,y,A\nz,2,w,B\n")
        #expect(values(loaded, "name") == [.string("A"), .string("B")])
        #expect(values(loaded, "count") == [.int(1), .int(2)])
        #expect(loaded.table.columns.map(\.name) == ["name", "count"])
        #expect(loaded.header == ["note", "count", "extra", "name"])
    }

    @Test func blankLinesAreSkippedAnywhere() throws {
        let loaded = try load("\nname,count\n\nA,1\n\r\nB,2\n\n\n\r\n")
        #expect(values(loaded, "name") == [.string("A"), .string("B")])
    }

    @Test func headerOnlyFileHasNoRows() throws {
        let loaded = try load("name,count\n")
        #expect(loaded.table.rowCount == 0)
        #expect(loaded.rejected.isEmpty)
        #expect(loaded.table.columns.count == 2)
    }

    @Test func sha256IsTheDigestOfTheFileBytes() throws {
        let loaded = try load("name,count\nA,1\n")
        // printf 'name,count\nA,1\n' | sha256sum
        #expect(loaded.sha256 == "c291093feb5908aeb3d487c6f251d26d858dfd3e644c67f259dedf56d61b56fd")
        let again = try load("name,count\nA,1\n")
        let other = try load("name,count\nA,2\n")
        #expect(loaded.sha256 == again.sha256)
        #expect(loaded.sha256 != other.sha256)
        #expect(loaded.sha256.allSatisfy { "0123456789abcdef".contains($0) })
    }

    // MARK: Errors, located by line and column

    @Test func emptyFileIsAnError() throws {
        for text in ["", "\n\n", "\u{FEFF}", "\r\n"] {
            let error = try loadError(text)
            #expect(error?.line == 0)
            #expect(error?.message.contains("the file is empty") == true)
        }
    }

    @Test func missingFileIsAnError() {
        let config = DatasetConfig(
            name: "projects", format: "csv", path: "/nonexistent/reportd/data.csv",
            schemaPath: "/nonexistent/schema.yaml",
            schema: nameCount, onBadRows: .fail)
        let error = #expect(throws: DatasetError.self) { try CSVLoader.load(config) }
        #expect(error?.line == 0)
        #expect(error?.message.contains("cannot read dataset 'projects'") == true)
    }

    @Test func headerMissingASchemaColumnIsAnErrorAtLineOne() throws {
        let error = try loadError("name,cuont\nA,1\n")
        #expect(error?.line == 1)
        #expect(error?.column == 1)
        #expect(error?.message.contains("the header has no column 'count'") == true)
        #expect(error?.message.contains("is 'cuont' a misspelling?") == true)
    }

    @Test func headerMissingAColumnAfterABOMIsStillLineOne() throws {
        let error = try loadError("\u{FEFF}name\nA\n")
        #expect(error?.line == 1)
        #expect(error?.message.contains("no column 'count'") == true)
    }

    /// Excel exports often end the header with empty cells: they are extra columns, ignored, not
    /// a column named '' twice (issue 13).
    @Test func emptyTrailingHeaderCellsAreIgnored() throws {
        let loaded = try load("name,count,,\nA,1,,\nB,2,,\n")
        #expect(values(loaded, "count") == [.int(1), .int(2)])
    }

    /// A very wide header is checked in one pass (an 80,000-column header took 11.7 s before);
    /// this one is just within the limit of 100,000 columns.
    @Test func aWideHeaderWithADuplicateIsFoundAtTheEnd() throws {
        let names = (0..<99_997).map { "c\($0)" }
        let error = try loadError("name,count," + names.joined(separator: ",") + ",c99996\nA,1\n")
        #expect(error?.message.contains("names column 'c99996' twice") == true)
    }

    @Test func duplicateHeaderColumnIsAnError() throws {
        let error = try loadError("name,count,name\nA,1,B\n")
        #expect(error?.line == 1)
        #expect(error?.message.contains("names column 'name' twice") == true)
    }

    @Test(arguments: [
        ("name,count\nA,1\nB\n", 3, "this row has 1 fields, the header has 2"),
        ("name,count\nA,1\n\nB,2,3\n", 4, "this row has 3 fields, the header has 2"),
        ("name,count\n\"x\ny\",1\nB\n", 4, "this row has 1 fields"),
    ])
    func rowWithTheWrongNumberOfFieldsNamesItsLine(text: String, line: Int, fragment: String) throws {
        let error = try loadError(text)
        #expect(error?.line == line)
        #expect(error?.column == 1)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        ("name,count\nA,1\nB,x2\n", 3, 3, "column 'count': 'x2' is not an int"),
        ("name,count\nSìn Hồ,1.5\n", 2, 8, "column 'count': '1.5' is not an int"),
        ("name,count\nA,1\n\"Mường\nTè\",abc\n", 4, 5, "'abc' is not an int"),
        ("name,count\r\n漢字,1-1\r\n", 2, 4, "'1-1' is not an int"),
        ("count,name\nabc,Sìn Hồ\n", 2, 1, "'abc' is not an int"),
        ("name,count\nA,9223372036854775808\n", 2, 3, "'9223372036854775808' is outside the 64-bit integer range"),
        ("name,count\nA,-9223372036854775809\n", 2, 3, "is outside the 64-bit integer range"),
    ])
    func badIntCellNamesItsLineAndCharacterColumn(text: String, line: Int, column: Int, fragment: String) throws {
        let error = try loadError(text)
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        #expect(error?.description.hasSuffix("data.csv:\(line):\(column): error: \(error?.message ?? "")") == true)
    }

    @Test func int64ExtremesLoad() throws {
        let loaded = try load("name,count\nA,9223372036854775807\nB,-9223372036854775808\n")
        #expect(values(loaded, "count") == [.int(Int64.max), .int(Int64.min)])
    }

    @Test func requiredEmptyCellIsAnError() throws {
        let error = try loadError(
            "name,count,amount,started,active\nA,1,2,2024-01-01,true\n,1,2,2024-01-01,true\n", schema: mixed)
        #expect(error?.line == 3)
        #expect(error?.column == 1)
        #expect(error?.message == "column 'name' is required but empty")
    }

    @Test(arguments: [
        (
            "name,count,amount,started,active\nA,1,1;5,2024-01-01,true\n", 2, 5,
            "column 'amount': '1;5' is not a decimal number"
        ),
        (
            "name,count,amount,started,active\nA,1,1.5,2023-02-29,true\n", 2, 9,
            "column 'started': '2023-02-29' is not a date"
        ),
        (
            "name,count,amount,started,active\nA,1,1.5,2024-01-01,maybe\n", 2, 20,
            "column 'active': 'maybe' is not a bool"
        ),
        (
            "name,count,amount,started,active\nA,1,nan,2024-01-01,true\n", 2, 5,
            "column 'amount': 'nan' is not a decimal"
        ),
    ])
    func otherBadCellsNameTheirLineAndColumn(text: String, line: Int, column: Int, fragment: String) throws {
        let error = try loadError(text, schema: mixed)
        #expect(error?.line == line)
        #expect(error?.column == column)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func unterminatedQuoteIsReportedAtTheOpeningQuote() throws {
        let error = try loadError("name,count\nA,1\nSìn Hồ,\"2\nB,3\nC,4\n")
        #expect(error?.line == 3)
        #expect(error?.column == 8)
        #expect(error?.message.contains("unterminated quoted field") == true)
    }

    @Test func characterAfterAClosingQuoteIsAnError() throws {
        let error = try loadError("name,count\n\"A\"x,1\n")
        #expect(error?.line == 2)
        #expect(error?.column == 4)
        #expect(error?.message.contains("a quote inside a field must be doubled") == true)
    }

    @Test func invalidUTF8InAStringCellIsAnError() throws {
        let bytes = Array("name,count\nA,1\nok".utf8) + [0xFF, 0xFE] + Array(",2\n".utf8)
        let error = try loadError(bytes: bytes)
        #expect(error?.line == 3)
        #expect(error?.column == 1)
        #expect(error?.message == "column 'name': is not valid UTF-8")
    }

    // MARK: on_bad_rows: reject

    @Test func rejectModeKeepsGoingAndCountsRejectedRows() throws {
        let text = """
            name,count,amount,started,active
            A,1,1.5,2024-01-01,true
            B,x,1.5,2024-01-01,true
            C,3,1.5,2024-01-01,true
            ,4,1.5,2024-01-01,true
            D,5,1.5
            E,6,2.5,2024-13-01,false
            F,7,,,

            """
        let loaded = try load(text, schema: mixed, onBadRows: .reject)
        #expect(values(loaded, "name") == [.string("A"), .string("C"), .string("F")])
        #expect(values(loaded, "count") == [.int(1), .int(3), .int(7)])
        #expect(loaded.rejected.map(\.line) == [3, 5, 6, 7])
        #expect(
            loaded.rejected.map(\.reason) == [
                "column 'count': 'x' is not an int",
                "column 'name' is required but empty",
                "this row has 3 fields, the header has 5",
                "column 'started': '2024-13-01' is not a date (YYYY-MM-DD)",
            ])
        #expect(loaded.rejected.first?.fields == ["B", "x", "1.5", "2024-01-01", "true"])
    }

    @Test func rejectModeCostsABadMultiLineRowItsFirstLineOnly() throws {
        // SPEC: a bad record that spans lines costs its first line; its second line is read as a
        // record of its own (here bad too: `lines"` and `x`, and x is no int).
        let loaded = try load("name,count\nA,1\n\"two\nlines\",x\nB,2\n", onBadRows: .reject)
        #expect(values(loaded, "name") == [.string("A"), .string("B")])
        #expect(loaded.rejected.map(\.line) == [3, 4])
        #expect(loaded.rejected.first?.fields == ["\"two"])
    }

    @Test func rejectModeCostsAnUnterminatedQuoteItsLineOnly() throws {
        let loaded = try load("name,count\nA,1\n\"B,2\nC,3\n", onBadRows: .reject)
        #expect(values(loaded, "name") == [.string("A"), .string("C")])
        #expect(loaded.rejected.map(\.line) == [3])
        #expect(loaded.rejected.first?.reason.contains("unterminated quoted field") == true)
    }

    @Test func rejectModeStillFailsOnABadHeader() throws {
        let folder = try DatasetFolder()
        let config = try folder.dataset("name\nA\n", schema: nameCount, onBadRows: .reject)
        let error = #expect(throws: DatasetError.self) { try CSVLoader.load(config) }
        #expect(error?.line == 1)
    }

    // MARK: JSON datasets

    private func loadJSON(_ text: String, schema: DatasetSchema, onBadRows: DatasetConfig.BadRows = .fail) throws
        -> LoadedDataset
    {
        let folder = try DatasetFolder()
        return try JSONLoader.load(try folder.dataset(text, schema: schema, format: "json", onBadRows: onBadRows))
    }

    private func jsonError(_ text: String, schema: DatasetSchema) throws -> DatasetError? {
        let folder = try DatasetFolder()
        let config = try folder.dataset(text, schema: schema, format: "json")
        return #expect(throws: DatasetError.self) { try JSONLoader.load(config) }
    }

    @Test func jsonArrayOfObjectsLoadsTypedColumns() throws {
        let text = """
            [
              {"name": "Sìn Hồ", "count": 9007199254740993, "amount": 1.5, "started": "2024-02-29", "active": true},
              {"name": "Mường Tè", "count": null, "amount": 3, "started": null, "active": false, "extra": [1, 2]},
              {"name": "Tam Đường", "count": -9223372036854775808}
            ]
            """
        let loaded = try loadJSON(text, schema: mixed)
        #expect(values(loaded, "name") == [.string("Sìn Hồ"), .string("Mường Tè"), .string("Tam Đường")])
        #expect(values(loaded, "count") == [.int(9_007_199_254_740_993), .null, .int(Int64.min)])
        #expect(values(loaded, "amount") == [.decimal(1.5), .decimal(3), .null])
        #expect(values(loaded, "started") == [.date(Day(iso: "2024-02-29")!), .null, .null])
        #expect(values(loaded, "active") == [.bool(true), .bool(false), .null])
        #expect(loaded.header == mixed.columnNames)
        #expect(loaded.rejected.isEmpty)
    }

    /// Issue 13, point 10: a key twice in one record, and a NUL in a string (raw or `\u0000`),
    /// were accepted silently (the decoder kept one of the two values). Each is now located, and
    /// under `on_bad_rows: reject` costs its record only.
    @Test func jsonDuplicateKeysAndNulCharactersAreLocated() throws {
        let duplicate = "[\n  {\"name\": \"A\", \"count\": 1},\n  {\"name\": \"B\", \"count\": 2, \"count\": 3}\n]\n"
        let error = try jsonError(duplicate, schema: mixed)
        #expect(error?.line == 3 && error?.column == 29)
        #expect(error?.message == "record 2: the key 'count' appears twice in one object; JSON readers disagree on which value counts")
        // The same key spelt with an escape, or in another Unicode form, is the same key.
        let escaped = try jsonError("[{\"name\": \"A\", \"n\\u0061me\": \"B\"}]", schema: mixed)
        #expect(escaped?.line == 1 && escaped?.column == 16)
        #expect(escaped?.message.hasPrefix("record 1: the key 'name' appears twice") == true)
        let forms = try jsonError("[{\"Mường\": 1, \"Mu\u{031B}o\u{031B}\u{0300}ng\": 2, \"name\": \"x\"}]", schema: mixed)
        #expect(forms?.message.hasPrefix("record 1: the key") == true)

        // Past 16 keys an object's keys go in a set: a duplicate there is found too.
        let wide = (0..<30).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        let wideError = try jsonError("[{\"name\": \"A\", \(wide), \"k29\": 0}]", schema: mixed)
        #expect(wideError?.message.hasPrefix("record 1: the key 'k29' appears twice") == true)

        let escapedNul = try jsonError("[{\"name\": \"A\"},\n {\"name\": \"x\\u0000y\"}]", schema: mixed)
        #expect(escapedNul?.line == 2 && escapedNul?.column == 11)
        #expect(escapedNul?.message == "record 2: a string holds a NUL character (U+0000): the file looks damaged")
        // Keys in nested values belong to their record; a key twice in different records is fine.
        let nested = try loadJSON("[{\"name\": \"A\", \"x\": {\"k\": 1}}, {\"name\": \"B\", \"x\": {\"k\": 2}}]", schema: mixed)
        #expect(nested.table.rowCount == 2)

        let rejected = try loadJSON(duplicate, schema: mixed, onBadRows: .reject)
        #expect(values(rejected, "name") == [.string("A")])
        #expect(rejected.rejected.map(\.line) == [2])
        #expect(rejected.rejected.first?.reason.hasPrefix("the key 'count' appears twice") == true)
    }

    @Test func jsonRawNulInAStringIsLocated() throws {
        let folder = try DatasetFolder()
        let bytes = Array("[{\"name\": \"a".utf8) + [0] + Array("b\"}]".utf8)
        let config = try folder.dataset(bytes, schema: mixed, format: "json")
        let error = #expect(throws: DatasetError.self) { try JSONLoader.load(config) }
        #expect(error?.line == 1 && error?.column == 11)
        #expect(error?.message == "record 1: a string holds a NUL character (U+0000): the file looks damaged")
    }

    @Test func jsonEmptyArrayHasNoRows() throws {
        #expect(try loadJSON("[]", schema: mixed).table.rowCount == 0)
    }

    @Test(arguments: [
        (#"[{"name": "A", "count": "12"}]"#, "record 1: column 'count': 12 is not an int"),
        (#"[{"name": "A"}, {"name": "B", "count": 2.5}]"#, "record 2: column 'count'"),
        (#"[{"name": "A", "started": "2024-13-01"}]"#, "record 1: column 'started': '2024-13-01' is not a date"),
        (#"[{"name": "A", "started": 20240101}]"#, "record 1: column 'started'"),
        (#"[{"name": 5}]"#, "record 1: column 'name': 5 is not a string"),
        (#"[{"name": "A", "active": "yes"}]"#, "record 1: column 'active'"),
        (#"[{"count": 1}]"#, "record 1: column 'name' is required but missing or null"),
        (#"[{"name": null}]"#, "record 1: column 'name' is required"),
        (#"[{"name": ""}]"#, "record 1: column 'name' is required"),
        (#"[{"name": "A", "amount": {"v": 1}}]"#, "record 1: column 'amount'"),
    ])
    func jsonWrongTypeIsAnError(text: String, fragment: String) throws {
        let error = try jsonError(text, schema: mixed)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [#"{"name": "A"}"#, "[1, 2]", "[{\"name\": \"A\"", "", "not json"])
    func jsonThatIsNotAnArrayOfObjectsIsAnError(text: String) throws {
        let error = try jsonError(text, schema: mixed)
        #expect(error?.line == 0)
        #expect(error?.message.contains("not a JSON array of objects") == true)
    }

    @Test func jsonRejectModeKeepsGoodRecords() throws {
        let text =
            #"[{"name": "A", "count": 1}, {"name": "B", "count": "two"}, {"count": 3}, {"name": "D", "count": 4}]"#
        let loaded = try loadJSON(text, schema: mixed, onBadRows: .reject)
        #expect(values(loaded, "name") == [.string("A"), .string("D")])
        #expect(loaded.rejected.map(\.line) == [2, 3])
        #expect(
            loaded.rejected.map(\.reason) == [
                "column 'count': two is not an int", "column 'name' is required but missing or null",
            ])
        #expect(loaded.rejected.first?.fields == ["B", "two", "", "", ""])
    }

    // MARK: CellParser

    private func cell(_ text: String, _ type: ColumnType) -> CellParser.Outcome {
        CellParser.parse(Array(text.utf8)[...], as: type)
    }

    private func parsedValue(_ text: String, _ type: ColumnType) -> Value? {
        if case .value(let v) = cell(text, type) { return v }
        return nil
    }

    private func isInvalid(_ text: String, _ type: ColumnType) -> Bool {
        if case .invalid = cell(text, type) { return true }
        return false
    }

    private func isNull(_ text: String, _ type: ColumnType) -> Bool {
        if case .null = cell(text, type) { return true }
        return false
    }

    @Test(arguments: [
        ("0", Int64(0)), ("-0", 0), ("+5", 5), (" 42 ", 42), ("\t-7\t", -7), ("007", 7),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ])
    func cellParserReadsInts(text: String, value: Int64) {
        #expect(parsedValue(text, .int) == .int(value))
    }

    @Test(arguments: [
        "1.0", "1e3", "1_000", "1,000", "0x10", "-", "+", "--1", "+-1", "1 2", "9223372036854775808",
        "-9223372036854775809",
        "١٢", "12abc",
    ])
    func cellParserRejectsBadInts(text: String) {
        #expect(isInvalid(text, .int))
    }

    @Test(arguments: [
        ("1.5", 1.5), ("-0.25", -0.25), ("3", 3.0), (" 2.5 ", 2.5), ("1e3", 1000.0), ("4700000000", 4_700_000_000.0),
        (".5", 0.5),
    ])
    func cellParserReadsDecimals(text: String, value: Double) {
        #expect(parsedValue(text, .decimal) == .decimal(value))
    }

    @Test(arguments: ["1,5", "nan", "NaN", "inf", "-infinity", "1e400", "abc", "1.2.3", "0x1p3 junk", "0x10", "0X1A", "0x1p3"])
    func cellParserRejectsBadDecimals(text: String) {
        #expect(isInvalid(text, .decimal))
    }

    @Test func cellParserReadsDates() {
        #expect(parsedValue("2024-02-29", .date) == .date(Day(iso: "2024-02-29")!))
        #expect(parsedValue(" 2024-02-29 ", .date) == .date(Day(iso: "2024-02-29")!))
        for bad in ["2023-02-29", "2024-2-29", "29/02/2024", "2024-02-29T00:00:00", "20240229"] {
            #expect(isInvalid(bad, .date), "\(bad)")
        }
    }

    @Test(arguments: [
        ("true", true), ("TRUE", true), ("True", true), ("1", true), ("yes", true), ("Yes", true),
        ("false", false), ("FALSE", false), ("0", false), ("no", false), (" no ", false),
    ])
    func cellParserReadsBools(text: String, value: Bool) {
        #expect(parsedValue(text, .bool) == .bool(value))
    }

    @Test(arguments: ["maybe", "t", "f", "y", "n", "2", "-1", "on", "off"])
    func cellParserRejectsBadBools(text: String) {
        #expect(isInvalid(text, .bool))
    }

    @Test func cellParserEmptyAndBlankCells() {
        for type in ColumnType.allCases { #expect(isNull("", type), "\(type)") }
        for type: ColumnType in [.int, .decimal, .date, .bool] { #expect(isNull("  \t ", type), "\(type)") }
        // A string of spaces is a value, not null.
        #expect(parsedValue("  ", .string) == .string("  "))
    }

    @Test func cellParserRejectsInvalidUTF8Strings() {
        if case .invalid(let why) = CellParser.parse([0x41, 0xC3][...], as: .string) {
            #expect(why == "is not valid UTF-8")
        } else {
            Issue.record("truncated UTF-8 accepted")
        }
        #expect(parsedValue("Sìn Hồ", .string) == .string("Sìn Hồ"))
    }

    @Test func cellParserTruncatesLongBadValuesInMessages() {
        let long = String(repeating: "x", count: 100)
        guard case .invalid(let why) = cell(long, .int) else {
            Issue.record("accepted")
            return
        }
        #expect(why == "'\(String(repeating: "x", count: 60))…' is not an int")
    }
}
