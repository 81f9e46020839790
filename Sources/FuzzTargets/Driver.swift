import Foundation

/// A broken invariant found by a fuzz target: not a crash, but an outcome that is wrong.
public struct InvariantViolation: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Throws `InvariantViolation(message())` unless `condition` holds.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(message()) }
}

/// One fuzz target: takes an input's bytes; throws when an invariant breaks.
public struct FuzzTarget: Sendable {
    /// The product's name (`fuzz-csv`) and its corpus folder under Tests/Fuzz (`csv`).
    public let name: String
    public let corpus: String
    public let run: @Sendable ([UInt8]) throws(InvariantViolation) -> Void

    public init(name: String, corpus: String, run: @escaping @Sendable ([UInt8]) throws(InvariantViolation) -> Void) {
        self.name = name
        self.corpus = corpus
        self.run = run
    }

    /// Every target, for the corpus test.
    public static let all: [FuzzTarget] = [.config, .filter, .schedule, .csv]
}

/// How a fuzz executable runs: under libFuzzer when built with `-DFUZZING` (and
/// `-sanitize=fuzzer`), otherwise as a replayer of corpus files.
public enum FuzzDriver {
    /// The files of `paths` (files, or folders read one level deep), sorted.
    public static func inputs(_ paths: [String]) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file or folder: \(path)\n".utf8))
                continue
            }
            if isDirectory.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Replays corpus files through `target` (the executable's behaviour without `-DFUZZING`):
    /// `fuzz-NAME [FILE|FOLDER...]`, by default Tests/Fuzz/CORPUS under the working folder.
    /// Exits 1 when an input breaks an invariant (a crash ends the process anyway).
    public static func replayMain(_ target: FuzzTarget) -> Never {
        var paths = Array(CommandLine.arguments.dropFirst()).filter { !$0.hasPrefix("-") }
        if paths.isEmpty { paths = ["Tests/Fuzz/\(target.corpus)"] }
        let files = inputs(paths)
        var failures = 0
        let start = Date()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(target.name): cannot read \(file)")
                failures += 1
                continue
            }
            do {
                try target.run([UInt8](data))
            } catch {
                print("\(target.name): \(file): \(error)")
                failures += 1
            }
        }
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        print("\(target.name): replayed \(files.count) inputs in \(seconds) s, \(failures) failed")
        exit(failures == 0 && !files.isEmpty ? 0 : 1)
    }
}

#if FUZZING
    /// libFuzzer's driver, for an executable whose `main` is not libFuzzer's (SwiftPM links its own
    /// entry point, `MODULE_main`).
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The target libFuzzer drives; set once before the driver starts.
    nonisolated(unsafe) private var currentTarget: FuzzTarget?

    /// libFuzzer's callback (a C function: it cannot capture the target).
    private func runCurrentTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        FuzzDriver.runOne(currentTarget!, data, size)
    }

    extension FuzzDriver {
        /// Runs `target` under libFuzzer with the process's arguments (libFuzzer's flags and corpus
        /// folders). An input that breaks an invariant stops the run as a crash, so libFuzzer saves it.
        public static func libFuzzerMain(
            _ target: FuzzTarget, argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        ) -> Int32 {
            currentTarget = target
            var argc = argc
            var argv = argv
            return LLVMFuzzerRunDriver(&argc, &argv, runCurrentTarget)
        }

        /// Runs one input; an input that breaks an invariant stops the process as a crash would, so
        /// libFuzzer saves it.
        public static func runOne(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
            let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            do {
                try target.run(bytes)
            } catch {
                fatalError("\(target.name): invariant broken: \(error)")
            }
            return 0
        }
    }
#endif
