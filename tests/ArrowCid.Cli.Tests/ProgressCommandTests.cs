using System.Globalization;
using System.Text;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Long commands count progress in what they work through: <c>put</c> and <c>cid</c> the bytes of
/// a CSV or an Arrow stream read so far (the bar used to count a batch as the whole of a CSV, so it
/// showed 100% after the first), <c>verify</c> the bytes it has hashed of those the registry records.
/// </summary>
public sealed class ProgressCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("put")]
    [InlineData("cid")]
    public void Progress_through_a_csv_advances_with_the_bytes_read_up_to_the_files_length(string verb)
    {
        string csv = _temp.File("big.csv");
        var text = new StringBuilder("id,sensor,reading\n");
        for (int i = 0; i < 300_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},s{i % 37:00},{i * 0.25}\n");
        }

        File.WriteAllText(csv, text.ToString());
        long length = new FileInfo(csv).Length;
        var steps = RunWatched(verb, "--repo", _temp.File("repo"), csv);

        AssertAdvances(steps, atLeast: 4);
        Assert.All(steps, step => Assert.Equal(length, step.Total));
        Assert.True(steps[0].Done < length / 2.0, $"the first step is already {steps[0].Done} of {length}");
        Assert.Equal(length, steps[^1].Done);
    }

    [Fact]
    public void Gc_counts_the_registry_rows_it_walks_up_to_the_rows_the_registry_holds()
    {
        // Enough rows for several steps of 1,024: 3,000 one-row tables, put unpinned (gc's to remove).
        string repo = _temp.File("repo");
        var schema = new ArrowCid.Arrow.Types.Schema([new ArrowCid.Arrow.Types.Field("id", ArrowCid.Arrow.Types.ArrowType.Int64)]);
        using (var content = ContentRepository.Open(repo))
        {
            for (long i = 0; i < 3_000; i++)
            {
                var row = new ArrowCid.Arrow.Builders.RecordBatchBuilder(schema);
                row.AppendRow(i);
                content.PutStream(schema, [row.Build()], new PutOptions { Pin = false });
            }
        }

        var steps = RunWatched("gc", "--repo", repo);

        AssertAdvances(steps, atLeast: 3);
        Assert.Equal(steps[^1].Total, steps[^1].Done);
        Assert.True(steps[0].Done < steps[0].Total);
    }

    [Fact]
    public void Verify_counts_the_bytes_it_hashes_up_to_what_the_registry_records()
    {
        string repo = _temp.File("repo");
        foreach (string golden in new[] { "1.0.0-littleendian/generated_primitive", "1.0.0-littleendian/generated_nested", "1.0.0-littleendian/generated_decimal" })
        {
            Assert.Equal(0, Program.Run(["put", "--repo", repo, Golden.File(golden)], new CliConsole(new StringWriter(), new StringWriter())));
        }

        var steps = RunWatched("verify", "--repo", repo);

        // A step a block hashed, the whole the registry's recorded bytes, reached exactly (nothing orphaned).
        AssertAdvances(steps, atLeast: 3);
        Assert.Equal(steps[^1].Total, steps[^1].Done);
        Assert.True(steps[0].Done < steps[0].Total);
    }

    [Fact]
    public void Export_car_counts_the_bytes_it_writes_and_import_car_those_it_reads_up_to_the_files_length()
    {
        string repo = _temp.File("repo");
        var quiet = new CliConsole(new StringWriter(), new StringWriter());
        string csv = _temp.File("t.csv");
        var text = new StringBuilder("id,reading\n");
        for (int i = 0; i < 200_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{i * 0.5}\n");
        }

        File.WriteAllText(csv, text.ToString());
        Assert.Equal(0, Program.Run(["put", "--repo", repo, csv, "--name", "t"], quiet));
        string car = _temp.File("t.car");
        var written = RunWatched("export", "car", "--repo", repo, "t", "-o", car);
        long length = new FileInfo(car).Length;

        // Export counts the bytes it writes (no whole known up front), import those it reads of the file.
        AssertAdvances(written, atLeast: 3);
        Assert.All(written, step => Assert.Null(step.Total));
        Assert.Equal(length, written[^1].Done);

        var steps = RunWatched("import", "car", "--repo", _temp.File("other"), car);

        Assert.True(steps.Count >= 3, $"{steps.Count} steps");
        Assert.All(steps, step => Assert.Equal(length, step.Total));
        Assert.True(steps[0].Done < length / 2.0, $"the first step is already {steps[0].Done} of {length}");
        Assert.Equal(length, steps[^1].Done);
    }

    // Runs the CLI (it must succeed) and gives every step its progress bar took: (done, whole or null).
    private static List<(double Done, double? Total)> RunWatched(params string[] args)
    {
        var steps = new List<(double Done, double? Total)>();
        var console = new CliConsole(new StringWriter(), new StringWriter()) { ProgressObserver = (done, total) => steps.Add((done, total)) };
        Assert.Equal(0, Program.Run(args, console));
        return steps;
    }

    // At least that many steps, each further than the one before.
    private static void AssertAdvances(List<(double Done, double? Total)> steps, int atLeast)
    {
        Assert.True(steps.Count >= atLeast, $"{steps.Count} steps");
        Assert.True(steps.Zip(steps.Skip(1)).All(pair => pair.Second.Done > pair.First.Done), string.Join(", ", steps.Select(s => s.Done)));
    }
}
