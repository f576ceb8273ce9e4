using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;
using ArrowCid.TestSupport;
using ApacheArrays = Apache.Arrow;

namespace ArrowCid.Apache.Tests;

/// <summary>
/// Apache.Arrow batches into puts, CIDs and publishes, and reads that yield them: values equal, no
/// buffer copied, memory kept alive by whoever still holds a batch, and typed errors for what
/// cannot cross.
/// </summary>
public sealed class ConversionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ApacheArrays.RecordBatch ApacheBatch(int rows, long first = 0)
    {
        var ids = new ApacheArrays.Int64Array.Builder();
        var names = new ApacheArrays.StringArray.Builder();
        var scores = new ApacheArrays.DoubleArray.Builder();
        for (int i = 0; i < rows; i++)
        {
            ids.Append(first + i);
            names.Append($"row {first + i}");
            if (i % 7 == 0)
            {
                scores.AppendNull();
            }
            else
            {
                scores.Append(i * 0.5);
            }
        }

        return new ApacheArrays.RecordBatch.Builder()
            .Append("id", false, ids.Build())
            .Append("name", true, names.Build())
            .Append("score", true, scores.Build())
            .Build();
    }

    private static long[] Ids(ApacheArrays.RecordBatch batch) => ((ApacheArrays.Int64Array)batch.Column(0)).Values.ToArray();

    [Fact]
    public void A_put_of_an_apache_batch_gives_the_cid_of_its_ipc_bytes_and_reads_back_as_apache_batches()
    {
        using var batch = ApacheBatch(50_000);
        var bytes = new MemoryStream();
        using (var writer = new ApacheArrays.Ipc.ArrowStreamWriter(bytes, batch.Schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        using var ourReader = new Arrow.Ipc.ArrowStreamReader(bytes.ToArray());
        var expected = ContentRepository.ComputeCids(ourReader).Table.Cid;
        Assert.Equal(expected, ApacheContent.CidOf(batch));

        using var repository = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        var put = repository.Put(batch, new PutOptions { Name = "apache" });
        Assert.Equal(expected, put.Table.Cid);

        var back = repository.ReadApacheBatches(put.Table.Cid).ToList();
        Assert.Equal(Ids(batch), back.SelectMany(Ids).ToArray());
        Assert.Equal(((ApacheArrays.StringArray)batch.Column(1)).GetString(49_999), ((ApacheArrays.StringArray)back[^1].Column(1)).GetString(back[^1].Length - 1));
        foreach (var b in back)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void A_stream_of_apache_batches_is_one_table_whatever_its_batching()
    {
        using var whole = ApacheBatch(30_000);
        using var other = ApacheBatch(30_000, first: 1);
        var halves = new[] { whole.Slice(0, 10_000), whole.Slice(10_000, 20_000) };
        Assert.Equal(ApacheContent.CidOf(whole), ApacheContent.CidOf(new ListStream(whole.Schema, halves)));
        Assert.NotEqual(ApacheContent.CidOf(whole), ApacheContent.CidOf(other));
    }

    [Fact]
    public unsafe void Our_batch_as_an_apache_batch_shares_its_buffers_and_outlives_it()
    {
        var values = new long[1000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * 3;
        }

        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var schema = new Schema([new Field("v", ArrowType.Int64, nullable: false)]);
        var ours = new RecordBatch(schema, values.Length, [new ArrayData(ArrowType.Int64, values.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, bytes])]);
        using var apache = ApacheArrow.ToApache(ours);
        fixed (byte* ourBuffer = bytes)
        fixed (byte* theirBuffer = ((ApacheArrays.Int64Array)apache.Column(0)).ValueBuffer.Span)
        {
            Assert.True(ourBuffer == theirBuffer, "the Apache batch's values are not our buffer");
        }

        ours.Dispose();
        Assert.Equal(values, Ids(apache));
    }

    [Fact]
    public void An_attached_shared_memory_table_reads_as_apache_batches_and_a_published_one_has_the_put_cid()
    {
        using var batch = ApacheBatch(40_000);
        using var store = ShmStore.Open(new ShmStoreOptions { BaseDirectory = Path.Combine(_temp.Path, "shm"), StoreName = "apache" });
        var published = store.Publish(batch);
        Assert.Equal(ApacheContent.CidOf(batch), published.Cid);
        var attached = store.AttachApacheBatches(published.Cid).ToList();
        Assert.Equal(Ids(batch), attached.SelectMany(Ids).ToArray());
        foreach (var b in attached)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void A_flight_fetch_reads_as_apache_batches()
    {
        using var batch = ApacheBatch(5_000);
        using var ours = ApacheArrow.ToArrowCid(batch);
        var (cid, bytes) = (Content.Canonical.CanonicalEncoder.ComputeCid(ours), Content.Canonical.CanonicalEncoder.Encode(ours));
        var fetched = new Flight.Client.FlightFetchResult(cid, [new Flight.Client.FetchedBatch(cid, bytes)]);
        var apache = fetched.ReadApacheBatches().ToList();
        Assert.Equal(Ids(batch), apache.SelectMany(Ids).ToArray());
        foreach (var b in apache)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void What_cannot_cross_is_a_typed_error()
    {
        var disposed = ApacheBatch(10);
        disposed.Dispose();
        Assert.Throws<ApacheArrowException>(() => ApacheArrow.ToArrowCid(disposed));

        // A stream that fails part way.
        using var good = ApacheBatch(5);
        var failing = new ListStream(good.Schema, [good], fail: true);
        var (_, batches) = ApacheArrow.ToArrowCid(failing);
        var error = Assert.Throws<ApacheArrowException>(() => batches.ToList());
        Assert.Contains("stream failed", error.Message, StringComparison.Ordinal);

        // A type Apache.Arrow has no class for in this version crosses as an error, not a crash.
        var schema = new Schema([new Field("runs", ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Int64)), nullable: false)]);
        var crossing = Record.Exception(() => ApacheArrow.ToApache(schema));
        Assert.True(crossing is null or ApacheArrowException, crossing?.ToString());
    }

    /// <summary>An Apache.Arrow stream over batches (optionally failing after them).</summary>
    private sealed class ListStream(ApacheArrays.Schema schema, IReadOnlyList<ApacheArrays.RecordBatch> batches, bool fail = false) : ApacheArrays.Ipc.IArrowArrayStream
    {
        private int _next;

        public ApacheArrays.Schema Schema => schema;

        public ValueTask<ApacheArrays.RecordBatch> ReadNextRecordBatchAsync(CancellationToken cancellationToken = default)
        {
            if (_next < batches.Count)
            {
                return ValueTask.FromResult(batches[_next++]);
            }

            return fail ? throw new IOException("the producer went away") : ValueTask.FromResult<ApacheArrays.RecordBatch>(null!);
        }

        public void Dispose()
        {
        }
    }
}
