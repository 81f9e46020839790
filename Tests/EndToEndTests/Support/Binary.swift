import Foundation

struct BinaryNotFound: Error, CustomStringConvertible {
    var description: String { "the built reportd binary was not found next to the test executable" }
}

/// The `reportd` binary that SwiftPM built beside this test executable.
func reportdBinary() throws -> URL {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = exe.deletingLastPathComponent()
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent("reportd")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    throw BinaryNotFound()
}
