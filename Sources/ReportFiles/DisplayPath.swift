import Foundation

/// Paths as they appear in messages: relative to the working directory when below it.
public enum DisplayPath {
    public static func of(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        // Under systemd the working directory is `/`: `etc/reportd/…` would read as relative.
        if cwd == "/" { return path }
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// `path` made absolute against `base` (a folder), with `.` and `..` resolved lexically.
    public static func resolve(_ path: String, against base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
