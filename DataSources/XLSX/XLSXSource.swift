import Foundation
public import ReportCore
import ReportFiles
import SourceFiles
import ZIPFoundation

/// `format: xlsx`: one sheet of an Excel workbook, row 1 the header, typed by the schema as a CSV
/// file is (see SPEC.md, "Dataset sources").
public struct XLSXSourceKind: DatasetSourceKind {
    public static let format = "xlsx"
    public static let fileExtensions = ["xlsx"]
    public static let settingsKeys = ["sheet"]

    public init() {}

    public static func readSettings(_ settings: inout some SettingsReader, into config: inout DatasetConfig) {
        if let sheet = settings.string("sheet") { config.options[XLSXSheet.self] = XLSXSheet(name: NFC.normalize(sheet)) }
    }

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource {
        FileDatasetSource(settings) { settings, columns, checksum throws(DatasetError) in
            try XLSXLoader.loadOnce(settings, columns: columns, checksum: checksum, limits: .standard)
        }
    }
}

/// The `sheet` a dataset names (the first sheet when none).
struct XLSXSheet: Sendable {
    var name: String
}

/// How much of a workbook is read: the bounds that keep a zip bomb or a huge part from taking
/// unbounded memory.
struct XLSXLimits: Sendable {
    /// Uncompressed bytes of one part (a sheet, the shared strings).
    var partBytes: Int
    /// Shared strings (Excel's own limit is far below).
    var sharedStrings: Int

    static let standard = XLSXLimits(partBytes: 1 << 30, sharedStrings: 16_000_000)
}

/// Reads XLSX dataset files into typed columns.
enum XLSXLoader {
    static func loadOnce(_ config: DatasetConfig, columns: Set<String>?, checksum: Bool, limits: XLSXLimits)
        throws(DatasetError) -> LoadedDataset
    {
        let display = DisplayPath.of(config.path)
        let bytes = try FileDataset.bytes(of: config, display: display)
        var loaded = try read(bytes, config: config, display: display, columns: columns, limits: limits)
        loaded.sha256 = checksum ? FileDataset.sha256(bytes) : ""
        loaded.fingerprint = Fingerprint.of(bytes)
        return loaded
    }

    static func read(
        _ bytes: [UInt8], config: DatasetConfig, display: String, columns: Set<String>?, limits: XLSXLimits
    ) throws(DatasetError) -> LoadedDataset {
        func failure(_ message: String) -> DatasetError {
            DatasetError(file: display, line: 0, column: 0, message: message)
        }
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw failure("not an Excel workbook (.xlsx): the file is not a zip archive (\(error))")
        }
        var package = WorkbookPackage(archive: archive, limits: limits, display: display)
        let book = try package.workbook()
        let wanted = config.options[XLSXSheet.self]?.name
        guard let sheet = wanted.map({ name in book.sheets.first { NFC.normalize($0.name) == name } }) ?? book.sheets.first
        else {
            let names = book.sheets.map { "'\($0.name)'" }.joined(separator: ", ")
            if let wanted {
                var message = "the workbook has no sheet '\(wanted)' (its sheets: \(names))"
                if let guess = closestMatch(to: wanted, among: book.sheets.map(\.name)) {
                    message += "; did you mean '\(guess)'?"
                }
                throw failure(message)
            }
            throw failure("the workbook has no sheet")
        }
        let shared = try package.sharedStrings(book)
        let dateStyles = try package.dateStyles(book)
        let part = try package.part(sheet.path, what: "sheet '\(sheet.name)'")
        var reader = SheetReader(
            config: config, display: display + "!" + sheet.name, columns: columns, shared: shared,
            dateStyles: dateStyles, date1904: book.date1904)
        return try part.withUnsafeBufferPointer { buffer throws(DatasetError) in
            try reader.read(buffer, partName: sheet.path)
        }
    }
}

/// The parts of a workbook, read from its archive within the limits.
struct WorkbookPackage {
    struct Sheet {
        var name: String
        var path: String
    }

    struct Book {
        var sheets: [Sheet]
        var date1904: Bool
        var sharedStringsPath: String?
        var stylesPath: String?
    }

    let archive: Archive
    let limits: XLSXLimits
    let display: String

    private func failure(_ message: String) -> DatasetError {
        DatasetError(file: display, line: 0, column: 0, message: message)
    }

