import Foundation
import ReportCore
import SourcePostgres
import TestSupport

/// A fresh database on the run's cluster, and datasets on it.
struct PostgresFixture {
    let cluster: PostgresCluster
    let database: String
    let folder: String

    init(tls: Bool = false) throws {
        cluster = try PostgresCluster.shared(tls: tls)
        database = try cluster.createDatabase()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgfix-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func sql(_ text: String) throws { try cluster.psql(text, database: database) }

    func url(user: String = "postgres", sslmode: String = "disable") -> String {
        cluster.url(database: database, user: user, sslmode: sslmode)
    }

    /// A postgres dataset on `table` (or `query`) with `schema` (empty: none given).
    func settings(
        table: String? = "p", query: String? = nil, schema: DatasetSchema, url: String? = nil, timeout: Int? = nil,
        passwordFile: String? = nil
    ) -> DatasetConfig {
        let address = url ?? self.url()
        var s = DatasetConfig(
            name: "registry", format: "postgres", path: address, schemaPath: "", schema: schema, onBadRows: .fail)
        s.url = address
        s.table = query == nil ? table : nil
        s.query = query
        s.timeout = timeout
        s.passwordFile = passwordFile
        return s
    }

    /// A file holding `text`, with `mode`.
    func file(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    func remove() {
        _ = try? cluster.psql("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        try? FileManager.default.removeItem(atPath: folder)
    }
}
