public import Foundation
public import ReportCore
public import ReportFiles

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `index.html` in the output root: one self-contained page listing every report folder that has
/// `latest.*` files, with relative links to them, so the share can be browsed from one place.
///
/// The page is rebuilt from what is in the root (not from memory), under an flock on
/// `STATE/locks/_index.lock` (`_` cannot begin a report name), so two reports publishing at
/// once — two processes or two threads — never lose each other's entry: each rescans after its
/// own files are in place. It is published like every other file (hidden temporary file, fsync,
/// rename, the output root's modes), never follows a link, and reads only regular files found
/// without following links.
///
/// It exists once a report with the `html` format has published; from then on every publish of
/// any report keeps it current.
public enum OutputIndex {
    public static let fileName = "index.html"
    /// The lock's name in `STATE/locks/` (without `.lock`).
    static let lockName = "_index"
    /// The most of `latest.json` read for its title and slot: the writer puts them first.
    static let headerBytes = 64 * 1024

    /// One report folder as the index shows it.
    public struct Entry: Sendable, Equatable {
        public var report: String
        /// From `latest.json`, else `latest.html`'s `<title>`, else the first line of `latest.txt`.
        public var title: String?
        /// The slot of the latest run (`latest.json`), else the newest `latest.*` file's time.
        public var lastRun: String?
        /// The `latest.*` file names present, HTML first, then csv, json, txt.
        public var files: [String]
        /// The label of the period the latest run reported on (`latest.json`'s `period`), if any.
        public var period: String?

        public init(report: String, title: String?, lastRun: String?, files: [String]) {
            self.report = report
            self.title = title
            self.lastRun = lastRun
            self.files = files
        }
    }

    /// Rewrites the index after `report` published, when the index is wanted: the report writes
    /// HTML, or an index is already there.
    /// - Returns: whether the index was written.
    @discardableResult
    public static func update(
        after report: ReportDefinition, extensions: [String], outputRoot: String, permissions: Publisher.Permissions, stateDirectory: String,
        timeZone: TimeZone, locale: ReportLocale = .viVN
    ) throws(PublishError) -> Bool {
        let lock = LockFile.open("\(lockName).lock", in: "locks", of: stateDirectory)
        if let lock { FileIO.lock(lock, LOCK_EX) }
        // Without a lock file (a state folder this user may not write) the index is still written,
        // as report runs go ahead unlocked.
        defer {
            if let lock {
                flock(lock, LOCK_UN)
                close(lock)
            }
        }
        let root = try ConfinedFolder.open(atPath: outputRoot, permissions: permissions)
        defer { close(root) }
        var info = stat()
        let exists = fstatat(root, fileName, &info, AT_SYMLINK_NOFOLLOW) == 0
        guard report.formats.contains("html") || exists else { return false }
        let entries = scan(root, extensions: extensions, timeZone: timeZone)
        let generatedAt = SlotTime(date: Date(), timeZone: timeZone).iso8601
        let bytes = render(entries, generatedAt: generatedAt, locale: locale)
        try Publisher(root: outputRoot, permissions: permissions).publish(
            files: [Publisher.File(name: fileName, bytes: bytes)])
        return true
    }

    /// The report folders of the root (open as `root`) that hold `latest.*` files, by name.
    static func scan(_ root: Int32, extensions: [String], timeZone: TimeZone) -> [Entry] {
        var entries: [Entry] = []
        for name in list(root).sorted() where ReportDefinition.isValidName(name) {
            var info = stat()
            guard fstatat(root, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                continue
            }
            let folder = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard folder >= 0 else { continue }
            defer { close(folder) }
            let known = extensions.map { "latest." + $0 }
            var files: [String] = []
            var newest: Date?
            for file in list(folder) where known.contains(file) {
                var fileInfo = stat()
                guard fstatat(folder, file, &fileInfo, AT_SYMLINK_NOFOLLOW) == 0, fileInfo.st_mode & S_IFMT == S_IFREG
                else { continue }
                files.append(file)
                let modified = Date(
                    timeIntervalSince1970: Double(fileInfo.st_mtim.tv_sec) + Double(fileInfo.st_mtim.tv_nsec) / 1e9)
                newest = max(newest ?? modified, modified)
            }
            guard !files.isEmpty else { continue }
            files.sort { (known.firstIndex(of: $0) ?? 0, $0) < (known.firstIndex(of: $1) ?? 0, $1) }
            if let html = files.firstIndex(of: "latest.html") { files.insert(files.remove(at: html), at: 0) }
            var title: String?
            var period: String?
            var lastRun: String?
            if files.contains("latest.json"), let head = readHead(folder, "latest.json") {
                (title, lastRun) = fromJSON(head)
                period = periodLabel(fromJSON: head)
            }
            if title == nil, files.contains("latest.html"), let head = readHead(folder, "latest.html") {
                title = fromHTML(head)
            }
            if title == nil, files.contains("latest.txt"), let head = readHead(folder, "latest.txt") {
                title = head.split(separator: "\n", maxSplits: 1).first.map(String.init)
            }
            if lastRun == nil, let newest { lastRun = SlotTime(date: newest, timeZone: timeZone).iso8601 }
            var entry = Entry(report: name, title: title, lastRun: lastRun, files: files)
            entry.period = period
            entries.append(entry)
        }
        return entries
    }

