import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportConfig
import Synchronization

@testable import ReportDaemon
@testable import ReportState
import ReportWriters
import ReportSources
import ReportPlugins

/// A wall clock the test moves by hand; sleepers wake when it passes their deadline.
final class ManualClock: WallClock {
    private struct Sleeper {
        var id: Int
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    init(_ start: Date) { state = Mutex(State(now: start)) }

    func now() -> Date { state.withLock { $0.now } }

    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(until deadline: Date) async throws {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let immediate: (any Error)?? = state.withLock { s in
                    if Task.isCancelled { return .some(CancellationError()) }
                    if deadline <= s.now { return .some(nil) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return .none
                }
                switch immediate {
                case .some(.some(let error)): c.resume(throwing: error)
                case .some(.none): c.resume()
                case .none: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has come.
    func advance(to date: Date) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = date
            let due = s.sleepers.filter { $0.deadline <= date }
            s.sleepers.removeAll { $0.deadline <= date }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    func advance(by seconds: TimeInterval) { advance(to: now().addingTimeInterval(seconds)) }
}

/// A run executor whose runs the test controls: each report may fail a number of times, or block
/// until released (or stopped).
final class FakeExecutor: RunExecutor {
    struct Call: Equatable {
        var report: String
        var slot: Date
        var trigger: RunTrigger
        var attempt: Int
    }

    private struct State {
        var calls: [Call] = []
        var failures: [String: Int] = [:]
        /// Reports whose failures are of this kind (a retryable `io` when not named).
        var failureKinds: [String: RunFailure] = [:]
        var blocking: Set<String> = []
        var gates: [String: [ResumeOnce<String?>]] = [:]
        var finished: [(String, String?)] = []
        /// The figures a successful run of a report gives (nil: none, as a run without alerts).
        var figures: [String: RunFigures] = [:]
    }

    private let state = Mutex(State())

    var calls: [Call] { state.withLock { $0.calls } }
    var finished: [(String, String?)] { state.withLock { $0.finished } }

    func fail(_ report: String, times: Int, kind: RunFailure? = nil) {
        state.withLock {
            $0.failures[report] = times
            $0.failureKinds[report] = kind
        }
    }
    func block(_ report: String) { _ = state.withLock { $0.blocking.insert(report) } }
    /// From now on, a successful run of `report` gives `figures` (what its alerts are checked on).
    func give(_ figures: RunFigures, for report: String) { state.withLock { $0.figures[report] = figures } }

    /// Lets every blocked run of `report` finish successfully, and later ones run freely.
    func release(_ report: String) {
        let gates = state.withLock { s -> [ResumeOnce<String?>] in
            s.blocking.remove(report)
            defer { s.gates[report] = [] }
            return s.gates[report] ?? []
        }
        for gate in gates { gate.resume(nil) }
    }

    func execute(_ request: RunRequest, control: RunControl) async -> RunResult {
        let started = Date()
        let error = await run(request, control: control)
        let (kind, figures) = state.withLock { ($0.failureKinds[request.report.name], $0.figures[request.report.name]) }
        var result = RunResult(request, started: started, error: error, failure: kind ?? .io)
        if error == nil { result.figures = figures }
        return result
    }

    private func run(_ request: RunRequest, control: RunControl) async -> String? {
        let name = request.report.name
        let blocking = state.withLock { s -> Bool in
            s.calls.append(Call(report: name, slot: request.slot, trigger: request.trigger, attempt: request.attempt))
            return s.blocking.contains(name)
        }
        var result: String?
        if blocking {
            result = await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
                let once = ResumeOnce(c)
                state.withLock { $0.gates[name, default: []].append(once) }
                control.onStop { reason in once.resume("stopped: \(reason)") }
            }
        }
        if result == nil {
            result = state.withLock { s -> String? in
                guard let left = s.failures[name], left > 0 else { return nil }
                s.failures[name] = left - 1
                return "boom"
            }
        }
        let final = result
        state.withLock { $0.finished.append((name, final)) }
        return final
    }
}

/// Waits (in real time, briefly) until `condition` holds. The bound only turns a hang into a
/// failure: these tests share two cores and the cooperative pool's threads with end-to-end tests
/// that block them for seconds at a time (30 s was seen to run out under load).
func eventually(
    _ what: String = "condition", timeout: TimeInterval = 120, _ condition: () -> Bool
) async throws {
    let start = Date()
    while !condition() {
        if Date().timeIntervalSince(start) > timeout { throw WaitTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A config folder with a dataset and report files, loaded as the daemon would.
final class DaemonFixture: Sendable {
    let folder: URL

    deinit { try? FileManager.default.removeItem(at: folder) }

    init(reports: [String: String], daemonExtra: String = "") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-daemon-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        try """
        timezone: UTC
        reports: reports.d
        state: state
        output: {root: out, keep: 100}
        datasets:
          things: {format: csv, path: data.csv, schema: schema.yaml}
        \(daemonExtra)
        """.write(to: folder.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        try "columns:\n  district: {type: string}\n  amount: {type: int}\n".write(
            to: folder.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        try "district,amount\nSìn Hồ,5\nTam Đường,7\n".write(
            to: folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        for (name, text) in reports { try write(name, text) }
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(at: folder.appendingPathComponent("reports.d/\(name).yaml"))
    }

    var configPath: String { folder.appendingPathComponent("reportd.yaml").path }
    var loader: ConfigLoader { ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()) }

    func load() throws -> ReportSet {
        let (daemon, diagnostics) = loader.loadDaemon(configPath: configPath)
        guard let daemon else { throw ConfigError(diagnostics) }
        return ReportSet(daemon: daemon, reports: loader.loadReportFiles(daemon: daemon).compactMap(\.report))
    }

    func reload() -> (DaemonConfig?, [ConfigLoader.ReportFileResult], [Diagnostic]) {
        let (daemon, diagnostics) = loader.loadDaemon(configPath: configPath)
        return (daemon, daemon.map { loader.loadReportFiles(daemon: $0) } ?? [], diagnostics)
    }

    var store: StateStore { StateStore(directory: folder.appendingPathComponent("state").path) }

    static func report(_ name: String, schedule: String, extra: String = "") -> String {
        """
        name: \(name)
        dataset: things
        schedule: "\(schedule)"
        metrics: [{name: n, calc: count}]
        \(extra)
        """
    }
}

/// Logs into memory, so tests can read what the daemon said.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger() -> Logger {
        Logger(label: "test") { _ in CaptureHandler(capture: self) }
    }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let extra = event.metadata { all.merge(extra) { $1 } }
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(meta)") }
        }
    }
}
