import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real sd_notify listener: a unix datagram socket bound in a temporary folder, as systemd binds
/// `$NOTIFY_SOCKET` for a Type=notify service.
final class NotifyListener {
    let path: String
    private let fd: Int32
    private(set) var messages: [String] = []

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "reportd-notify-\(UInt32.random(in: 0...UInt32.max)).sock"
            ).path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, b) in bytes.enumerated() { buffer[i] = b }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Receives datagrams until one contains `text` (each datagram may carry several lines), or
    /// throws after `timeout` seconds.
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let message = String(decoding: buffer[..<n], as: UTF8.self)
            messages.append(message)
            if message.split(separator: "\n").contains(where: { $0.hasPrefix(text) }) { return message }
        }
        throw NotifyTimeout(expected: text, received: messages)
    }
}

struct NotifyTimeout: Error, CustomStringConvertible {
    var expected: String
    var received: [String]
    var description: String { "no '\(expected)' from the daemon; received: \(received)" }
}
