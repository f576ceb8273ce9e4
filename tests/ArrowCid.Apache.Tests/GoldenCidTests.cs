using ArrowCid.Arrow.Ipc;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Apache.Tests;

/// <summary>
/// The Arrow integration golden streams as Apache.Arrow reads them, handed to ArrowCid batch by
/// batch: the CID equals the one ArrowCid gives reading the same bytes itself (what
/// <c>arrowcid cid</c> prints), for every case Apache.Arrow reads.
/// </summary>
public sealed class GoldenCidTests(ITestOutputHelper output)
{
    private static string Root { get; } = Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden");

    public static TheoryData<string> Streams()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.EnumerateFiles(Root, "*.stream", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Root, path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void An_apache_arrow_batch_gets_the_cid_arrowcid_gives_the_same_bytes(string relative)
    {
        string path = Path.Combine(Root, relative);
        List<global::Apache.Arrow.RecordBatch> apacheBatches;
        global::Apache.Arrow.Schema apacheSchema;
        try
        {
            using var reader = new global::Apache.Arrow.Ipc.ArrowStreamReader(File.OpenRead(path), new global::Apache.Arrow.Compression.CompressionCodecFactory());
            apacheSchema = reader.Schema;
            apacheBatches = [];
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                apacheBatches.Add(batch);
            }
        }
#pragma warning disable CA1031 // the judge's own limits: a case Apache.Arrow cannot read is not ours to compare
        catch (Exception e)
#pragma warning restore CA1031
        {
            output.WriteLine($"Apache.Arrow does not read {relative}: {e.GetType().Name}: {e.Message}");
            return;
        }

        using var ours = new ArrowStreamReader(File.ReadAllBytes(path));
        var expected = ContentRepository.ComputeCids(ours).Table.Cid;

        var schema = ApacheArrow.ToArrowCid(apacheSchema);
        var converted = apacheBatches.Select(b => ApacheArrow.ToArrowCid(b, schema)).ToList();
        Assert.Equal(expected, ContentRepository.ComputeCids(schema, converted).Table.Cid);
        foreach (var batch in converted)
        {
            batch.Dispose();
        }

        foreach (var batch in apacheBatches)
        {
            batch.Dispose();
        }
    }
}
