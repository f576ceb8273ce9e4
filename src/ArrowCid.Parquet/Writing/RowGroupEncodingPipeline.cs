using ArrowCid.Arrow.Arrays;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Shreds and encodes the column chunks of full row groups for a <see cref="ParquetWriter"/> and
/// hands each group's chunks, in row-group order and on the caller's thread, to the writer's
/// placement step. With a degree of 1 a group is encoded and placed at once, chunk by chunk; above
/// 1 its chunks are queued (costliest first) on at most that many pool threads and up to
/// <see cref="ParquetWriter.RowGroupsInFlight"/> groups are encoded while the caller goes on, the
/// oldest placed when one more would exceed that. The chunks' bytes do not depend on the degree.
/// </summary>
internal sealed class RowGroupEncodingPipeline : IDisposable
{
    private readonly ParquetSchemaPlan _plan;
    private readonly ParquetWriteOptions _options;
    private readonly ColumnChunkWriter[] _chunkWriters;
    private readonly int[] _scheduleOrder;
    private readonly Action<EncodedChunk[], int> _placeRowGroup;
    private readonly Queue<(Task<EncodedChunk>[] Chunks, int Rows)> _inFlight = new();
    private readonly TaskScheduler? _scheduler;
    private ConcurrentExclusiveSchedulerPair? _schedulers;

