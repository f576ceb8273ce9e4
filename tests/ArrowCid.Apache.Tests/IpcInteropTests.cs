using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using Xunit.Abstractions;
using ApacheIpc = Apache.Arrow.Ipc;

namespace ArrowCid.Apache.Tests;

/// <summary>
/// Apache.Arrow, the standard .NET Arrow library, as a judge of our IPC: it reads every golden
/// stream we rewrite and every table stream `get` writes, and we read its rewrites, with equal
/// values. Values are compared through CIDs: a table's CID is a hash of its canonical form, so two
/// readings with one CID hold the same rows, types and values.
/// </summary>
public sealed class IpcInteropTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Root = Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden");
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Streams() => GoldenCidTests.Streams();

    private static (Arrow.Types.Schema Schema, List<RecordBatch> Batches) ReadOurs(byte[] bytes)
    {
        using var reader = new ArrowStreamReader(bytes);
        var batches = new List<RecordBatch>();
        while (reader.ReadNext() is { } batch)
        {
            batches.Add(batch);
        }

        return (reader.Schema, batches);
    }

    private static (global::Apache.Arrow.Schema Schema, List<global::Apache.Arrow.RecordBatch> Batches) ReadApache(byte[] bytes)
    {
        using var reader = new ApacheIpc.ArrowStreamReader(new MemoryStream(bytes), new global::Apache.Arrow.Compression.CompressionCodecFactory());
        var batches = new List<global::Apache.Arrow.RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            batches.Add(batch);
        }

        return (reader.Schema, batches);
    }

    private static Content.Multiformats.Cid CidOfApache(global::Apache.Arrow.Schema schema, List<global::Apache.Arrow.RecordBatch> batches)
    {
        var ours = ApacheArrow.ToArrowCid(schema);
        var converted = batches.Select(b => ApacheArrow.ToArrowCid(b, ours)).ToList();
        var cid = ContentRepository.ComputeCids(ours, converted).Table.Cid;
        converted.ForEach(b => b.Dispose());
        return cid;
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Apache_arrow_reads_our_rewrite_of_a_golden_stream_and_we_read_its_rewrite_with_equal_values(string relative)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(Root, relative));
        var (schema, batches) = ReadOurs(original);
        var expected = ContentRepository.ComputeCids(schema, batches).Table.Cid;

        // Ours rewritten, read by Apache.Arrow.
        var ourRewrite = new MemoryStream();
        using (var writer = new ArrowStreamWriter(ourRewrite, schema, leaveOpen: true))
        {
            foreach (var batch in batches)
            {
                writer.Write(batch);
            }
        }

        var (apacheSchema, apacheBatches) = ReadApache(ourRewrite.ToArray());
        Assert.Equal(expected, CidOfApache(apacheSchema, apacheBatches));

        // Apache.Arrow's rewrite, read by us.
        var apacheRewrite = new MemoryStream();
        try
        {
            using var apacheWriter = new ApacheIpc.ArrowStreamWriter(apacheRewrite, apacheSchema, leaveOpen: true);
            foreach (var batch in apacheBatches)
            {
                apacheWriter.WriteRecordBatch(batch);
            }

            apacheWriter.WriteEnd();
        }
        catch (Exception e) when (e is NotSupportedException or NotImplementedException or InvalidOperationException or ArgumentException)
        {
            // The judge's own limit (its writer lacks a feature this case uses): nothing of ours to read.
            output.WriteLine($"Apache.Arrow does not write {relative}: {e.GetType().Name}: {e.Message}");
            return;
        }

        if (apacheBatches.Count == 0)
        {
            // Apache.Arrow's writer writes its schema with the first batch: with none, only the
            // end-of-stream marker, which is not a stream (the format begins with the schema).
            output.WriteLine($"Apache.Arrow writes no schema for {relative} (no batches): {apacheRewrite.Length} bytes");
            return;
        }

        var (rewrittenSchema, rewritten) = ReadOurs(apacheRewrite.ToArray());
        Assert.Equal(expected, ContentRepository.ComputeCids(rewrittenSchema, rewritten).Table.Cid);
        batches.ForEach(b => b.Dispose());
        rewritten.ForEach(b => b.Dispose());
        apacheBatches.ForEach(b => b.Dispose());
    }

    [Fact]
    public void Apache_arrow_reads_the_table_stream_get_writes_for_a_chunked_table()
    {
        using var repository = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        using var apacheBatch = ConversionTestsTable(200_000);
        var put = repository.Put(apacheBatch);
        Assert.StartsWith("bafyrei", put.Table.Cid.ToString(), StringComparison.Ordinal);
        var stream = new MemoryStream();
        repository.WriteTable(put.Table.Cid, stream);

        var (schema, batches) = ReadApache(stream.ToArray());
        Assert.True(batches.Count > 1, "a chunked table is written as one stream of its chunks");
        Assert.Equal(put.Table.Cid, CidOfApache(schema, batches));
        batches.ForEach(b => b.Dispose());
    }

    private static global::Apache.Arrow.RecordBatch ConversionTestsTable(int rows)
    {
        var ids = new global::Apache.Arrow.Int64Array.Builder();
        var names = new global::Apache.Arrow.StringArray.Builder();
        for (int i = 0; i < rows; i++)
        {
            ids.Append(i);
            names.Append($"name {i % 1000}");
        }

        return new global::Apache.Arrow.RecordBatch.Builder().Append("id", false, ids.Build()).Append("name", true, names.Build()).Build();
    }
}
