import Foundation
import ReportPublish
import Testing

@testable import ReportState

/// The folder names of a split report's values (SPEC, "One file per office"): the eight districts
/// of Lai Châu, hostile values, NFC/NFD spellings, reserved names, and collisions across runs.
@Suite struct SplitSlugTests {
    @Test func theEightDistrictsOfLaiChau() {
        let expected = [
            "Thành phố Lai Châu": "thanh-pho-lai-chau", "Tam Đường": "tam-duong", "Phong Thổ": "phong-tho",
            "Sìn Hồ": "sin-ho", "Mường Tè": "muong-te", "Than Uyên": "than-uyen", "Tân Uyên": "tan-uyen",
            "Nậm Nhùn": "nam-nhun",
        ]
        for (district, slug) in expected {
            #expect(SplitSlug.plain(district) == slug, "\(district)")
            // Typed with combining marks (NFD), the same slug.
            #expect(SplitSlug.plain(district.decomposedStringWithCanonicalMapping) == slug, "\(district) in NFD")
        }
        #expect(Set(expected.values).count == 8)
    }

    @Test func hostileValuesStayOneSafeFolderName() {
        for value in ["../../etc", "a/b", "..", ".", "/", "a\u{0}b", "\\\\server\\share", "x:y*?\"<>|", " - ", "\u{7}"] {
            let slug = SplitSlug.choose(value, taken: [])
            #expect(!slug.isEmpty)
            #expect(!slug.contains("/") && !slug.contains("\\") && !slug.contains("\u{0}") && slug != ".." && slug != ".")
            #expect(slug.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(slug)")
            #expect(!slug.hasPrefix("-") && !slug.hasSuffix("-"), "\(slug)")
        }
        #expect(SplitSlug.plain("../../etc") == "etc")
        #expect(SplitSlug.plain("a\u{0}b") == "a-b")
        // Nothing readable left: `x-<hash>` of the NFC UTF-8 text.
        #expect(SplitSlug.plain("..") == "x-" + SplitSlug.hash(".."))
        #expect(SplitSlug.plain("Москва").hasPrefix("x-"))
        #expect(SplitSlug.plain("Москва") != SplitSlug.plain("Киев"))
    }

    @Test func blankValuesGoToEmptyAndReservedNamesGetASuffix() {
        #expect(SplitSlug.choose("", taken: []) == "_empty")
        #expect(SplitSlug.choose("   ", taken: ["_empty"]) == "_empty")
        for name in ["CON", "nul", "Com1", "LPT9", "aux", "prn"] {
            #expect(SplitSlug.plain(name) == name.lowercased() + "-x")
        }
        #expect(SplitSlug.plain("console") == "console")
        #expect(SplitSlug.plain("Đồng Đăng") == "dong-dang")
    }

    @Test func atMostSixtyCharactersNeverEndingInADash() {
        let long = String(repeating: "ab ", count: 40)
        let slug = SplitSlug.plain(long)
        #expect(slug.count <= 60)
        #expect(!slug.hasSuffix("-"))
        #expect(SplitSlug.plain(String(repeating: "x", count: 100)) == String(repeating: "x", count: 60))
    }

    @Test func theHashIsOfTheNFCText() {
        let nfc = "Mường Tè"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(Array(nfc.utf8) != Array(nfd.utf8))
        #expect(SplitSlug.hash(nfc) == SplitSlug.hash(nfd))
        #expect(SplitSlug.hash(nfc).count == 8)
    }

    /// "Mường Tè" and "Muong Te" share a plain slug: the first seen keeps it for good, in later runs
    /// too; values first seen in one run: the one that sorts first keeps it.
    @Test func collisionsAcrossRunsKeepTheFirstValuesFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slugs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let memory = FolderReportMemory(stateDirectory: folder)
        let choose: @Sendable (String, Set<String>) -> String = { SplitSlug.choose($0, taken: $1) }
        let first = try memory.assignSlugs(report: "r", values: ["Muong Te"], choose: choose)
        #expect(first["Muong Te"] == "muong-te")
        // A later run (a restart): the newcomer gets the hash, even though it sorts first.
        let second = try FolderReportMemory(stateDirectory: folder).assignSlugs(
            report: "r", values: ["Mường Tè", "Muong Te"], choose: choose)
        #expect(second["Muong Te"] == "muong-te")
        #expect(second["Mường Tè"] == "muong-te-" + SplitSlug.hash("Mường Tè"))
        // First seen together: sorted, the first keeps the plain slug.
        let together = try memory.assignSlugs(report: "s", values: ["Tam Duong", "Tam Đường"].sorted(), choose: choose)
        #expect(together["Tam Duong"] == "tam-duong")
        #expect(together["Tam Đường"] == "tam-duong-" + SplitSlug.hash("Tam Đường"))
    }
}
