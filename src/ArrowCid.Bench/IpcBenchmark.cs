using ArrowCid.Apache;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using static ArrowCid.Bench.BenchClock;

namespace ArrowCid.Bench;

/// <summary>What one run of the IPC benchmark measured.</summary>
public sealed record IpcBenchmarkResult(
    long EncodedBytes,
    long Rows,
    int Batches,
    double WriteGbps,
    double ReadGbps,
    double MemcpyGbps,
    long SmallFileBytes,
    double MapOpenMsSmall,
    long LargeFileBytes,
    double MapOpenMsLarge,
    string ScratchDirectory,
    double ApacheWriteGbps = double.NaN,
    double ApacheReadGbps = double.NaN)
{
    /// <summary>Where the write measurement writes to.</summary>
    public const string WriteDestination = "pre-sized in-memory buffer (MemoryStream over a byte[] allocated and touched beforehand)";

    /// <summary>Writing against memcpy of the same bytes.</summary>
    public double WriteToMemcpy => WriteGbps / MemcpyGbps;

    /// <summary>Reading against memcpy of the same bytes.</summary>
    public double ReadToMemcpy => ReadGbps / MemcpyGbps;

    /// <summary>Our writer against Apache.Arrow's stream writer on the same batches (above 1: ours is faster).</summary>
    public double WriteRatioVsApache => WriteGbps / ApacheWriteGbps;

    /// <summary>Our reader (structural validation included) against Apache.Arrow's stream reader on the same bytes.</summary>
    public double ReadRatioVsApache => ReadGbps / ApacheReadGbps;

    /// <summary>Opening a mapped large file against a small one.</summary>
    public double MapOpenLargeToSmall => MapOpenMsLarge / MapOpenMsSmall;

    /// <summary>The goal (docs/performance.md): writing runs at least half as fast as memcpy of the same bytes.</summary>
    public bool WriteGoalMet => WriteToMemcpy >= 0.5;

    /// <summary>The goal (docs/performance.md): opening a mapped 1 GiB file costs at most twice a 1 MiB one.</summary>
    public bool MapOpenGoalMet => MapOpenLargeToSmall <= 2.0;
}

/// <summary>
/// Measures Arrow IPC throughput against memcpy in the same process and run: encoding a table to
/// memory (write), decoding it zero-copy with structural validation (read, which walks every
/// offset), copying the same number of bytes (memcpy), and opening a mapped 1 MiB and a large IPC
/// file up to the last batch (map open). Apache.Arrow's stream writer and reader run on the same
/// batches (handed over zero-copy) and bytes beside ours. Each figure is the median of several
/// timed runs after a warm-up run, so page faults of fresh buffers are not counted against anyone.
/// </summary>
public static class IpcBenchmark
{
    private const int ThroughputRuns = 5;
    private const int MapOpenRuns = 21;
    private const long SmallFileTarget = 1 << 20;

