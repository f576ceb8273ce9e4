using System.Diagnostics;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>flight get</c> writes each chunk once it hashes to its CID and lets it go: a table five times
/// the CLI's managed-heap limit comes through whole, its file the table's exact stream.
/// </summary>
[Trait("Category", "Peers")]
public sealed class FlightGetStreamingTests : IDisposable
{
    private const long HeapLimit = 64L << 20;
    private const int Batches = 40;
    private const int RowsPerBatch = 1 << 20; // 8 MiB of int64 a batch: 320 MiB in all

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_table_five_times_the_heap_limit_is_fetched_and_written_whole()
    {
        var schema = new Schema([new Field("v", ArrowType.Int64, nullable: false)]);
        using var served = ContentRepository.Open(_temp.File("served"));
        var put = served.PutStream(schema, MakeBatches(schema));
        Assert.True(put.Table.Bytes > 5 * HeapLimit, $"the table is {put.Table.Bytes} bytes");
        await using var node = await FlightNode.StartAsync(served);

        string fetched = _temp.File("fetched.arrows");
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "flight", "get", "--server", node.Location, put.Table.Cid.ToString(), "-o", fetched]);
        // The managed heap's hard limit: a client that held the table would fail with OutOfMemory.
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimit.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Contains($"fetched {put.Table.Cid}: {put.Table.Batches} batches", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(put.Table.Cid, CidOfFile(fetched));
    }

    // The table CID of the stream in the file, as `arrowcid cid` gives it.
    private static Cid CidOfFile(string path)
    {
        var cid = CliRun.Run("cid", path);
        Assert.True(cid.ExitCode == 0, cid.Error);
        return Cid.Parse(CliOutput.Table(cid));
    }

    private static IEnumerable<RecordBatch> MakeBatches(Schema schema)
    {
        ulong state = 0x9E3779B97F4A7C15;
        for (int b = 0; b < Batches; b++)
        {
            var bytes = new byte[RowsPerBatch * sizeof(long)];
            var values = MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan());
            for (int i = 0; i < values.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                values[i] = state;
            }

            yield return new RecordBatch(schema, RowsPerBatch, [new ArrayData(ArrowType.Int64, RowsPerBatch, 0, 0, [ReadOnlyMemory<byte>.Empty, bytes])]);
        }
    }
}