    /// The title and slot from the first lines of a `latest.json` that JSONWriter wrote (each key
    /// on its own line); nil for what is not found there.
    static func fromJSON(_ head: String) -> (title: String?, slot: String?) {
        var title: String?
        var slot: String?
        for line in head.split(separator: "\n").prefix(8) {
            var text = line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix(",") { text.removeLast() }
            guard text.hasPrefix("\"title\":") || text.hasPrefix("\"slot\":"),
                let object = try? JSONSerialization.jsonObject(with: Data("{\(text)}".utf8)) as? [String: Any]
            else { continue }
            if let t = object["title"] as? String { title = t }
            if let s = object["slot"] as? String { slot = s }
        }
        return (title, slot)
    }

    /// The period's label from the first lines of a `latest.json` that JSONWriter wrote.
    static func periodLabel(fromJSON head: String) -> String? {
        for line in head.split(separator: "\n").prefix(8) {
            var text = line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix(",") { text.removeLast() }
            guard text.hasPrefix("\"period\":"),
                let object = try? JSONSerialization.jsonObject(with: Data("{\(text)}".utf8)) as? [String: Any],
                let period = object["period"] as? [String: Any]
            else { continue }
            return period["label"] as? String
        }
        return nil
    }

    /// The `<title>` of a page that HTMLWriter wrote, unescaped.
    static func fromHTML(_ head: String) -> String? {
        guard let start = head.range(of: "<title>"),
            let end = head.range(of: "</title>", range: start.upperBound..<head.endIndex)
        else { return nil }
        var text = String(head[start.upperBound..<end.lowerBound])
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text
    }

    /// The first `headerBytes` of a regular file in `folder`, read without following a link or
    /// blocking on a FIFO planted there.
    private static func readHead(_ folder: Int32, _ name: String) -> String? {
        let fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var buffer = [UInt8](repeating: 0, count: headerBytes)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, headerBytes) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    private static func list(_ fd: Int32) -> [String] {
        let copy = dup(fd)
        guard copy >= 0 else { return [] }
        guard let dir = fdopendir(copy) else {
            close(copy)
            return []
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }

    /// The words of the index page, in the daemon's language (`locale:` of the daemon config).
    struct Words {
        var reports, updatedAt, count, one, report, lastRun, latestFiles, none, footer: String

        init(_ locale: ReportLocale) {
            if locale.isVietnamese {
                (reports, updatedAt, count, one, report) = ("Báo cáo", "Cập nhật lúc", "báo cáo", "báo cáo", "Báo cáo")
                (lastRun, latestFiles, none) = ("Lần chạy gần nhất", "Tệp mới nhất", "(chưa có báo cáo nào)")
                footer = "Tạo bởi reportd · mỗi báo cáo một thư mục; tệp NAME_THỜIĐIỂM.* là các lần chạy trước"
            } else {
                (reports, updatedAt, count, one, report) = ("Reports", "Updated at", "reports", "report", "Report")
                (lastRun, latestFiles, none) = ("Last run", "Latest files", "(no report yet)")
                footer = "Made by reportd · one folder per report; the files NAME_SLOT.* are earlier runs"
            }
        }
    }

    /// The index page, in `locale`'s words.
    public static func render(_ entries: [Entry], generatedAt: String, locale: ReportLocale = .viVN) -> [UInt8] {
        let e = HTMLPage.escape
        let w = Words(locale)
        var out = HTMLPage.head(title: "\(w.reports) — reportd", language: locale)
        out += "<body>\n<main>\n<header>\n<h1>\(w.reports)</h1>\n"
        out += "<p class=\"run\">\(w.updatedAt) <time datetime=\"\(e(generatedAt))\">"
        out += "\(e(HTMLPage.readable(generatedAt)))</time> · \(entries.count) \(entries.count == 1 ? w.one : w.count)</p>\n</header>\n"
        out += "<div class=\"table\"><table class=\"index\">\n<thead><tr><th scope=\"col\">\(w.report)</th>"
        out += "<th scope=\"col\">\(w.lastRun)</th><th scope=\"col\">\(w.latestFiles)</th></tr></thead>\n<tbody>\n"
        for entry in entries {
            // Report names are [a-z0-9_-] and file names latest.EXT: links need no percent-encoding.
            let folder = e(entry.report)
            out +=
                "<tr><th scope=\"row\"><a href=\"\(folder)/\(e(entry.files[0]))\">\(e(entry.title ?? entry.report))</a>"
            out += "<br><code>\(folder)</code></th>"
            if let run = entry.lastRun {
                out += "<td><time datetime=\"\(e(run))\">\(e(HTMLPage.readable(run)))</time>"
                out += entry.period.map { "<br>\(e($0))" } ?? ""
                out += "</td>"
            } else {
                out += "<td>–</td>"
            }
            out += "<td>"
            out += entry.files.map { "<a href=\"\(folder)/\(e($0))\">\(e($0))</a>" }.joined(separator: " · ")
            out += "</td></tr>\n"
        }
        if entries.isEmpty { out += "<tr><td colspan=\"3\" class=\"empty\">\(w.none)</td></tr>\n" }
        out += "</tbody>\n</table></div>\n</main>\n"
        out += "<footer>\(w.footer)</footer>\n"
        out += "</body>\n</html>\n"
        return Array(out.utf8)
    }
}
