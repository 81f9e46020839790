import Foundation
import FuzzTargets
import Testing

/// Replays the committed fuzz corpus (Tests/Fuzz/TARGET/) through each target, invariants
/// included: every crash or broken invariant the fuzzer found stays fixed.
@Suite struct CorpusReplayTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz").path

    @Test(arguments: FuzzTarget.all.map(\.corpus))
    func corpusReplays(_ corpus: String) throws {
        let target = try #require(FuzzTarget.all.first { $0.corpus == corpus })
        let files = FuzzDriver.inputs([Self.corpusRoot + "/" + corpus])
        #expect(files.count >= 5, "the \(corpus) corpus has \(files.count) seeds")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            do {
                try target.run(bytes)
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
    }
}
