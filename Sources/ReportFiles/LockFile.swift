#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lock files in the state folder (`flock` is taken on them by their users).
public enum LockFile {
    /// Opens (creating when missing) the lock file `FOLDER/SUBFOLDER/NAME` (`STATE/locks/NAME.lock`)
    /// for reading and writing, or nil when it cannot be. The subfolder is created 0700 and the file
    /// 0600 (given to the state folder's owner when root creates them); neither is followed when a
    /// link stands at its name.
    public static func open(_ name: String, in subfolder: String, of stateDirectory: String) -> Int32? {
        guard
            let state = try? ConfinedFolder.open(atPath: stateDirectory, permissions: .private(in: stateDirectory))
        else { return nil }
        defer { close(state) }
        guard
            let locks = try? ConfinedFolder.openChild(
                subfolder, in: state, path: stateDirectory + "/" + subfolder, permissions: .private(in: stateDirectory))
        else { return nil }
        defer { close(locks) }
        guard (try? ConfinedFolder.checkName(name, path: name)) != nil else { return nil }
        for _ in 0..<8 {
            let created = openat(locks, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if created >= 0 {
                guard
                    (try? ConfinedFolder.setPermissions(
                        created, mode: 0o600, permissions: .private(in: stateDirectory),
                        path: stateDirectory + "/" + subfolder + "/" + name)) != nil
                else {
                    close(created)
                    return nil
                }
                return created
            }
            guard errno == EEXIST else { return nil }
            let existing = openat(locks, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            if existing >= 0 { return existing }
            // Removed in between: create it again; anything else (a link: ELOOP) gives up.
            guard errno == ENOENT else { return nil }
        }
        return nil
    }
}