    /// The uncompressed bytes of the part at `path`, or nil when the archive has none.
    func optionalPart(_ path: String, what: String) throws(DatasetError) -> [UInt8]? {
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let entry = archive[name] else { return nil }
        guard entry.type == .file else { throw failure("\(what) (\(name)) is not a file in the archive") }
        let limit = limits.partBytes
        if entry.uncompressedSize > UInt64(limit) {
            throw failure(
                "\(what) (\(name)) is \(entry.uncompressedSize) bytes uncompressed, more than the \(limit) bytes a part may take")
        }
        if let refusal = MemoryHeadroom.refusal(datasetBytes: Int(entry.uncompressedSize), factor: 2) {
            throw failure("cannot read \(what): \(refusal)")
        }
        var content: [UInt8] = []
        content.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(limit))))
        struct TooLarge: Error {}
        do {
            // The entry's size is the archive's word for it: a zip bomb states a small one. Bytes
            // are counted as they come, and the read stops at the limit.
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if content.count + chunk.count > limit { throw TooLarge() }
                content += chunk
            }
        } catch is TooLarge {
            throw failure(
                "\(what) (\(name)) inflates to more than \(limit) bytes (the archive said \(entry.uncompressedSize)): the file is damaged or a zip bomb"
            )
        } catch {
            throw failure("\(what) (\(name)) cannot be read from the archive: \(error)")
        }
        return content
    }

    func part(_ path: String, what: String) throws(DatasetError) -> [UInt8] {
        guard let content = try optionalPart(path, what: what) else {
            throw failure("not an Excel workbook (.xlsx): the archive has no \(path) (\(what))")
        }
        return content
    }

    /// Scans a part's XML, turning a syntax error into one naming the part.
    func scan(_ content: [UInt8], _ path: String, _ body: (inout XMLScanner) throws(XMLScanner.Failure) -> Void)
        throws(DatasetError)
    {
        do {
            try content.withUnsafeBufferPointer { buffer throws(XMLScanner.Failure) in
                var scanner = XMLScanner(buffer)
                try body(&scanner)
            }
        } catch {
            throw failure("malformed XML in \(path) at byte \(error.offset): \(error.message)")
        }
    }

    /// The workbook's sheets (in order, with their parts), its date system and its other parts.
    mutating func workbook() throws(DatasetError) -> Book {
        // The package's relationships name the workbook part (xl/workbook.xml as Excel writes it).
        var workbookPath = "xl/workbook.xml"
        if let rels = try optionalPart("_rels/.rels", what: "the package's relationships") {
            try scan(rels, "_rels/.rels") { scanner throws(XMLScanner.Failure) in
                while let event = try scanner.next() {
                    if case .start("Relationship", let a, _) = event, a["Type"]?.hasSuffix("/officeDocument") == true,
                        let target = a["Target"]
                    {
                        workbookPath = Self.resolve(target, against: "")
                    }
                }
            }
        }
        let base = workbookPath.contains("/") ? String(workbookPath[..<workbookPath.lastIndex(of: "/")!]) : ""
        let relsPath = (base.isEmpty ? "" : base + "/") + "_rels/" + workbookPath.split(separator: "/").last! + ".rels"
        var targets: [String: String] = [:]
        var sharedStrings: String?
        var styles: String?
        let rels = try part(relsPath, what: "the workbook's relationships")
        try scan(rels, relsPath) { scanner throws(XMLScanner.Failure) in
            while let event = try scanner.next() {
                guard case .start("Relationship", let a, _) = event, let id = a["Id"], let target = a["Target"] else {
                    continue
                }
                if a["TargetMode"] == "External" { continue }
                let path = Self.resolve(target, against: base)
                targets[id] = path
                if a["Type"]?.hasSuffix("/sharedStrings") == true { sharedStrings = path }
                if a["Type"]?.hasSuffix("/styles") == true { styles = path }
            }
        }
        var sheets: [Sheet] = []
        var date1904 = false
        let content = try part(workbookPath, what: "the workbook")
        try scan(content, workbookPath) { scanner throws(XMLScanner.Failure) in
            while let event = try scanner.next() {
                guard case .start(let name, let a, _) = event else { continue }
                if name == "workbookPr", let value = a["date1904"] { date1904 = value == "1" || value == "true" }
                if name == "sheet", let sheetName = a["name"], let id = a["id"], let path = targets[id] {
                    sheets.append(Sheet(name: sheetName, path: path))
                }
            }
        }
        return Book(sheets: sheets, date1904: date1904, sharedStringsPath: sharedStrings, stylesPath: styles)
    }

    /// `target` of a relationship from a part in `base`: absolute (`/xl/…`) or relative.
    static func resolve(_ target: String, against base: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = base.split(separator: "/").map(String.init)
        for piece in target.split(separator: "/") {
            if piece == ".." { _ = parts.popLast() } else if piece != "." { parts.append(String(piece)) }
        }
        return parts.joined(separator: "/")
    }

    /// The shared-strings table (none when the workbook has no such part).
    func sharedStrings(_ book: Book) throws(DatasetError) -> [String] {
        guard let path = book.sharedStringsPath, let content = try optionalPart(path, what: "the shared strings")
        else { return [] }
        var strings: [String] = []
        let limit = limits.sharedStrings
        var tooMany = false
        try scan(content, path) { scanner throws(XMLScanner.Failure) in
            while let event = try scanner.next() {
                guard case .start("si", _, let selfClosing) = event else { continue }
                if strings.count >= limit {
                    tooMany = true
                    return
                }
                strings.append(
                    selfClosing ? "" : SpreadsheetText.unescape(try scanner.text(until: "si", skipping: ["rPh"])))
            }
        }
        if tooMany { throw failure("the shared strings hold more than \(limit) strings") }
        return strings
    }

    /// Which cell styles (`s` of a cell) show a number as a date.
    func dateStyles(_ book: Book) throws(DatasetError) -> Set<Int> {
        guard let path = book.stylesPath, let content = try optionalPart(path, what: "the styles") else { return [] }
        var custom: [Int: String] = [:]
        var formats: [Int] = []
        var inCellXfs = false
        try scan(content, path) { scanner throws(XMLScanner.Failure) in
            while let event = try scanner.next() {
                switch event {
                case .start("numFmt", let a, _):
                    if let id = a["numFmtId"].flatMap({ Int($0) }), let code = a["formatCode"] { custom[id] = code }
                case .start("cellXfs", _, let selfClosing): inCellXfs = !selfClosing
                case .end("cellXfs"): inCellXfs = false
                case .start("xf", let a, _) where inCellXfs:
                    formats.append(a["numFmtId"].flatMap { Int($0) } ?? 0)
                default: break
                }
            }
        }
        var dates = Set<Int>()
        for (index, id) in formats.enumerated() where SpreadsheetText.isDateFormat(id, custom[id]) { dates.insert(index) }
        return dates
    }
}