    /// <summary>Runs every measurement over a table of about <paramref name="tableBytes"/>; scratch files go under <paramref name="scratchRoot"/>.</summary>
    public static IpcBenchmarkResult Run(long tableBytes, string scratchRoot)
    {
        string scratch = Path.Combine(scratchRoot, $"arrowcid-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            string largePath = Path.Combine(scratch, "large.arrow");
            var throughput = MeasureThroughput(tableBytes, largePath);
            // The table and its buffers are garbage by now: give the memory back before mapping.
            GC.Collect();

            var smallBatches = BenchTable.Build(SmallFileTarget, seed: 3);
            string smallPath = Path.Combine(scratch, "small.arrow");
            long smallBytes = WriteFile(smallBatches, smallPath);
            DisposeAll(smallBatches);

            // Alternating the two files, after a warm-up of each, so both see the same machine.
            OpenAndReadLastBatch(smallPath);
            OpenAndReadLastBatch(largePath);
            var small = new double[MapOpenRuns];
            var large = new double[MapOpenRuns];
            for (int i = 0; i < MapOpenRuns; i++)
            {
                small[i] = Time(() => OpenAndReadLastBatch(smallPath));
                large[i] = Time(() => OpenAndReadLastBatch(largePath));
            }

            double smallOpen = Median(small);
            double largeOpen = Median(large);

            return throughput with
            {
                SmallFileBytes = smallBytes,
                MapOpenMsSmall = smallOpen * 1e3,
                MapOpenMsLarge = largeOpen * 1e3,
                ScratchDirectory = scratchRoot,
            };
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Write, read and memcpy figures; also writes the table as an IPC file at <paramref name="largePath"/> (untimed).</summary>
    private static IpcBenchmarkResult MeasureThroughput(long tableBytes, string largePath)
    {
        var batches = BenchTable.Build(tableBytes, seed: 2);
        List<global::Apache.Arrow.RecordBatch> apacheBatches = [];
        try
        {
            // Metadata is well under 1 KiB a batch; buffers are padded to 8 bytes (at most 7 per buffer).
            long bound = BenchTable.BufferBytes(batches) + (batches.Count * 1024L) + (64 * 1024);
            var encoded = GC.AllocateUninitializedArray<byte>(checked((int)bound));
            var copyTarget = GC.AllocateUninitializedArray<byte>(encoded.Length);

            long length = WriteStream(batches, encoded);
            var bytes = new ReadOnlyMemory<byte>(encoded, 0, (int)length);
            var apacheSchema = ApacheArrow.ToApache(BenchTable.Schema);
            apacheBatches = [.. batches.Select(b => ApacheArrow.ToApache(b, apacheSchema))];
            long rows = 0;
            long apacheRows = 0;
            // Rounds interleave the five so that load from other processes falls on all of them alike;
            // round -1 is a warm-up (page faults of the fresh buffers, JIT) and is not counted.
            var write = new double[ThroughputRuns];
            var read = new double[ThroughputRuns];
            var memcpy = new double[ThroughputRuns];
            var apacheWrite = new double[ThroughputRuns];
            var apacheRead = new double[ThroughputRuns];
            for (int round = -1; round < ThroughputRuns; round++)
            {
                double aw = Time(() => WriteApacheStream(apacheSchema, apacheBatches, copyTarget));
                double w = Time(() => length = WriteStream(batches, encoded));
                double r = Time(() => rows = ReadStream(bytes));
                double ar = Time(() => apacheRows = ReadApacheStream(bytes));
                double m = Time(() => bytes.Span.CopyTo(copyTarget));
                if (round >= 0)
                {
                    (write[round], read[round], memcpy[round], apacheWrite[round], apacheRead[round]) = (w, r, m, aw, ar);
                }
            }

            if (apacheRows != rows)
            {
                throw new BenchmarkException($"Apache.Arrow read {apacheRows} rows, we read {rows}");
            }

            double writeSeconds = Median(write);
            double readSeconds = Median(read);
            double memcpySeconds = Median(memcpy);
            long largeBytes = WriteFile(batches, largePath);

            return new IpcBenchmarkResult(
                length,
                rows,
                batches.Count,
                Gbps(length, writeSeconds),
                Gbps(length, readSeconds),
                Gbps(length, memcpySeconds),
                SmallFileBytes: 0,
                MapOpenMsSmall: double.NaN,
                largeBytes,
                MapOpenMsLarge: double.NaN,
                ScratchDirectory: string.Empty,
                Gbps(length, Median(apacheWrite)),
                Gbps(length, Median(apacheRead)));
        }
        finally
        {
            apacheBatches.ForEach(b => b.Dispose());
            DisposeAll(batches);
        }
    }

    /// <summary>Apache.Arrow's stream writer over the same kind of pre-sized buffer as ours.</summary>
    private static long WriteApacheStream(global::Apache.Arrow.Schema schema, List<global::Apache.Arrow.RecordBatch> batches, byte[] destination)
    {
        using var memory = new MemoryStream(destination, 0, destination.Length, writable: true, publiclyVisible: true);
        using (var writer = new global::Apache.Arrow.Ipc.ArrowStreamWriter(memory, schema, leaveOpen: true))
        {
            foreach (var batch in batches)
            {
                writer.WriteRecordBatch(batch);
            }

            writer.WriteEnd();
        }

        return memory.Position;
    }

    /// <summary>Apache.Arrow's stream reader over our bytes (it reads buffers in place, without validating offsets).</summary>
    private static long ReadApacheStream(ReadOnlyMemory<byte> bytes)
    {
        long rows = 0;
        using var reader = new global::Apache.Arrow.Ipc.ArrowStreamReader(bytes);
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            rows += batch.Length;
            batch.Dispose();
        }

        return rows;
    }

    /// <summary>The folder for scratch files: tmpfs (/dev/shm) where there is one, so no disk is timed.</summary>
    public static string DefaultScratchRoot() =>
        Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    private static long WriteStream(List<RecordBatch> batches, byte[] destination)
    {
        using var memory = new MemoryStream(destination, 0, destination.Length, writable: true, publiclyVisible: true);
        using (var writer = new ArrowStreamWriter(memory, BenchTable.Schema, leaveOpen: true))
        {
            foreach (var batch in batches)
            {
                writer.Write(batch);
            }

            writer.Finish();
        }

        return memory.Position;
    }

    private static long ReadStream(ReadOnlyMemory<byte> bytes)
    {
        long rows = 0;
        using var reader = new ArrowStreamReader(bytes);
        while (reader.ReadNext() is { } batch)
        {
            rows += batch.Length;
            batch.Dispose();
        }

        return rows;
    }

    private static long WriteFile(List<RecordBatch> batches, string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new ArrowFileWriter(stream, BenchTable.Schema);
        foreach (var batch in batches)
        {
            writer.Write(batch);
        }

        writer.Finish();
        return writer.BytesWritten;
    }

    /// <summary>What a consumer does first: map, read schema and footer, decode the last batch's metadata and buffers' bounds.</summary>
    private static void OpenAndReadLastBatch(string path)
    {
        using var reader = ArrowFileReader.Open(path);
        if (reader.Schema.Fields.Length != BenchTable.Schema.Fields.Length || reader.RecordBatchCount == 0)
        {
            throw new InvalidOperationException($"{path}: the benchmark file did not read back as written");
        }

        using var last = reader.ReadRecordBatch(reader.RecordBatchCount - 1);
    }

    private static void DisposeAll(List<RecordBatch> batches)
    {
        foreach (var batch in batches)
        {
            batch.Dispose();
        }
    }
}
