using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.SharedMemory;
using ArrowCid.Samples.Producer;

// Publishes --count batches of sensor readings into a shared-memory store, one every --interval-ms,
// and prints one line per batch. A full store (everything pinned or leased) is retried, not fatal.
return ProducerArguments.Run(args, Produce);

static int Produce(ProducerOptions options)
{
    using var store = ShmStore.Open(new ShmStoreOptions
    {
        BaseDirectory = options.ShmDirectory,
        StoreName = options.Store,
        CapacityBytes = options.Capacity,
    });
    Console.WriteLine($"producer {Environment.ProcessId}: store {store.Directory}");
    var schema = new Schema([new Field("sensor", ArrowType.Utf8), new Field("reading", ArrowType.Float64), new Field("at", ArrowType.Int64)]);
    long stopAt = options.DurationSeconds > 0 ? Environment.TickCount64 + options.DurationSeconds * 1000L : long.MaxValue;
    for (int i = 0; i < options.Count && Environment.TickCount64 < stopAt; i++)
    {
        var batch = Readings(schema, options.Seed + i, options.Rows);
        while (true)
        {
            try
            {
                var published = store.Publish(batch, options.Tags);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"published seq={published.Sequence} cid={published.Cid} rows={published.Rows} bytes={published.Bytes}"));
                break;
            }
            catch (ShmStoreFullException e)
            {
                Console.WriteLine($"full: {e.Message}; retrying");
                Thread.Sleep(20);
            }
        }

        if (options.IntervalMs > 0)
        {
            Thread.Sleep(options.IntervalMs);
        }
    }

    return 0;
}

static RecordBatch Readings(Schema schema, long seed, int rows)
{
    var random = new Random(unchecked((int)seed));
    var builder = new RecordBatchBuilder(schema);
    for (int row = 0; row < rows; row++)
    {
        // The seed is in every row, so each batch (and so each CID) is distinct.
        builder.AppendRow($"sensor-{row % 7}", Math.Round(random.NextDouble() * 100, 3), seed * 1_000_000 + row);
    }

    return builder.Build();
}
