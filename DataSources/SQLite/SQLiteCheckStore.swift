import ReportCore
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// The cell check's answer kept in the daemon's state folder, so that a `reportd run` does not
/// check every cell of a database that has not changed since the last run checked it.
///
/// One file per dataset in `STATE/sqlite-checks/`, written atomically (0600 in a 0700 folder):
/// a format line, a checksum line, the answer (`clean rows`) and the key it holds for, which is the
/// in-process cache's (`SQLiteDatasetSource.cellsAreClean`): the database's version read before
/// the snapshot and after its first read (the files' size, modification and change times, inode
/// and device, the main file's change counter and schema cookie, the log's checkpoint sequence and
/// salts, the WAL-index header's counters) and the schema. The answer is used only when the key is
/// the same to the byte and the checksum agrees: a write changes the key (its change time
/// (`st_ctim`) cannot be set back as the modification time can), a truncated or damaged file fails
/// its checksum, and anything else (no state folder, one that cannot be read or written) is only a
/// cell check more.
struct SQLiteCheckStore {
    let state: String
    let folder: String
    let file: String

    static let format = "reportd sqlite cell check 1"
    static let subfolder = "sqlite-checks"

    /// The store of `settings`' dataset, or nil when it has no state folder.
    init?(_ settings: DatasetConfig) {
        guard let state = settings.stateDirectory, !state.isEmpty else { return nil }
        self.state = state
        folder = state + "/" + Self.subfolder
        let what = [settings.name, settings.path, settings.table ?? "", settings.query ?? ""].joined(separator: "\u{0}")
        file = String(Self.fnv(Array(what.utf8)), radix: 16) + ".check"
    }

    /// The answer kept for `key`, or nil (none, another key, a damaged file).
    func load(key: String) -> CellFigures? {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = ConfinedFolder.readFile(file, in: fd, atMost: 1 << 20) else { return nil }
        return Self.parse(bytes, key: key)
    }

    /// Keeps `figures` for `key`; a failure (a folder that cannot be written) is ignored.
    func save(_ figures: CellFigures, key: String) {
        _ = try? ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: file, bytes: Self.encode(figures, key: key))], intoFolderAt: folder,
            permissions: .private(in: state))
    }

    static func encode(_ figures: CellFigures, key: String) -> [UInt8] {
        let body = Array("\(figures.clean ? 1 : 0) \(figures.rows)\n\(key)".utf8)
        return Array("\(format)\n\(String(fnv(body), radix: 16))\n".utf8) + body
    }

    static func parse(_ bytes: [UInt8], key: String) -> CellFigures? {
        let newline = UInt8(ascii: "\n")
        guard let first = bytes.firstIndex(of: newline),
            let second = bytes[(first + 1)...].firstIndex(of: newline),
            String(decoding: bytes[..<first], as: UTF8.self) == format,
            String(decoding: bytes[(first + 1)..<second], as: UTF8.self) == String(fnv(bytes[(second + 1)...]), radix: 16)
        else { return nil }
        let body = bytes[(second + 1)...]
        guard let third = body.firstIndex(of: newline),
            Array(body[(third + 1)...]) == Array(key.utf8)
        else { return nil }
        let answer = String(decoding: body[..<third], as: UTF8.self).split(separator: " ")
        guard answer.count == 2, answer[0] == "0" || answer[0] == "1", let rows = Int(answer[1]), rows >= 0 else {
            return nil
        }
        return CellFigures(clean: answer[0] == "1", rows: rows)
    }

    /// FNV-1a, 64 bits: detects a truncated or damaged file (not a forgery: the state folder is
    /// the daemon's own, 0700).
    static func fnv(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
