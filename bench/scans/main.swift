// The CSV read's byte scans and the fingerprint hash measured alone (issue 20): CPU time of this one thread over a CSV
// file held in memory, each level the CPU has. Built and run by bench/scans.sh, which compiles it
// with the reader's own UTF8Check and CCSVScan sources.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

func cpuNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// The median CPU time of `runs` calls of `body`, in milliseconds, and what the last returned.
func measure(_ runs: Int, _ body: () -> Int) -> (ms: Double, result: Int) {
    var times: [UInt64] = []
    var result = 0
    for _ in 0..<runs {
        let start = cpuNanoseconds()
        result = body()
        times.append(cpuNanoseconds() - start)
    }
    times.sort()
    return (Double(times[runs / 2]) / 1e6, result)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write("usage: scans FILE.csv [RUNS]\n".data(using: .utf8)!)
    exit(2)
}
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let bytes = [UInt8](data)
// The reader checks and counts block by block; 4 MiB is the size of its read blocks.
let block = 4 << 20
let levels = (0...Int(reportd_simd_cpu_level())).map(Int32.init)
let names = ["baseline", "avx2"].map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }
print("\(arguments[1]): \(bytes.count) bytes; CPU level \(reportd_simd_cpu_level()); median of \(runs) runs, CPU ms")

bytes.withUnsafeBufferPointer { b in
    let p = b.baseAddress!
    func blocks(_ f: (UnsafePointer<UInt8>, Int) -> Int) -> Int {
        var total = 0
        var i = 0
        while i < b.count {
            let n = min(block, b.count - i)
            total += f(p + i, n)
            i += n
        }
        return total
    }

    let plain = measure(runs) { blocks { UTF8Check.isValidPlain($0, count: $1, allowingNUL: false) ? 1 : 0 } }
    print(String(format: "utf8  plain (bytewise)    %8.1f  valid blocks %d", plain.ms, plain.result))
    let dfa = measure(runs) { blocks { UTF8Check.isValidDFA($0, count: $1, allowingNUL: false) ? 1 : 0 } }
    print(String(format: "utf8  DFA (the fallback)  %8.1f  valid blocks %d", dfa.ms, dfa.result))
    for level in levels where level == 1 {
        let v = measure(runs) { blocks { Int(reportd_utf8_valid_level(level, $0, $1, false)) } }
        print(String(format: "utf8  vector %@     %8.1f  valid blocks %d", names[Int(level)], v.ms, v.result))
    }

    for level in levels {
        let c = measure(runs) { blocks { reportd_count_byte_level(level, $0, $1, UInt8(ascii: "\"")) } }
        print(String(format: "quote count %@     %8.1f  quotes %d", names[Int(level)], c.ms, c.result))
    }

    // The same on 1 MiB that stays in the cache (the reader checks and counts a block it has just
    // read), 181 times over so that as many bytes pass as above.
    let hot = min(b.count, 1 << 20)
    func hotBlocks(_ f: (UnsafePointer<UInt8>, Int) -> Int) -> Int {
        var total = 0
        for _ in 0..<181 { total &+= f(p, hot) }
        return total
    }
    let hotDFA = measure(runs) { hotBlocks { UTF8Check.isValidDFA($0, count: $1, allowingNUL: false) ? 1 : 0 } }
    print(String(format: "in cache: utf8 DFA            %8.1f", hotDFA.ms))
    for level in levels where level == 1 {
        let v = measure(runs) { hotBlocks { Int(reportd_utf8_valid_level(level, $0, $1, false)) } }
        print(String(format: "in cache: utf8 vector %@ %8.1f", names[Int(level)], v.ms))
    }
    for level in levels {
        let c = measure(runs) { hotBlocks { reportd_count_byte_level(level, $0, $1, UInt8(ascii: "\"")) } }
        print(String(format: "in cache: quote count %@ %8.1f", names[Int(level)], c.ms))
    }

    // Every record of the file split by the C splitter, as CSVRecordReader calls it.
    var fields = [reportd_csv_field](repeating: reportd_csv_field(), count: 64)
    for level in levels {
        let r = measure(runs) {
            var cursor = reportd_csv_cursor(position: 0, line: 1, lineStart: 0, recordEnd: 0, count: 0)
            var records = 0
            fields.withUnsafeMutableBufferPointer { f in
                while cursor.position < b.count {
                    let outcome = reportd_csv_record_level(
                        level, p, b.count, UInt8(ascii: ","), 10_000, 1 << 20, 1 << 20, f.baseAddress, 64, &cursor)
                    if outcome != Int32(REPORTD_CSV_READ) { break }
                    records += 1
                }
            }
            return records
        }
        print(String(format: "split %@           %8.1f  records %d", names[Int(level)], r.ms, r.result))
    }

    // The same records split 128 at a time by the batch splitter (`reportd_csv_records`), as
    // CSVDatasetReader calls it; a record it stops before goes to the one-record splitter.
    let header = UnsafeBufferPointer(start: p, count: b.count).firstIndex(of: 10) ?? 0
    let columns = UnsafeBufferPointer(start: p, count: header).filter { $0 == UInt8(ascii: ",") }.count + 1
    let spans = UnsafeMutablePointer<reportd_csv_span>.allocate(capacity: 128 * columns)
    defer { spans.deallocate() }
    for level in levels {
        let r = measure(runs) {
            var cursor = reportd_csv_cursor(position: 0, line: 1, lineStart: 0, recordEnd: 0, count: 0)
            var records = 0
            fields.withUnsafeMutableBufferPointer { f in
                while cursor.position < b.count {
                    var at = cursor.position
                    let n = reportd_csv_records_level(
                        level, p, b.count, &at, .max, UInt8(ascii: ","), columns, 128, 1 << 20, 1 << 20, nil, spans)
                    if n > 0 {
                        records += n
                        cursor.position = at
                        continue
                    }
                    let outcome = reportd_csv_record_level(
                        level, p, b.count, UInt8(ascii: ","), 10_000, 1 << 20, 1 << 20, f.baseAddress, 64, &cursor)
                    if outcome != Int32(REPORTD_CSV_READ) { break }
                    records += 1
                }
            }
            return records
        }
        print(String(format: "batch split %@     %8.1f  records %d", names[Int(level)], r.ms, r.result))
    }

    // The fingerprint's per-segment hash (Fingerprint.c) over the file in 8 MiB segments, as
    // `Fingerprint.of` cuts it, then over 1 MiB in the cache as above (the stream hashes each block
    // it has just read).
    for level in levels {
        let h = measure(runs) {
            var total: UInt64 = 0
            var i = 0
            while i < b.count {
                let n = min(8 << 20, b.count - i)
                total &+= reportd_fingerprint_hash_level(level, p + i, n)
                i += n
            }
            return Int(truncatingIfNeeded: total)
        }
        let rate = Double(b.count) / h.ms / 1e6
        print(String(format: "fingerprint %@     %8.1f  %5.1f GB/s", names[Int(level)], h.ms, rate))
    }
    for level in levels {
        let h = measure(runs) { hotBlocks { Int(truncatingIfNeeded: reportd_fingerprint_hash_level(level, $0, $1)) } }
        let rate = Double(181 * hot) / h.ms / 1e6
        print(String(format: "in cache: fingerprint %@ %8.1f  %5.1f GB/s", names[Int(level)], h.ms, rate))
    }
}
