import CalcCount
import CalcCountDistinct
import CalcGrowth
import CalcMean
import CalcMedian
import CalcMinMax
import CalcPercentile
import CalcRatio
import CalcShare
import CalcStddev
import CalcSum
public import ReportCore

/// The built-in calculators, registered explicitly in one place (Swift has no init-time side effects).
public enum BuiltinCalculators {
    /// Every built-in calculator, one entry per `calc:` name.
    public static let all: [any Calculator] = [
        CountCalculator(), CountDistinctCalculator(), SumCalculator(), MeanCalculator(),
        MinMaxCalculator(.min), MinMaxCalculator(.max), MedianCalculator(), PercentileCalculator(),
        StddevCalculator(), RatioCalculator(), ShareCalculator(), GrowthCalculator(),
    ]

    /// The folder under `Plugins/` that holds each module, for the layout test.
    public static let folders: [String: String] = [
        "CalcCount": "Count", "CalcCountDistinct": "CountDistinct", "CalcSum": "Sum", "CalcMean": "Mean",
        "CalcMinMax": "MinMax", "CalcMedian": "Median", "CalcPercentile": "Percentile", "CalcStddev": "Stddev",
        "CalcRatio": "Ratio", "CalcShare": "Share", "CalcGrowth": "Growth",
    ]

    /// A registry holding every built-in calculator.
    public static var registry: CalculatorRegistry { CalculatorRegistry(all) }
}
