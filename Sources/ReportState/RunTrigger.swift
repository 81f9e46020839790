/// Why a run started; recorded in the state and in every log line about the run.
public enum RunTrigger: String, Sendable, Codable {
    case schedule
    case catchUp = "catch-up"
    case retry
    case manual
    case backfill
}

/// How a run ended, as the history and the state record it (`"success"`, `"failed"`).
public enum RunOutcome: String, Sendable, Codable {
    case success
    case failed
}