/// What SpreadsheetML text means.
enum SpreadsheetText {
    /// Built-in number formats that show dates (ECMA-376 Part 1, §18.8.30).
    static let builtinDates: Set<Int> = [14, 15, 16, 17, 22, 27, 30, 36, 45, 46, 47, 50, 57]

    /// Whether a number format shows a date: a built-in date format, or a custom code with day,
    /// month or year letters outside quotes, brackets and escapes.
    static func isDateFormat(_ id: Int, _ code: String?) -> Bool {
        if builtinDates.contains(id) { return true }
        guard id >= 164 || code != nil, let code else { return false }
        var inQuotes = false
        var inBrackets = false
        var escaped = false
        // Only the first section (positive numbers) matters.
        for c in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true
            case "\"": inQuotes.toggle()
            case "[": inBrackets = true
            case "]": inBrackets = false
            case ";" where !inQuotes && !inBrackets: return false
            case "d", "m", "y":
                if !inQuotes && !inBrackets { return true }
            default: break
            }
        }
        return false
    }

    /// ECMA-376's `_xHHHH_` escapes decoded (§22.9.2.19): `_x000D_` is a carriage return.
    static func unescape(_ s: String) -> String {
        guard s.contains("_x") else { return s }
        var out = ""
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "_", i + 6 < scalars.count, scalars[i + 1] == "x", scalars[i + 6] == "_",
                let value = UInt32(String(String.UnicodeScalarView(scalars[(i + 2)...(i + 5)])), radix: 16),
                let scalar = Unicode.Scalar(value)
            {
                out.unicodeScalars.append(scalar)
                i += 7
            } else {
                out.unicodeScalars.append(scalars[i])
                i += 1
            }
        }
        return out
    }

    /// The day of an Excel serial number: the 1900 system (1 is 1900-01-01, with Lotus 1-2-3's
    /// 29 February 1900 at 60) or the 1904 system (0 is 1904-01-01). A time of day is dropped;
    /// nil for serials that are not dates (negative, the fictitious leap day, past 9999).
    static func day(serial: Double, date1904: Bool) -> Day? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        let whole = Int(serial.rounded(.down))
        if date1904 { return Day(daysSinceEpoch: Int32(whole - 24107)) }
        guard whole >= 1, whole != 60 else { return nil }
        return Day(daysSinceEpoch: Int32(whole < 60 ? whole - 25568 : whole - 25569))
    }
}
