import Foundation
import Testing

@testable import ReportCore

/// Text is NFC where it is read (SPEC, "Dataset schema"; issue 24, point 5). The fast path that
/// skips normalisation must never skip text that NFC would change.
@Suite struct NFCTests {
    @Test func precomposedAndDecomposedSpellingsBecomeOne() {
        let nfc = "Mường Tè"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(!nfd.utf8.elementsEqual(nfc.utf8))
        #expect(NFC.normalize(nfd).utf8.elementsEqual(nfc.utf8))
        #expect(NFC.normalize(nfc).utf8.elementsEqual(nfc.utf8))
        #expect(NFC.normalize("").isEmpty)
        // Case and spaces stay significant.
        #expect(NFC.normalize(" MƯỜNG TÈ ") == " MƯỜNG TÈ ")
    }

    private func certain(_ s: String) -> Bool {
        Array(s.utf8).withUnsafeBufferPointer { NFC.isCertainlyNormalized($0.baseAddress!, count: $0.count) }
    }

    @Test func theFastPathSkipsOnlyTextThatNFCLeavesAlone() {
        // Every scalar the fast path takes, alone and after a few base letters, is unchanged by NFC.
        let skipped = (0x20...0x2FF).compactMap(Unicode.Scalar.init) + (0x1E00...0x1EFF).compactMap(Unicode.Scalar.init)
        for scalar in skipped {
            let alone = String(scalar)
            #expect(certain(alone), "U+\(String(scalar.value, radix: 16))")
            for base in ["a", "e", "o", "u", "y", "A", "Ơ", "ư", "Ê"] {
                let pair = base + alone
                #expect(
                    pair.precomposedStringWithCanonicalMapping.utf8.elementsEqual(pair.utf8),
                    "\(base) U+\(String(scalar.value, radix: 16))")
            }
        }
        // Combining marks, and the precomposed letters NFC replaces, are never skipped.
        for text in [
            "Mường Tè".decomposedStringWithCanonicalMapping, "e\u{301}", "\u{212B}", "\u{2126}", "\u{1100}\u{1161}",
            "ọ\u{302}",
        ] {
            #expect(!certain(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func filterLiteralsAreNormalised() throws {
        let schema = DatasetSchema(columns: [ColumnSpec(name: "district", type: .string)])
        let nfd = "Lai Châu".decomposedStringWithCanonicalMapping
        let filter = try CompiledFilter.compile("district in [\"\(nfd)\"] or district == '\(nfd)'", schema: schema)
            .get()
        guard case .or(.member(_, let set), .compareLiteral(_, _, .string(let literal))) = filter.root else {
            Issue.record("\(filter.root)")
            return
        }
        #expect(literal.utf8.elementsEqual("Lai Châu".utf8))
        #expect(set.contains { if case .string(let s) = $0 { s.utf8.elementsEqual("Lai Châu".utf8) } else { false } })
    }
}
