/// What kind of failure ended a run, kept from where it happened up to the scheduler: whether the
/// same run, tried again unchanged, can succeed.
public enum RunFailure: String, Sendable, Codable, CaseIterable {
    /// A calculator failed on the data (a sum that overflows 64-bit integers): the same data fails
    /// the same way.
    case calculation
    /// The report does not fit its dataset or daemon config (an unknown dataset, calculator or
    /// format): it fails until the definition changes.
    case definition
    /// The dataset could not be read or typed (missing, being rewritten, a bad row): someone may
    /// be fixing it.
    case data
    /// Writing or publishing failed (a full disk, permissions), or a plugin's process did.
    case io
    /// Another process was running the report (its lock was refused).
    case refused
    /// The run was stopped (its timeout, a shutdown).
    case stopped

    /// Whether trying again with the same data and definition fails the same way (no retry).
    public var isDeterministic: Bool { self == .calculation || self == .definition }
}
