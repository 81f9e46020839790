import Foundation
import Testing
import TestSupport

/// The CSV reportd writes, opened by a real spreadsheet: LibreOffice Calc, headless, converts it to
/// a workbook, and the workbook's sheet XML (read with Python's zipfile) says what each cell became.
/// A text cell `=1+2` from the dataset must arrive as text, not as a formula; the same file without
/// reportd's defusing shows that LibreOffice does evaluate it (the check can fail).
@Suite(.blocking) struct CSVInOfficeTests {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "LibreOffice is not installed: this test needs soffice (apt-get install --no-install-recommends "
                + "libreoffice-calc; .ci/run installs it)"
        }
    }

    /// `soffice` on the PATH.
    static func soffice() throws -> String {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/soffice"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Missing()
    }

    /// Each cell of column A of the first sheet of the workbook LibreOffice makes from `csv`, as
    /// `kind:text`: `f:` for a formula, `s:` / `str:` / `inlineStr:` for text, `n:` for a number.
    static func columnA(of csv: URL, in folder: URL) throws -> [String] {
        let profile = folder.appendingPathComponent("lo-profile")
        let convert = try runProcess(
            try soffice(),
            // CSV:44,34,76,1: comma, double quote, UTF-8, from line 1. Without these options
            // LibreOffice headless read the file as Windows-1252 despite its BOM (`SÃ¬n Há»“`).
            ["-env:UserInstallation=\(profile.absoluteString)", "--headless", "--infilter=CSV:44,34,76,1",
                "--convert-to", "xlsx", "--outdir", folder.path, csv.path])
        #expect(convert.status == 0, "\(convert.output)")
        let xlsx = folder.appendingPathComponent(csv.deletingPathExtension().lastPathComponent + ".xlsx")
        let script = """
            import html, re, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            shared = re.findall(r'<si>(.*?)</si>', z.read('xl/sharedStrings.xml').decode()) if 'xl/sharedStrings.xml' in z.namelist() else []
            sheet = z.read('xl/worksheets/sheet1.xml').decode()
            for m in re.finditer(r'<c r="A\\d+"([^>]*?)(?:/>|>(.*?)</c>)', sheet):
                attrs, body = m.group(1), m.group(2) or ''
                t = re.search(r't="(\\w+)"', attrs)
                kind = 'f' if re.search(r'<f[ >]', body) else (t.group(1) if t else 'n')
                v = re.search(r'<v>(.*?)</v>', body)
                text = v.group(1) if v else ''
                if kind == 's': text = re.sub(r'<[^>]+>', '', shared[int(text)])
                print(kind + ':' + html.unescape(text))
            """
        let read = try runProcess("/usr/bin/env", ["python3", "-c", script, xlsx.path])
        #expect(read.status == 0, "\(read.output)")
        return read.output.split(separator: "\n").map(String.init)
    }

    static func runProcess(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = FileManager.default.temporaryDirectory.path
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func aFormulaFromTheDatasetArrivesAsText() async throws {
        _ = try Self.soffice()
        let f = try Fixture(
            csv: "district,year,amount\n=1+2,2024,5\n@SUM(A1),2024,6\nSìn Hồ,2024,7\n",
            reports: [
                "cells": Fixture.report("cells", extra: "formats: [csv]\ncsv: {bom: true, line_endings: crlf}")
            ])
        let config = f.config
        let out = try await offThePool { try runReportd(["run", "--config", config]) }
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let csv = f.output.appendingPathComponent("cells/latest.csv")
        let cells = try await offThePool { try Self.columnA(of: csv, in: f.folder) }
        #expect(cells.first == "s:district" || cells.first == "str:district", "\(cells)")
        #expect(cells.contains { $0.hasSuffix(":'=1+2") && !$0.hasPrefix("f:") }, "\(cells)")
        #expect(cells.contains { $0.hasSuffix(":'@SUM(A1)") && !$0.hasPrefix("f:") }, "\(cells)")
        #expect(cells.contains { $0.hasSuffix(":Sìn Hồ") }, "\(cells)")
        #expect(!cells.contains { $0.hasPrefix("f:") }, "\(cells)")

        // The control: the same cell undefused is a formula that LibreOffice evaluates to 3.
        let raw = f.folder.appendingPathComponent("raw.csv")
        try "district,rows\n=1+2,1\n".write(to: raw, atomically: true, encoding: .utf8)
        let rawCells = try await offThePool { try Self.columnA(of: raw, in: f.folder) }
        #expect(rawCells.contains("f:3"), "\(rawCells)")
    }
}
