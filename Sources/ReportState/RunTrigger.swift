/// Why a run started; recorded in the state and in every log line about the run.
public enum RunTrigger: String, Sendable, Codable {
    case schedule
    case catchUp = "catch-up"
    case retry
    case manual
    case backfill
    /// Not a run: the mail delivery of a run's outputs (a history line of its own, after the run's).
    case delivery
    /// Not a run: an alert's notice, raised or cleared after a run (a history line of its own).
    case alert
}

/// How a run ended, as the history and the state record it (`"success"`, `"failed"`).
public enum RunOutcome: String, Sendable, Codable {
    case success
    case failed
}
