namespace ArrowCid.Cli.Commands;

/// <summary>How the benchmarks' --json reports round a figure: to four decimals (the shared-memory benchmark keeps three).</summary>
internal static class BenchFigures
{
    public static double Round(double value) => Math.Round(value, 4);

    /// <summary>An unmeasured figure stays null.</summary>
    public static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;
}
