using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary><c>flight put</c> reads what <c>put</c> reads (Arrow IPC, Parquet, CSV) through the same dispatch, and the node stores the same table.</summary>
public sealed class FlightPutInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Flight_put_takes_CSV_and_Parquet_and_gives_the_CID_put_gives()
    {
        using var served = ContentRepository.Open(_temp.File("served"));
        await using var node = await FlightNode.StartAsync(served);
        string csv = _temp.File("plants.csv");
        File.WriteAllLines(csv, ["plant,temp,ok", "a,20.5,true", "b,,false", "c,19.25,true"]);
        string parquet = _temp.File("plants.parquet");
        string local = _temp.File("local");
        string table = Table(CliRun.Run("put", "--repo", local, csv));
        Assert.Equal(0, CliRun.Run("export", "parquet", "--repo", local, table, "-o", parquet).ExitCode);

        foreach (string input in new[] { csv, parquet })
        {
            var put = CliRun.Run("flight", "put", "--server", node.Location, input);
            Assert.True(put.ExitCode == 0, put.Error);
            // The table line a local put prints.
            Assert.Equal(Lines(CliRun.Run("put", "--repo", local, csv).Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)), Lines(put.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void A_file_that_is_none_of_the_formats_is_refused_saying_what_was_expected()
    {
        string text = _temp.File("notes.txt");
        File.WriteAllText(text, "id,v\n1,2\n");
        foreach (var args in new[] { new[] { "put", "--repo", _temp.File("r"), text }, new[] { "flight", "put", "--server", "grpc+tcp://127.0.0.1:9", text } })
        {
            var refused = CliRun.Run(args);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("not Arrow IPC (a stream or a file) nor Parquet", refused.Error, StringComparison.Ordinal);
            Assert.Contains("--format csv", refused.Error, StringComparison.Ordinal);
        }
    }
}
