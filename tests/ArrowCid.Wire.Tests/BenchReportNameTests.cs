using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using ArrowCid.TestSupport;
using ArrowCid.Wire;

namespace ArrowCid.Wire.Tests;

/// <summary>The benchmark reports keep the figure names the performance table and the issues quote, whatever the naming policy makes of digits.</summary>
public sealed partial class BenchReportNameTests
{
    private static readonly JsonTypeInfo[] Reports =
    [
        WireJsonContext.Default.IngestReport, WireJsonContext.Default.DedupReport, WireJsonContext.Default.ChunkReport,
        WireJsonContext.Default.CidReport, WireJsonContext.Default.IpcReport, WireJsonContext.Default.ShmReport,
        WireJsonContext.Default.FlightBenchReport, WireJsonContext.Default.HttpReport, WireJsonContext.Default.ParquetReport,
        WireJsonContext.Default.ParquetCodecReport, WireJsonContext.Default.NativeReport, WireJsonContext.Default.ObjectStorageReport,
        WireJsonContext.Default.SqlBenchReport, WireJsonContext.Default.NamesBenchReport,
    ];

    private static HashSet<string> Names() => [.. Reports.SelectMany(r => r.Properties).Select(p => p.Name)];

    [Theory]
    [InlineData("roundtrips_per_s_1kib")]
    [InlineData("attach_ratio_1gib_vs_1kib")]
    [InlineData("map_open_ms_1mib")]
    [InlineData("puts_per_s_16")]
    [InlineData("puts_16_vs_fsync")]
    [InlineData("warmup_s_1")]
    [InlineData("doget4_gbps")]
    [InlineData("sha256_gbps")]
    [InlineData("chunks_within_2x_target")]
    [InlineData("update_new_ratio")]
    [InlineData("small_puts_per_s_16_vs_raw_put")]
    [InlineData("warm_doget_ratio_vs_local")]
    [InlineData("first_batch_ms_flight_sql")]
    [InlineData("publish_ms_p50")]
    [InlineData("resolve_verify_ms_p50")]
    public void Names_with_digits_are_written_as_quoted(string name)
    {
        Assert.Contains(name, Names());
    }

    [Fact]
    public void Every_figure_of_the_performance_table_is_a_report_member()
    {
        string table = File.ReadAllText(Path.Combine(RepositoryPaths.Root ?? throw new InvalidOperationException("no repository root"), "docs", "performance.md"));
        var quoted = FigureName().Matches(table).Select(m => m.Groups[1].Value).Where(n => n.Contains('_', StringComparison.Ordinal)).ToHashSet();

        Assert.NotEmpty(quoted);
        Assert.Empty(quoted.Except(Names()));
    }

    // A table row's figure: `| area | `name` or `name (note)` |`; names only, not the commands' options.
    [GeneratedRegex(@"^\| [^|]+ \| `([a-z0-9_]+)[ `]", RegexOptions.Multiline)]
    private static partial Regex FigureName();
}
