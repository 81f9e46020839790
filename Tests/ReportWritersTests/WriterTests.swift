import Foundation
import Testing

@testable import ReportCore
@testable import WriterCSV
@testable import WriterJSON
@testable import WriterText

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

private func column(_ name: String, _ type: ColumnType, metric calc: String? = nil) -> ReportResult.ResultColumn {
    ReportResult.ResultColumn(name: name, role: calc == nil ? .group : .metric, calc: calc, type: type)
}

private func definition(name: String = "funding-by-program", title: String = "Kinh phí khuyến công") -> ReportDefinition
{
    ReportDefinition(
        name: name, title: title, dataset: "projects", schedule: .every(seconds: 3600), timezone: "Asia/Ho_Chi_Minh",
        metrics: [])
}

private func context(_ report: ReportDefinition = definition()) -> RunContext {
    RunContext(
        report: report, slot: "2026-11-29T06:00:00+07:00", stamp: "2026-11-29T060000",
        generatedAt: "2026-11-29T06:00:03+07:00",
        dataset: DatasetFigures(
            name: "projects", rows: 30, rowsUsed: 28, rowsRejected: 2,
            sha256: "abcdef0123456789" + String(repeating: "0", count: 48)))
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct WriterTests {
    // MARK: CSV

    @Test func csvQuotesOnlyFieldsThatNeedIt() {
        let result = ReportResult(
            columns: [column("district", .string), column("note", .string), column("amount", .decimal, metric: "sum")],
            rows: [
                [.string("Lai Châu, Sìn Hồ"), .string(#"say "hi""#), .decimal(4_700_000_000)],
                [.string("two\nlines"), .string("cr\rhere"), .decimal(0.25)],
                [.string("plain"), .null, .null],
                [.null, .string("crlf\r\nx"), .decimal(-3.5)],
            ],
            totals: nil, rowsUsed: 4)
        let csv = text(CSVWriter.render(result, bom: false, lineEndings: .lf))
        let expected =
            "district,note,amount\n"
            + "\"Lai Châu, Sìn Hồ\",\"say \"\"hi\"\"\",4700000000\n"
            + "\"two\nlines\",\"cr\rhere\",0.25\n"
            + "plain,,\n"
            + ",\"crlf\r\nx\",-3.5\n"
        #expect(Array(csv.utf8) == Array(expected.utf8))
    }

    @Test func csvWritesEveryValueTypePlainly() {
        let result = ReportResult(
            columns: [
                column("d", .date), column("b", .bool), column("i", .int, metric: "sum"),
                column("x", .decimal, metric: "mean"),
            ],
            rows: [[.date(Day(iso: "2024-02-29")!), .bool(true), .int(Int64.min), .decimal(1234567.125)]],
            totals: [.int(1), .decimal(2)], rowsUsed: 1)
        let csv = text(CSVWriter.render(result, bom: false, lineEndings: .lf))
        #expect(csv == "d,b,i,x\n2024-02-29,true,-9223372036854775808,1234567.125\n")
    }

    @Test func csvHeaderNamesAreQuotedToo() {
        let result = ReportResult(columns: [column("a,b", .string)], rows: [], totals: nil, rowsUsed: 0)
        #expect(text(CSVWriter.render(result, bom: false, lineEndings: .lf)) == "\"a,b\"\n")
    }

    @Test func csvByteOrderMarkAndCRLFForExcel() {
        let result = ReportResult(
            columns: [column("district", .string), column("n", .int, metric: "count")],
            rows: [[.string("Sìn Hồ"), .int(3)], [.string("a\nb"), .int(4)]], totals: nil, rowsUsed: 7)
        let bytes = CSVWriter.render(result, bom: true, lineEndings: .crlf)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        // Record ends are CRLF; a line break inside a quoted field is kept as written.
        #expect(Array(bytes.dropFirst(3)) == Array("district,n\r\nSìn Hồ,3\r\n\"a\nb\",4\r\n".utf8))
        let plain = CSVWriter.render(result, bom: false, lineEndings: .lf)
        #expect(plain.first == UInt8(ascii: "d"))
        #expect(!plain.contains(13))
    }

    // MARK: JSON

    private func jsonResult() -> ReportResult {
        ReportResult(
            columns: [
                column("program", .string), column("year", .int), column("projects", .int, metric: "count"),
                column("mean_vnd", .decimal, metric: "mean"), column("ratio", .decimal, metric: "ratio"),
            ],
            rows: [
                [.string("Sìn Hồ"), .int(2024), .int(9_007_199_254_740_993), .decimal(2.5), .null],
                [
                    .string("tab\there \"q\" back\\slash\u{01}\u{1F}\n\u{2028}"), .null, .int(-4), .decimal(.nan),
                    .decimal(.infinity),
                ],
                [.null, .int(2025), .int(0), .decimal(-.infinity), .decimal(0.125)],
            ],
            totals: [.int(30), .decimal(1.25), .null], rowsUsed: 28)
    }

    private func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func jsonDocumentHasTheSpecKeysAndFigures() throws {
        let doc = try parse(JSONWriter.render(jsonResult(), context: context()))
        #expect(doc["report"] as? String == "funding-by-program")
        #expect(doc["title"] as? String == "Kinh phí khuyến công")
        #expect(doc["generated_at"] as? String == "2026-11-29T06:00:03+07:00")
        #expect(doc["slot"] as? String == "2026-11-29T06:00:00+07:00")
        let dataset = try #require(doc["dataset"] as? [String: Any])
        #expect(dataset["name"] as? String == "projects")
        #expect((dataset["rows"] as? NSNumber)?.intValue == 30)
        #expect((dataset["rows_used"] as? NSNumber)?.intValue == 28)
        #expect((dataset["rows_rejected"] as? NSNumber)?.intValue == 2)
        #expect((dataset["sha256"] as? String)?.count == 64)
        let columns = try #require(doc["columns"] as? [[String: Any]])
        #expect(columns.map { $0["name"] as? String } == ["program", "year", "projects", "mean_vnd", "ratio"])
        #expect(columns.map { $0["role"] as? String } == ["group", "group", "metric", "metric", "metric"])
        #expect(columns.map { $0["calc"] as? String } == [nil, nil, "count", "mean", "ratio"])
        let rows = try #require(doc["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows { #expect(Set(row.keys) == ["program", "year", "projects", "mean_vnd", "ratio"]) }
        let totals = try #require(doc["totals"] as? [String: Any])
        #expect(Set(totals.keys) == ["projects", "mean_vnd", "ratio"])
        #expect((totals["projects"] as? NSNumber)?.intValue == 30)
        #expect((totals["mean_vnd"] as? NSNumber)?.doubleValue == 1.25)
        #expect(totals["ratio"] is NSNull)
    }

    @Test func jsonKeysKeepTheSpecOrder() {
        let raw = text(JSONWriter.render(jsonResult(), context: context()))
        let order = ["report", "title", "generated_at", "dataset", "columns", "rows", "totals"]
        let positions = order.map { raw.range(of: "\n  \"\($0)\": ")?.lowerBound }
        #expect(!positions.contains(nil))
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test func jsonIntegersStayExactIntegersAndUndefinedNumbersAreNull() throws {
        let bytes = JSONWriter.render(jsonResult(), context: context())
        let raw = text(bytes)
        #expect(raw.contains(#""projects": 9007199254740993,"#))
        #expect(raw.contains(#""year": 2024,"#))
        #expect(raw.contains(#""mean_vnd": 2.5,"#))
        #expect(raw.contains(#""ratio": 0.125}"#))
        #expect(!raw.contains("nan") && !raw.contains("inf") && !raw.lowercased().contains("e+"))
        let rows = try #require(try parse(bytes)["rows"] as? [[String: Any]])
        #expect((rows[0]["projects"] as? NSNumber)?.int64Value == 9_007_199_254_740_993)
        #expect(rows[0]["ratio"] is NSNull)
        #expect(rows[1]["year"] is NSNull)
        #expect(rows[1]["mean_vnd"] is NSNull)
        #expect(rows[1]["ratio"] is NSNull)
        #expect(rows[2]["program"] is NSNull)
        #expect(rows[2]["mean_vnd"] is NSNull)
        #expect((rows[1]["projects"] as? NSNumber)?.intValue == -4)
    }

    @Test func jsonEscapesControlCharactersAndKeepsVietnameseAsUTF8() throws {
        let bytes = JSONWriter.render(jsonResult(), context: context(definition(title: "Báo cáo \"quý\"\u{07}")))
        let raw = text(bytes)
        #expect(raw.contains(#""tab\there \"q\" back\\slash\u0001\u001f\n\u2028""#))
        #expect(raw.contains(#""title": "Báo cáo \"quý\"\u0007","#))
        #expect(raw.contains("\"Sìn Hồ\""))
        // No raw control character anywhere but the document's own line breaks.
        #expect(!bytes.contains { $0 < 0x20 && $0 != 10 })
        let doc = try parse(bytes)
        #expect(doc["title"] as? String == "Báo cáo \"quý\"\u{07}")
        let rows = try #require(doc["rows"] as? [[String: Any]])
        #expect(rows[0]["program"] as? String == "Sìn Hồ")
        #expect(rows[1]["program"] as? String == "tab\there \"q\" back\\slash\u{01}\u{1F}\n\u{2028}")
    }

    @Test func jsonWithoutTotalsOrRows() throws {
        let result = ReportResult(columns: [column("n", .int, metric: "count")], rows: [], totals: nil, rowsUsed: 0)
        let doc = try parse(JSONWriter.render(result, context: context()))
        #expect((doc["rows"] as? [Any])?.isEmpty == true)
        #expect(doc["totals"] == nil)
    }

    // MARK: Text

    private func textResult() -> ReportResult {
        ReportResult(
            columns: [
                column("district", .string), column("projects", .int, metric: "count"),
                column("state_support_vnd", .int, metric: "sum"), column("share", .decimal, metric: "share"),
            ],
            rows: [
                [.string("Sìn Hồ"), .int(12), .int(4_700_000_000), .decimal(61.5)],
                [.string("Si\u{0300}n Ho\u{0302}\u{0300} (NFD)"), .int(3), .int(950_000), .decimal(1.3)],
                [.string("漢字"), .int(1), .int(-1_234_567), .decimal(0)],
                [.string("Mường Tè"), .int(7), .null, .null],
                [.null, .int(2), .int(5), .decimal(37.2)],
            ],
            totals: [.int(25), .int(4_699_715_438), .decimal(100)], rowsUsed: 25)
    }

    /// The header, rule, data, rule and totals lines of the table.
    private func tableLines(_ output: String) -> [String] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "") else { return [] }
        let rest = lines[(start + 1)...]
        guard let end = rest.firstIndex(of: "") else { return [] }
        return Array(rest[..<end])
    }

    @Test(arguments: ["vi-VN", "en-US"])
    func textColumnsAlignByDisplayWidth(locale: String) {
        let output = text(TextWriter.render(textResult(), context: context(), locale: locale))
        let lines = tableLines(output)
        #expect(lines.count == 1 + 1 + 5 + 1 + 1)
        let widths = Set(lines.map(DisplayWidth.of))
        #expect(widths.count == 1, "\(lines.map { ($0, DisplayWidth.of($0)) })")
        // Each column starts at the same display column on every line: the rule's gaps mark them.
        let rule = lines[1]
        #expect(rule.allSatisfy { $0 == "-" || $0 == " " })
        #expect(lines[lines.count - 2] == rule)
        // The right-aligned metric columns end where the rule's dashes end.
        let ruleEnds = rule.indices.filter {
            rule[$0] == "-" && (rule.index(after: $0) == rule.endIndex || rule[rule.index(after: $0)] == " ")
        }
        .map { DisplayWidth.of(String(rule[...$0])) }
        for line in lines where line != rule {
            for end in ruleEnds.dropFirst() {
                let upTo = prefix(line, displayWidth: end)
                #expect(upTo.last != " ", "'\(line)' has no value ending at column \(end)")
            }
        }
    }

    /// The leading characters of `s` that fill `displayWidth` columns.
    private func prefix(_ s: String, displayWidth: Int) -> String {
        var out = ""
        for c in s {
            if DisplayWidth.of(out + String(c)) > displayWidth { break }
            out.append(c)
        }
        return out
    }

    @Test func textGroupsNumbersForVietnamese() {
        let output = text(TextWriter.render(textResult(), context: context(), locale: "vi-VN"))
        #expect(output.contains("4.700.000.000"))
        #expect(output.contains("-1.234.567"))
        #expect(output.contains("950.000"))
        #expect(output.contains("61,50"))
        #expect(output.contains("1,30"))
        #expect(output.contains("4.699.715.438"))
        #expect(!output.contains("4,700,000,000"))
    }

    /// A group column's integers are labels (years, codes): never digit-grouped, in any locale.
    @Test(arguments: ["vi-VN", "en-US"])
    func textLeavesGroupIntegersUngrouped(locale: String) {
        let result = ReportResult(
            columns: [column("year", .int), column("state_support_vnd", .int, metric: "sum")],
            rows: [[.int(2024), .int(4_700_000)], [.int(2025), .int(12_000)]], totals: nil, rowsUsed: 2)
        let table = tableLines(text(TextWriter.render(result, context: context(), locale: locale)))
        #expect(table[2].hasPrefix("2024  "), "\(table)")
        #expect(table[3].hasPrefix("2025  "), "\(table)")
        #expect(table[2].hasSuffix(locale == "vi-VN" ? "4.700.000" : "4,700,000"), "\(table)")
    }

    @Test func textGroupsNumbersForEnglishByDefault() {
        for locale in ["en-US", nil] as [String?] {
            let output = text(TextWriter.render(textResult(), context: context(), locale: locale))
            #expect(output.contains("4,700,000,000"))
            #expect(output.contains("-1,234,567"))
            #expect(output.contains("61.50"))
            #expect(!output.contains("4.700.000.000"))
        }
    }

    @Test func textHasTitleRunTimeTotalsAndDatasetLine() {
        let output = text(TextWriter.render(textResult(), context: context(), locale: "vi-VN"))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "Kinh phí khuyến công")
        #expect(lines[1] == "Báo cáo funding-by-program, kỳ chạy 2026-11-29T06:00:00+07:00")
        let table = tableLines(output)
        #expect(table[0].hasPrefix("district"))
        let totals = table[table.count - 1]
        #expect(totals.hasPrefix("Tổng cộng"))
        #expect(totals.contains("4.699.715.438"))
        #expect(totals.hasSuffix("100,00"))
        #expect(table.contains { $0.hasPrefix("–") })  // the null group key
        #expect(output.contains("Dữ liệu projects: 30 dòng, 28 dùng, 2 bị loại; sha256 abcdef012345\n"))
    }

    @Test func textWithoutRowsSaysSo() {
        let result = ReportResult(
            columns: [column("district", .string), column("n", .int, metric: "count")], rows: [], totals: nil,
            rowsUsed: 0)
        let output = text(TextWriter.render(result, context: context(), locale: nil))
        #expect(output.contains("(no rows)"))
        #expect(!output.contains("Total"))
    }

    // MARK: Display width

    @Test(arguments: [
        ("", 0), ("abc", 3), ("Sìn Hồ", 6), ("Si\u{0300}n Ho\u{0302}\u{0300}", 6), ("Mường Tè", 8),
        ("Mu\u{031B}\u{0300}o\u{031B}ng Te\u{0300}", 8), ("漢字", 4), ("漢a字", 5), ("한국", 4), ("Ａ", 2), ("😀", 2),
        ("\u{0301}", 0), ("\u{0300}\u{0301}", 0), ("e\u{0301}", 1), ("\u{200B}", 0), ("\u{07}", 0), ("-", 1),
    ])
    func displayWidthCountsTerminalColumns(text: String, width: Int) {
        #expect(DisplayWidth.of(text) == width)
    }

    @Test func padFillsToTheDisplayWidth() {
        #expect(DisplayWidth.pad("Hồ", to: 5, alignRight: false) == "Hồ   ")
        #expect(DisplayWidth.pad("漢字", to: 5, alignRight: true) == " 漢字")
        #expect(DisplayWidth.pad("Ho\u{0302}\u{0300}", to: 3, alignRight: true) == " Ho\u{0302}\u{0300}")
        #expect(DisplayWidth.pad("toolong", to: 3, alignRight: false) == "toolong")
    }
}

/// Labels in every output, and CSV for Excel (SPEC, "Labels and language" and "Excel").
@Suite struct LabelledOutputTests {
    private func labelled() -> ReportResult {
        var program = column("program", .string)
        program.label = "Chương trình"
        program.values = ValueLabels([
            .init(code: "national", label: "Khuyến công quốc gia"), .init(code: "local", label: "Khuyến công địa phương"),
        ])
        var support = column("support_vnd", .int, metric: "sum")
        support.label = "Kinh phí hỗ trợ (đồng)"
        var mean = column("mean_vnd", .decimal, metric: "mean")
        mean.label = "Bình quân"
        return ReportResult(
            columns: [program, support, mean, column("note", .string, metric: "max")],
            rows: [
                [.string("national"), .int(3_100_000_000), .decimal(310_000_000), .string("=1+2")],
                [.string("local"), .int(1_645_200_000), .decimal(82_260_000.5), .string("a;b")],
            ],
            totals: [.int(4_745_200_000), .decimal(158_173_333.333333), .null], rowsUsed: 30)
    }

    @Test func textShowsLabelsValueLabelsAndVietnameseWords() {
        let output = text(TextWriter.render(labelled(), context: context(), locale: "vi-VN"))
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Chương trình") && $0.contains("Kinh phí hỗ trợ (đồng)") && $0.contains("Bình quân") })
        #expect(lines.contains { $0.hasPrefix("Khuyến công quốc gia") && $0.contains("3.100.000.000") })
        #expect(lines.contains { $0.hasPrefix("Tổng cộng") && $0.contains("4.745.200.000") })
        #expect(!output.contains("national") && !output.contains("support_vnd"), "names and codes stay out of the text")
        // A mean that is a whole number of đồng has no ",00"... unless the column holds a fraction.
        #expect(output.contains("310.000.000,00") && output.contains("82.260.000,50"))
        #expect(lines[1] == "Báo cáo funding-by-program, kỳ chạy 2026-11-29T06:00:00+07:00")
        #expect(output.hasSuffix("Dữ liệu projects: 30 dòng, 28 dùng, 2 bị loại; sha256 abcdef012345\n"))
    }

    @Test func textDropsTheMeaninglessFractionOfAWholeColumn() {
        let result = ReportResult(
            columns: [column("district", .string), column("median_vnd", .decimal, metric: "median")],
            rows: [[.string("Phong Thổ"), .decimal(270_500_000)], [.string("Sìn Hồ"), .decimal(85_000_000)]],
            totals: nil, rowsUsed: 6)
        let vi = text(TextWriter.render(result, context: context(), locale: "vi-VN"))
        #expect(vi.contains("Phong Thổ  270.500.000\n") && !vi.contains(",00"), "\(vi)")
        let en = text(TextWriter.render(result, context: context(), locale: nil))
        #expect(en.contains("Phong Thổ  270,500,000\n") && !en.contains(".00"), "\(en)")
    }

    @Test func csvKeepsNamesAndCodesUnlessAskedForLabels() {
        let plain = text(CSVWriter.render(labelled(), options: CSVOptions()))
        #expect(plain.hasPrefix("program,support_vnd,mean_vnd,note\nnational,3100000000,310000000,'=1+2\n"), "\(plain)")
        var options = CSVOptions()
        options.header = .labels
        let labels = text(CSVWriter.render(labelled(), options: options))
        #expect(labels.hasPrefix("Chương trình,Kinh phí hỗ trợ (đồng),Bình quân,note\nnational,"), "\(labels)")
    }

    /// With `delimiter: ";"` decimals take a comma, as Excel in a Vietnamese locale reads them;
    /// a field holding `;` is quoted, one holding `,` need not be; `=1+2` still arrives as text.
    @Test func csvForExcelWithSemicolons() {
        var options = CSVOptions()
        options.delimiter = .semicolon
        options.bom = true
        options.lineEndings = .crlf
        let bytes = CSVWriter.render(labelled(), options: options)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let csv = text(Array(bytes.dropFirst(3)))
        #expect(
            csv == "program;support_vnd;mean_vnd;note\r\n" + "national;3100000000;310000000;'=1+2\r\n"
                + "local;1645200000;82260000,5;\"a;b\"\r\n", "\(csv)")
        var tabs = CSVOptions()
        tabs.delimiter = .tab
        #expect(text(CSVWriter.render(labelled(), options: tabs)).contains("local\t1645200000\t82260000.5\ta;b\n"))
    }

    @Test func jsonKeepsNamesAndCodesAndAddsLabels() throws {
        let json = text(JSONWriter.render(labelled(), context: context()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let columns = try #require(object["columns"] as? [[String: Any]])
        #expect(columns[0]["name"] as? String == "program" && columns[0]["label"] as? String == "Chương trình")
        #expect(
            columns[0]["values"] as? [String: String]
                == ["national": "Khuyến công quốc gia", "local": "Khuyến công địa phương"])
        #expect(columns[1]["label"] as? String == "Kinh phí hỗ trợ (đồng)" && columns[1]["values"] == nil)
        #expect(columns[3]["label"] == nil, "no label: no key")
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows[0]["program"] as? String == "national", "codes stay codes")
        // The values keep the schema's order in the file.
        #expect(json.contains(#""values": {"national": "Khuyến công quốc gia", "local": "Khuyến công địa phương"}"#))
    }
}
