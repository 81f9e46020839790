public import Foundation
public import ReportCore

/// The database snapshots that the runs of one slot share in `serve`.
///
/// One run, for a database dataset in `serve`, is the reports due at one slot instant: the first
/// of them to read opens the dataset's snapshot, the others of the same slot that read while it is
/// open use it, and the last to finish closes it. A report of that slot that starts after the
/// others have all finished (it waited for a free run, or it is a retry) opens a new snapshot:
/// a snapshot is never kept open between runs (it would hold a database transaction, and in
/// SQLite's rollback-journal mode block every writer).
public final class DatasetSnapshots: Sendable {
    struct Key: Hashable {
        var dataset: String
        var slot: Date
    }

    struct Entry {
        var snapshot: any DatasetSnapshot
        var users: Int
    }

    private let open = Locked([Key: Entry]())
    /// Serialises the opening of snapshots, so that two reports of one slot open one.
    private let opening = Locked(())

    public init() {}

    /// A held use of a snapshot; `release()` it when the report has read (the last release closes it).
    public final class Lease: @unchecked Sendable {
        public let snapshot: any DatasetSnapshot
        private let done: @Sendable () -> Void
        private var released = false

        init(_ snapshot: any DatasetSnapshot, done: @escaping @Sendable () -> Void) {
            self.snapshot = snapshot
            self.done = done
        }

        /// Gives the snapshot back; only the first call counts.
        public func release() {
            guard !released else { return }
            released = true
            done()
        }
    }

    /// The snapshot of `source` for the run of `slot`: the one open for it, or a new one; nil when
    /// the source has no snapshots (a file).
    public func acquire(_ source: any DatasetSource, slot: Date) -> Result<Lease?, DatasetError> {
        let key = Key(dataset: source.name, slot: slot)
        return opening.withLock { _ in
            if let entry = open.withLock({ entries -> Entry? in
                entries[key]?.users += 1
                return entries[key]
            }) {
                return .success(lease(entry.snapshot, key))
            }
            switch Result(catching: { () throws(DatasetError) in try source.openSnapshot() }) {
            case .failure(let error): return .failure(error)
            case .success(nil): return .success(nil)
            case .success(let snapshot?):
                open.withLock { $0[key] = Entry(snapshot: snapshot, users: 1) }
                return .success(lease(snapshot, key))
            }
        }
    }

    /// How many snapshots are open now.
    public var openCount: Int { open.withLock { $0.count } }

    private func lease(_ snapshot: any DatasetSnapshot, _ key: Key) -> Lease {
        let open = self.open
        return Lease(snapshot) {
            let last: (any DatasetSnapshot)? = open.withLock { entries in
                guard var entry = entries[key] else { return nil }
                entry.users -= 1
                if entry.users > 0 {
                    entries[key] = entry
                    return nil
                }
                entries[key] = nil
                return entry.snapshot
            }
            last?.close()
        }
    }
}