    /// <summary>
    /// Builds the chunk writers up front, so an encoding that cannot apply to a column is refused
    /// here, not mid-file. <paramref name="placeRowGroup"/> receives a group's chunks (column
    /// order) and row count; the chunks' buffers are disposed after it returns.
    /// </summary>
    public RowGroupEncodingPipeline(ParquetSchemaPlan plan, ParquetWriteOptions options, Action<EncodedChunk[], int> placeRowGroup)
    {
        _plan = plan;
        _options = options;
        _placeRowGroup = placeRowGroup;
        _chunkWriters = [.. plan.Leaves.Select(leaf => new ColumnChunkWriter(leaf, options))];
        int degree = options.MaxDegreeOfParallelism == 0 ? Environment.ProcessorCount : options.MaxDegreeOfParallelism;
        _scheduleOrder = ScheduleOrder(plan);
        if (degree > 1)
        {
            // One queue per writer, run in order on at most degree pool threads at a time.
            _schedulers = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, degree);
            _scheduler = _schedulers.ConcurrentScheduler;
        }
    }

    /// <summary>Rows of the groups submitted but not yet placed.</summary>
    public long RowsInFlight { get; private set; }

    /// <summary>Whether row groups are still being encoded.</summary>
    public bool HasInFlight => _inFlight.Count > 0;

    /// <summary>
    /// Encodes a full row group of <paramref name="rows"/> rows held by <paramref name="batches"/>
    /// (which must stay readable until it is placed or abandoned): placed at once when encoding is
    /// serial, else queued, placing the oldest groups beyond <see cref="ParquetWriter.RowGroupsInFlight"/>.
    /// </summary>
    public void Submit(RecordBatch[] batches, int rows)
    {
        int leaves = _plan.Leaves.Count;
        if (_scheduler is null || leaves == 0)
        {
            var encoded = new EncodedChunk?[leaves];
            try
            {
                for (int i = 0; i < leaves; i++)
                {
                    encoded[i] = EncodeChunk(i, batches, rows);
                }
                _placeRowGroup(encoded!, rows);
            }
            finally
            {
                foreach (EncodedChunk? item in encoded)
                {
                    item?.Bytes.Dispose();
                }
            }
            return;
        }
        // Queued costliest first, after the chunks of the groups already in flight.
        var tasks = new Task<EncodedChunk>[leaves];
        foreach (int i in _scheduleOrder)
        {
            tasks[i] = Task.Factory.StartNew(() => EncodeChunk(i, batches, rows), CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler);
        }
        _inFlight.Enqueue((tasks, rows));
        RowsInFlight += rows;
        while (_inFlight.Count > ParquetWriter.RowGroupsInFlight)
        {
            PlaceOldest();
        }
    }

    /// <summary>Waits for the oldest row group in flight and places it (its exception, if a chunk failed, is rethrown as it was thrown).</summary>
    public void PlaceOldest()
    {
        (Task<EncodedChunk>[] tasks, int rows) = _inFlight.Dequeue();
        WaitQuietly(tasks);
        try
        {
            // GetResult rethrows a failed chunk's own exception, as the serial writer would.
            EncodedChunk[] encoded = [.. tasks.Select(t => t.GetAwaiter().GetResult())];
            _placeRowGroup(encoded, rows);
        }
        catch
        {
            // The caller may release its batches as soon as this throws (WriteOwned does), so
            // no later group's encoder may still be reading them.
            Abandon();
            throw;
        }
        finally
        {
            DisposeChunks(tasks);
        }
        RowsInFlight -= rows;
    }

    /// <summary>Waits for every row group still being encoded and drops its chunks.</summary>
    public void Abandon()
    {
        while (_inFlight.TryDequeue(out var group))
        {
            WaitQuietly(group.Chunks);
            DisposeChunks(group.Chunks);
        }
        RowsInFlight = 0;
    }

    /// <summary>Abandons what is in flight (encoding tasks read the batches: none may still run when they are released) and ends the scheduler.</summary>
    public void Dispose()
    {
        Abandon();
        _schedulers?.Complete();
        _schedulers = null;
    }

    private static void DisposeChunks(Task<EncodedChunk>[] tasks)
    {
        foreach (Task<EncodedChunk> task in tasks)
        {
            if (task.IsCompletedSuccessfully)
            {
                task.Result.Bytes.Dispose();
            }
        }
    }

    private static void WaitQuietly(Task[] tasks)
    {
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException)
        {
            // Inspected task by task by the caller.
        }
    }

    /// <summary>
    /// Leaf indexes by decreasing expected encoding work, the order their tasks are queued in (a
    /// group ends when its slowest chunk does, so a large chunk started last would leave the
    /// other cores idle). Expected work: bytes per value of the physical type
    /// (byte arrays counted as 16), more for leaves inside lists, which have more entries than rows.
    /// </summary>
    private static int[] ScheduleOrder(ParquetSchemaPlan plan) =>
        [.. Enumerable.Range(0, plan.Leaves.Count)
            .OrderByDescending(i => (plan.Leaves[i].Width == 0 ? 16 : plan.Leaves[i].Width) * (1 + plan.Leaves[i].MaxRepetitionLevel))
            .ThenBy(i => i)];

    /// <summary>Shreds and encodes leaf <paramref name="leafIndex"/> of a row group's rows into a chunk buffer of its own.</summary>
    private EncodedChunk EncodeChunk(int leafIndex, RecordBatch[] batches, int rows)
    {
        LeafPlan leaf = _plan.Leaves[leafIndex];
        using var buffer = new ColumnBuffer(leaf);
        int column = leaf.Chain[0].ArrowChildIndex;
        bool flat = _options.BulkShredding && FlatShredder.Applies(leaf);
        foreach (RecordBatch batch in batches)
        {
            ArrayData array = batch.Column(column);
            if (!flat || array.Length != batch.Length || !FlatShredder.TryShred(leaf, array, buffer))
            {
                LevelShredder.ShredRows(leaf, array, batch.Length, buffer);
            }
        }
        var bytes = new PooledByteWriter();
        try
        {
            (ColumnChunk chunk, ColumnChunkWriter.PageIndexEntry index) = _chunkWriters[leafIndex].Write(bytes, buffer, rows);
            return new EncodedChunk(chunk, index, bytes);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>A column chunk encoded into its own buffer, offsets counted from the chunk's start.</summary>
    internal sealed record EncodedChunk(ColumnChunk Chunk, ColumnChunkWriter.PageIndexEntry Index, PooledByteWriter Bytes);
}
