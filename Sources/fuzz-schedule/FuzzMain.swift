import FuzzTargets

// With -DFUZZING (scripts/fuzz.sh): libFuzzer drives the target. SwiftPM links an executable
// with its own entry point, fuzz_schedule_main, so libFuzzer's main is not the one that runs: this
// defines it and starts libFuzzer's driver. LLVMFuzzerTestOneInput is what libFuzzer's own main
// (linked in, unused) requires; it runs the same target.
// Without the flag: replays the corpus files or folders given (by default Tests/Fuzz/schedule).
#if FUZZING
    @_cdecl("fuzz_schedule_main")
    func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
        FuzzDriver.libFuzzerMain(.schedule, argc: argc, argv: argv)
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        FuzzDriver.runOne(.schedule, data, size)
    }
#else
    @main
    enum Replay {
        static func main() { FuzzDriver.replayMain(.schedule) }
    }
#endif
