// reportd external plugin `cagr` (protocol 1): the compound annual growth rate of a column's sum
// between the first and the last period of each partition. See README.md beside Package.swift.
//
// Messages are newline-delimited JSON on standard input and output; diagnostics go to standard
// error. Foundation's JSONSerialization reads the messages: it gives numbers as NSNumber, so int
// cells are read through `exactInt` (never through a Double, which would round beyond 2^53).
import Foundation

let protocolVersion = 1
let version = "1.0.0"

let helloMessage: [String: Any] = [
    "type": "hello",
    "protocol": protocolVersion,
    "plugin": ["name": "cagr", "version": version],
    "calculators": [
        [
            "name": "cagr",
            "summary":
                "compound annual growth rate (percent) of a column's sum from the first to the last period of the same other keys; on the last period's row",
            "result": "decimal",
            "parameters": [
                [
                    "name": "column", "kind": "column", "types": ["int", "decimal"], "required": true,
                    "summary": "the column summed, e.g. state_support_vnd",
                ],
                [
                    "name": "period", "kind": "column", "types": ["int"], "required": true,
                    "summary": "the group_by column that numbers periods in years, e.g. year",
                ],
            ],
        ]
    ],
]

/// A problem with the request, answered with an error message.
struct Refusal: Error {
    var message: String
}

/// The exact integer a JSON number holds, or nil when it holds none (a fraction, a boolean, a
/// string). JSONSerialization keeps integers in NSNumber (or NSDecimalNumber at the edge of the
/// 64-bit range) exactly, so `int64Value` is exact for them; a number written with a fraction or
/// exponent (`2.0`, `1e3`) arrives as a double and is accepted only when it is integral.
func exactInt(_ any: Any?) -> Int64? {
    guard let any, !(any is NSNull) else { return nil }
    if let decimal = any as? NSDecimalNumber {
        let n = decimal.int64Value
        return NSDecimalNumber(value: n) == decimal ? n : nil
    }
    guard let number = any as? NSNumber else { return nil }
    switch String(cString: number.objCType) {
    case "c", "B": return nil  // a JSON boolean
    case "d", "f": return Int64(exactly: number.doubleValue)
    default: return number.int64Value
    }
}

/// A running sum: exact for ints (128 bits cannot overflow on 64-bit cells), compensated for
/// decimals.
struct Sum {
    var exact: Int128 = 0
    var approximate = 0.0
    var compensation = 0.0
    var count = 0

    mutating func add(int n: Int64) {
        exact += Int128(n)
        count += 1
    }

    mutating func add(decimal x: Double) {
        // Neumaier's summation.
        let t = approximate + x
        if abs(approximate) >= abs(x) {
            compensation += (approximate - t) + x
        } else {
            compensation += (x - t) + approximate
        }
        approximate = t
        count += 1
    }

    /// nil when no value was added (every cell null).
    var value: Double? {
        guard count > 0 else { return nil }
        return Double(exact) + (approximate + compensation)
    }
}

/// CAGR in percent from the sums by period; nil when undefined.
func cagr(_ sums: [Int64: Sum]) -> (value: Double?, lastPeriod: Int64?) {
    let present = sums.compactMap { period, sum in sum.value.map { (period, $0) } }.sorted { $0.0 < $1.0 }
    guard let first = present.first, let last = present.last, present.count >= 2 else {
        return (nil, present.last?.0)
    }
    guard first.1 > 0, last.1 >= 0 else { return (nil, last.0) }
    let years = Double(last.0) - Double(first.0)
    let rate = (pow(last.1 / first.1, 1 / years) - 1) * 100
    return (rate.isFinite ? rate : nil, last.0)
}

