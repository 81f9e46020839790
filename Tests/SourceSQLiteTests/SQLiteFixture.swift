import Foundation
import SQLiteNIO

/// A database file in a fresh temporary folder, made with SQLiteNIO (read-write), for one test.
struct SQLiteFixture {
    let folder: String
    let path: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/data.sqlite"
    }

    /// Runs each statement in one connection, then closes it.
    func execute(_ statements: [String], binds: [[SQLiteData]] = []) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            for (i, sql) in statements.enumerated() {
                _ = try await connection.query(sql, i < binds.count ? binds[i] : [])
            }
        } catch {
            try await connection.close()
            throw error
        }
        try await connection.close()
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
