using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;
using ApacheBatch = Apache.Arrow.RecordBatch;
using ApacheStream = Apache.Arrow.Ipc.IArrowArrayStream;
using OurBatch = ArrowCid.Arrow.Arrays.RecordBatch;
using OurSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Apache;

/// <summary>
/// Apache.Arrow batches and streams straight into ArrowCid's puts, CIDs and shared-memory
/// publishes, and ArrowCid's reads yielding Apache.Arrow batches; every crossing zero-copy
/// (<see cref="ApacheArrow"/>). A put of an Apache batch gives the CID <c>arrowcid cid</c> gives
/// the same rows written as Arrow IPC.
/// </summary>
public static class ApacheContent
{
    /// <summary>The table CID of the batch's rows (what a put of them gives), storing nothing.</summary>
    /// <exception cref="ApacheArrowException">The batch cannot cross (see <see cref="ApacheArrow"/>).</exception>
    public static Cid CidOf(ApacheBatch batch)
    {
        using var ours = ApacheArrow.ToArrowCid(batch);
        return ContentRepository.ComputeCids(ours.Schema, [ours]).Table.Cid;
    }

    /// <summary>The table CID of a stream's rows, storing nothing; the stream is consumed.</summary>
    public static Cid CidOf(ApacheStream stream)
    {
        var (schema, batches) = ApacheArrow.ToArrowCid(stream);
        return ContentRepository.ComputeCids(schema, OurBatch.DisposingEach(batches)).Table.Cid;
    }

    /// <summary>Stores the batch's rows as a table (a name's next version when the options name one).</summary>
    public static PutStreamResult Put(this ContentRepository repository, ApacheBatch batch, PutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        using var ours = ApacheArrow.ToArrowCid(batch);
        return repository.PutStream(ours.Schema, [ours], options);
    }

    /// <summary>Stores a stream's rows as one table; the stream is consumed.</summary>
    public static PutStreamResult Put(this ContentRepository repository, ApacheStream stream, PutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var (schema, batches) = ApacheArrow.ToArrowCid(stream);
        return repository.PutStream(schema, OurBatch.DisposingEach(batches), options);
    }

    /// <summary>Publishes the batch's rows to shared memory as one table, announced with <paramref name="tags"/>.</summary>
    public static ShmPublishResult Publish(this ShmStore store, ApacheBatch batch, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var ours = ApacheArrow.ToArrowCid(batch);
        return store.PublishTable(ours.Schema, [ours], tags);
    }

    /// <summary>Publishes a stream's rows to shared memory as one table; the stream is consumed.</summary>
    public static ShmPublishResult Publish(this ShmStore store, ApacheStream stream, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (schema, batches) = ApacheArrow.ToArrowCid(stream);
        return store.PublishTable(schema, OurBatch.DisposingEach(batches), tags);
    }

    /// <summary>
    /// A stored table's chunks as Apache.Arrow batches, opened lazily, each block re-hashed before its
    /// batch is handed out; the buffers stay in the mapped block until the Apache batch is disposed.
    /// </summary>
    public static IEnumerable<ApacheBatch> ReadApacheBatches(this ContentRepository repository, Cid cid)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return AsApache(repository.OpenTable(cid).Schema, repository.ReadBatches(cid));
    }

    /// <summary>A shared-memory table's chunks as Apache.Arrow batches, each attached (zero copy, verified, leased) when reached.</summary>
    public static IEnumerable<ApacheBatch> AttachApacheBatches(this ShmStore store, Cid cid)
    {
        ArgumentNullException.ThrowIfNull(store);
        var table = store.OpenTable(cid);
        return AsApache(table.Schema, store.AttachChunks(table));
    }

    /// <summary>
    /// A verified Flight fetch's chunks as Apache.Arrow batches: each reads its canonical bytes in
    /// place (the fetch's buffers, no copy) and stays valid while it is not disposed.
    /// </summary>
    public static IEnumerable<ApacheBatch> ReadApacheBatches(this Flight.Client.FlightFetchResult fetched)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        if (fetched.Batches.Count == 0)
        {
            return [];
        }

        var first = fetched.Batches[0].Read();
        return AsApache(first.Schema, Batches());

        IEnumerable<OurBatch> Batches()
        {
            yield return first;
            foreach (var chunk in fetched.Batches.Skip(1))
            {
                yield return chunk.Read();
            }
        }
    }

    private static IEnumerable<ApacheBatch> AsApache(OurSchema schema, IEnumerable<OurBatch> batches)
    {
        var apacheSchema = ApacheArrow.ToApache(schema);
        foreach (var batch in batches)
        {
            // The export holds its own reference on the batch's memory: ours can go at once.
            using (batch)
            {
                yield return ApacheArrow.ToApache(batch, apacheSchema);
            }
        }
    }
}
