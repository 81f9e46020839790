import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The pages reportd writes, opened in a real browser: Chromium from Debian's packages, headless.
///
/// Each page is rendered to a PNG with `--screenshot`; the PNG is decoded (a short Python script:
/// zlib and the five PNG filters) and must not be blank; and the page must have logged nothing to
/// the console. Chromium run with `--enable-logging=stderr` writes every console message (an
/// error, a script's output, a Content-Security-Policy violation, a resource that failed to load)
/// to its stderr as `…:CONSOLE…] "message", source: URL (line)`; the pages have no script, so any
/// such line is a failure. `checksCatchABrokenPage` shows that both checks do fail on a bad page.
@Suite(.blocking) struct BrowserRenderTests {
    @Test func reportPagesAndTheIndexRenderWithoutConsoleMessages() async throws {
        let chromium = try Chromium.find()
        let f = try Fixture(
            csv: HTMLOutputTests.csv,
            reports: [
                "by-district": Fixture.report("by-district", extra: "formats: [html, json]\ntotals: true")
                    .replacingOccurrences(
                        of: "  - {name: rows, calc: count}\n  - {name: amount, calc: sum, column: amount}",
                        with: "  - {name: amount, calc: sum, column: amount}\n  - {name: rows, calc: count}"),
                "by-year": Fixture.report("by-year", extra: "formats: [html]").replacingOccurrences(
                    of: "group_by: [district]", with: "group_by: [year, district]"),
            ])
        let config = f.config
        // Blocking work (reportd, Chromium, the PNG decoder) runs off the cooperative pool, which
        // the in-process scheduler tests need.
        let out = try await offThePool { try runReportd(["run", "--config", config]) }
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")

        // Bars in the bar colour, lines in the first line colour, the index with text alone.
        let pages: [(String, String?, Int)] = [
            ("by-district/latest.html", "2f6fb0", 2000), ("by-year/latest.html", "0072b2", 150),
            ("index.html", nil, 0),
        ]
        for (page, colour, least) in pages {
            let png = f.folder.appendingPathComponent(page.replacingOccurrences(of: "/", with: "-") + ".png")
            let rendering = try await offThePool {
                try chromium.screenshot(f.output.appendingPathComponent(page), to: png, width: 1000, height: 900)
            }
            #expect(rendering.consoleMessages.isEmpty, "\(page): \(rendering.consoleMessages)")
            let stats = try await offThePool { try PNGStats.of(png, counting: colour.map { [$0] } ?? []) }
            #expect(stats.width == 1000 && stats.height == 900, "\(page): \(stats)")
            #expect(stats.background == "ffffff", "\(page): \(stats)")
            #expect(stats.colours >= 16 && stats.nonBackground > 0.01, "\(page) looks blank: \(stats)")
            if let colour {
                #expect(stats.pixels[colour, default: 0] >= least, "\(page): the chart is not drawn: \(stats)")
            }
        }
    }

    /// The labelled vi-VN page of README's "Labels and language", run on the sample config: its
    /// labels, value labels and Vietnamese words render (no console message, not blank, the bars
    /// drawn), and the page holds the labels and no code.
    @Test func aLabelledVietnamesePageRenders() async throws {
        let chromium = try Chromium.find()
        let blocks = try ReadmePeriodExampleTests.blocks(under: "## Labels and language")
        let yaml = try #require(blocks.first { $0.hasPrefix("# reports.d/support-by-program-vi.yaml") })
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        try yaml.write(
            to: folder.appendingPathComponent("config/reports.d/support-by-program-vi.yaml"), atomically: true,
            encoding: .utf8)
        let config = folder.appendingPathComponent("config/reportd.yaml").path
        let out = try await offThePool {
            try runReportd(["run", "--config", config, "--slot", "2026-11-30T06:00", "support-by-program-vi"])
        }
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let page = folder.appendingPathComponent("var/reports/support-by-program-vi/latest.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>\n<html lang=\"vi\">"))
        for text in [">Chương trình</th>", ">Loại hình đơn vị</th>", ">Khuyến công quốc gia</th>", ">Hợp tác xã</th>",
            ">Tổng cộng</th>", "4.745.200.000", "Dữ liệu <b>projects</b>: 30 dòng", "Kinh phí hỗ trợ (đồng) theo"]
        {
            #expect(html.contains(text), "\(text)")
        }
        #expect(!html.contains(">national<") && !html.contains(">cooperative<"), "codes never reach the page")
        let png = folder.appendingPathComponent("labelled.png")
        let rendering = try await offThePool { try chromium.screenshot(page, to: png, width: 1000, height: 1100) }
        #expect(rendering.consoleMessages.isEmpty, "\(rendering.consoleMessages)")
        let stats = try await offThePool { try PNGStats.of(png, counting: ["2f6fb0"]) }
        #expect(stats.width == 1000 && stats.height == 1100 && stats.background == "ffffff", "\(stats)")
        #expect(stats.colours >= 16 && stats.nonBackground > 0.01, "the page looks blank: \(stats)")
        #expect(stats.pixels["2f6fb0", default: 0] >= 2000, "the bars are not drawn: \(stats)")
    }

    @Test func checksCatchABrokenPage() async throws {
        let chromium = try Chromium.find()
        let folder = try temporaryFolder("browser-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pages = [
            "error.html":
                "<!doctype html><title>x</title><h1>Lỗi</h1><script>console.error('reportd-test-error')</script>",
            "csp.html": """
            <!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'">
            <title>x</title><h1>Chặn</h1><img src="elsewhere.png" alt="">
            """,
            "blank.html": "<!doctype html><title>x</title>",
        ]
        for (name, text) in pages {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        func render(_ name: String) async throws -> (Chromium.Rendering, PNGStats) {
            let png = folder.appendingPathComponent(name + ".png")
            let rendering = try await offThePool {
                try chromium.screenshot(folder.appendingPathComponent(name), to: png, width: 400, height: 300)
            }
            return (rendering, try await offThePool { try PNGStats.of(png) })
        }
        let (error, errorStats) = try await render("error.html")
        #expect(error.consoleMessages.contains { $0.contains("reportd-test-error") }, "\(error.consoleMessages)")
        #expect(errorStats.nonBackground > 0)
        let (csp, _) = try await render("csp.html")
        #expect(csp.consoleMessages.contains { $0.contains("Content Security Policy") }, "\(csp.consoleMessages)")
        let (blank, blankStats) = try await render("blank.html")
        #expect(blank.consoleMessages.isEmpty, "\(blank.consoleMessages)")
        #expect(blankStats.colours == 1 && blankStats.nonBackground == 0, "\(blankStats)")
    }
}

