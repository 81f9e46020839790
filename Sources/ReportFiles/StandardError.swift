#if canImport(Glibc)
    import Glibc
#endif

/// Writes `text` to standard error, whole, retrying interrupted writes and ignoring failure.
///
/// Why not `FileHandle.standardError.write(_:)`: it traps when the write fails, and once plugins
/// have run SIGPIPE is ignored, so a closed reader (`reportd run 2>&1 | head -1`) makes the write
/// fail with EPIPE. A message that cannot be delivered is dropped instead.
public func writeStandardError(_ text: String) {
    _ = FileIO.writeAll(2, Array(text.utf8))
}