func compute(_ message: [String: Any]) throws -> [Any] {
    guard message["calculator"] as? String == "cagr" else {
        throw Refusal(message: "unknown calculator '\(message["calculator"] ?? "")'; this plugin provides 'cagr'")
    }
    let parameters = message["parameters"] as? [String: Any] ?? [:]
    guard let columnName = parameters["column"] as? String, let periodName = parameters["period"] as? String else {
        throw Refusal(message: "parameters 'column' and 'period' are required")
    }
    let columns = message["columns"] as? [String: Any] ?? [:]
    guard let column = columns[columnName] as? [String: Any], let values = column["values"] as? [Any] else {
        throw Refusal(message: "the request lacks column '\(columnName)'")
    }
    let isInt = column["type"] as? String == "int"
    let periodValues = (columns[periodName] as? [String: Any])?["values"] as? [Any]
    let groups = message["groups"] as? [[String: Any]] ?? []

    /// Adds row `r`'s cell of `column` to `sum`; nulls are skipped.
    func add(row r: Int, to sum: inout Sum) throws {
        guard r >= 0, r < values.count else { throw Refusal(message: "row \(r) is out of range") }
        let cell = values[r]
        if cell is NSNull { return }
        if isInt {
            guard let n = exactInt(cell) else { throw Refusal(message: "row \(r): '\(cell)' is not an int") }
            sum.add(int: n)
        } else {
            guard let number = cell as? NSNumber, String(cString: number.objCType) != "c" else {
                throw Refusal(message: "row \(r): '\(cell)' is not a number")
            }
            sum.add(decimal: number.doubleValue)
        }
    }

    var results = [Any](repeating: NSNull(), count: groups.count)
    // Groups whose key holds the period, partitioned by their other keys: the partition's sums by
    // period, and which group holds each period.
    var partitions: [String: (sums: [Int64: Sum], groupOf: [Int64: Int])] = [:]
    for (g, group) in groups.enumerated() {
        let key = group["key"] as? [String: Any] ?? [:]
        let rows = (group["rows"] as? [Any] ?? []).compactMap { exactInt($0) }.map { Int($0) }
        if key.keys.contains(periodName) {
            guard let period = exactInt(key[periodName]) else { continue }  // a null period: no growth
            var others = key
            others.removeValue(forKey: periodName)
            let data = try JSONSerialization.data(withJSONObject: others, options: [.sortedKeys])
            let partition = String(decoding: data, as: UTF8.self)
            var entry = partitions[partition] ?? (sums: [:], groupOf: [:])
            // Group keys are unique, so each period of a partition is one group.
            var sum = Sum()
            for r in rows { try add(row: r, to: &sum) }
            entry.sums[period] = sum
            entry.groupOf[period] = g
            partitions[partition] = entry
        } else if key.isEmpty {
            // The totals row, or a report without group_by: growth over the group's own rows,
            // by the period of each row.
            guard let periodValues else { throw Refusal(message: "the request lacks column '\(periodName)'") }
            var sums: [Int64: Sum] = [:]
            for r in rows {
                guard r >= 0, r < periodValues.count else { throw Refusal(message: "row \(r) is out of range") }
                guard let period = exactInt(periodValues[r]) else { continue }
                try add(row: r, to: &sums[period, default: Sum()])
            }
            if let value = cagr(sums).value { results[g] = value }
        } else {
            throw Refusal(
                message: "period '\(periodName)' must be one of the report's group_by columns (\(key.keys.sorted().joined(separator: ", ")))")
        }
    }
    for (_, partition) in partitions {
        let (value, lastPeriod) = cagr(partition.sums)
        if let value, let lastPeriod, let g = partition.groupOf[lastPeriod] { results[g] = value }
    }
    return results
}

func send(_ object: [String: Any]) {
    guard var data = try? JSONSerialization.data(withJSONObject: object) else {
        FileHandle.standardError.write(Data("cagr: could not encode an answer\n".utf8))
        exit(1)
    }
    data.append(10)
    FileHandle.standardOutput.write(data)
}

while let line = readLine(strippingNewline: true) {
    if line.allSatisfy(\.isWhitespace) { continue }
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let message = object as? [String: Any]
    else {
        FileHandle.standardError.write(Data("cagr: ignoring a line that is not a JSON object\n".utf8))
        continue
    }
    let id = message["id"] ?? NSNull()
    switch message["type"] as? String {
    case "hello":
        if exactInt(message["protocol"]) != Int64(protocolVersion) {
            FileHandle.standardError.write(
                Data("cagr: reportd speaks protocol \(message["protocol"] ?? "?"); this plugin speaks \(protocolVersion)\n".utf8))
        }
        send(helloMessage)
    case "compute":
        do {
            send(["type": "result", "id": id, "values": try compute(message)])
        } catch let refusal as Refusal {
            send(["type": "error", "id": id, "message": refusal.message])
        } catch {
            send(["type": "error", "id": id, "message": "\(error)"])
        }
    default:
        send(["type": "error", "id": id, "message": "unknown message type '\(message["type"] ?? "")'"])
    }
}
exit(0)