/// Chromium, headless, with a fresh profile for each page.
struct Chromium: Sendable {
    let path: String

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "Chromium is not installed: the browser tests need Debian's chromium and a font with Vietnamese "
                + "glyphs (apt-get install --no-install-recommends chromium fonts-dejavu-core; .ci/run installs them)"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    struct Rendering: Sendable {
        /// Every console message the page produced, as Chromium logged it.
        var consoleMessages: [String]
        var stderr: String
    }

    /// `chromium` (Debian) or `chromium-browser` on the PATH.
    static func find() throws -> Chromium {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return Chromium(path: candidate) }
            }
        }
        throw Missing()
    }

    /// Renders `page` into `png` at `width`×`height`, within `timeout` seconds; its profile folder
    /// is removed afterwards.
    func screenshot(_ page: URL, to png: URL, width: Int, height: Int, timeout: TimeInterval = 90) throws -> Rendering {
        let profile = try temporaryFolder("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profile) }
        let stderrFile = profile.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: stderrFile)
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            // --no-sandbox: the tests run as root in containers, where Chromium's sandbox cannot start.
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-extensions", "--user-data-dir=\(profile.appendingPathComponent("data").path)",
            "--enable-logging=stderr", "--v=0", "--screenshot=\(png.path)", "--window-size=\(width),\(height)",
            page.absoluteString,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = profile.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + 5) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            throw Failed(
                description: "chromium did not finish rendering \(page.lastPathComponent) in \(Int(timeout)) s")
        }
        let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: png.path) else {
            throw Failed(description: "chromium exited \(process.terminationStatus) without a screenshot:\n\(stderr)")
        }
        let console = stderr.split(separator: "\n").filter {
            $0.range(of: #":CONSOLE[:(]"#, options: .regularExpression) != nil
        }
        return Rendering(consoleMessages: console.map(String.init), stderr: stderr)
    }
}

/// What a PNG holds, counted by a short Python script (the standard library's zlib; 8-bit RGB or
/// RGBA, as Chromium writes screenshots).
struct PNGStats: Decodable, CustomStringConvertible {
    var width: Int
    var height: Int
    /// Distinct RGB colours.
    var colours: Int
    /// The commonest colour, as hex.
    var background: String
    /// The share of pixels of another colour than the background.
    var nonBackground: Double
    /// Pixels of each colour asked for.
    var pixels: [String: Int]

    var description: String {
        "\(width)×\(height), \(colours) colours, background \(background), "
            + "\(Int(nonBackground * 1000) / 10)% other, \(pixels)"
    }

    static func of(_ png: URL, counting colours: [String] = []) throws -> PNGStats {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, png.path] + colours
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = readToEnd(out.fileHandleForReading)
        let problem = String(decoding: readToEnd(err.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Chromium.Failed(description: "cannot decode \(png.lastPathComponent): \(problem)")
        }
        return try JSONDecoder().decode(PNGStats.self, from: data)
    }

    static let script = #"""
        import json, struct, sys, zlib
        from collections import Counter
        data = open(sys.argv[1], "rb").read()
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            sys.exit("not a PNG")
        pos, idat = 8, b""
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
                if depth != 8 or colour not in (2, 6) or interlace:
                    sys.exit("unsupported PNG: depth %d, colour type %d, interlace %d" % (depth, colour, interlace))
                channels = 3 if colour == 2 else 4
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
        raw = zlib.decompress(idat)
        stride = width * channels
        previous = bytearray(stride)
        counts = Counter()
        for y in range(height):
            start = y * (stride + 1)
            kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
            if kind == 1:
                for i in range(channels, stride):
                    line[i] = (line[i] + line[i - channels]) & 255
            elif kind == 2:
                line = bytearray((a + b) & 255 for a, b in zip(line, previous))
            elif kind == 3:
                for i in range(stride):
                    left = line[i - channels] if i >= channels else 0
                    line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
            elif kind == 4:
                for i in range(stride):
                    a = line[i - channels] if i >= channels else 0
                    b, c = previous[i], (previous[i - channels] if i >= channels else 0)
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            counts.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
            previous = line
        background, most = counts.most_common(1)[0]
        print(json.dumps({
            "width": width, "height": height, "colours": len(counts), "background": background.hex(),
            "nonBackground": (width * height - most) / (width * height),
            "pixels": {h: counts[bytes.fromhex(h)] for h in sys.argv[2:]}}))
        """#
}
