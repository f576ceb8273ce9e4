using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory;
using ArrowCid.SharedMemory.Notifications;
using ArrowCid.Samples.Consumer;

// Follows a shared-memory store's notifications: for each new CID, attaches the batch (mapped
// read-only, verified against its CID) or a chunked table's chunks one by one, prints it, queries it with DuckDB when available, and
// saves its cursor so a restart resumes exactly after the last batch handled.
return ConsumerArguments.Run(args, Consume);

static int Consume(ConsumerOptions options)
{
    using var store = ShmStore.Open(new ShmStoreOptions { BaseDirectory = options.ShmDirectory, StoreName = options.Store });
    var cursor = options.CursorFile is null ? null : new CursorFile(options.CursorFile);

    // A saved cursor wins: a restart resumes after the last notification handled, whatever --from
    // says. With a cursor file not written yet, nothing was handled: from --from, else the start.
    long from = cursor is not null ? cursor.TryLoad() ?? options.From ?? 0 : options.From ?? store.PublishedSequence;
    var subscription = store.Subscribe(from, options.Tags);
    using var duckDb = options.Sql && !options.Hold ? DuckDbQuery.TryOpen() : null;
    string duckDbState = !options.Sql || options.Hold ? "off"
        : duckDb is null ? "not found (libduckdb.so comes with the DuckDB.NET.Data.Full package beside this program, or set ARROWCID_LIBDUCKDB to one)"
        : "loaded";
    Console.WriteLine($"consumer {Environment.ProcessId}: store {store.Directory}, after seq {from}, DuckDB {duckDbState}");
    var held = new List<RecordBatch>();
    var idle = options.IdleExitSeconds > 0 ? TimeSpan.FromSeconds(options.IdleExitSeconds) : Timeout.InfiniteTimeSpan;
    for (long handled = 0; handled < options.Count; handled++)
    {
        var notice = subscription.Next(idle);
        if (notice is null)
        {
            Console.WriteLine("idle");
            break;
        }

        if (notice.Cid.Codec == Multicodec.DagCbor)
        {
            // A large batch (or a stream) published as a chunked table: its chunks, each attached
            // (verified against its CID, zero copy) and released in turn.
            AttachTable(notice);
            cursor?.Save(notice.Sequence);
            Console.Out.Flush();
            continue;
        }

        var batch = store.TryAttach(notice.Cid);
        if (batch is null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seq={notice.Sequence} cid={notice.Cid} evicted"));
        }
        else
        {
            // Attach already verified the hash; re-hashing the canonical re-encoding shows it end to end.
            bool matches = CanonicalEncoder.ComputeCid(batch) == notice.Cid;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seq={notice.Sequence} cid={notice.Cid} rows={batch.Length} bytes={notice.Bytes} {(matches ? "verified" : "MISMATCH")}"));
            if (!options.Quiet)
            {
                Console.WriteLine(ArrayPrinter.Format(batch, limit: 3));
            }

            if (duckDb is not null && batch.Schema.IndexOf("reading") >= 0)
            {
                Console.WriteLine("  duckdb: " + duckDb.QueryFirstRow(batch, "SELECT count(*) AS n, round(avg(reading), 3) AS avg_reading, count(DISTINCT sensor) AS sensors FROM batch"));
            }

            if (options.Hold)
            {
                held.Add(batch);
                Console.WriteLine($"holding seq={notice.Sequence}");
            }
            else
            {
                batch.Dispose();
            }
        }

        cursor?.Save(notice.Sequence);
        Console.Out.Flush();
    }

    void AttachTable(ShmNotice notice)
    {
        try
        {
            var table = store.OpenTable(notice.Cid);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seq={notice.Sequence} cid={notice.Cid} rows={table.Rows} bytes={notice.Bytes} chunks={table.Chunks.Count} verified"));
            long rows = 0;
            foreach (var chunk in store.AttachChunks(table))
            {
                using (chunk)
                {
                    if (!options.Quiet && rows == 0)
                    {
                        Console.WriteLine(ArrayPrinter.Format(chunk, limit: 3));
                    }

                    rows += chunk.Length;
                }
            }
        }
        catch (ShmSegmentNotFoundException)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seq={notice.Sequence} cid={notice.Cid} evicted"));
        }
    }

    if (options.Hold)
    {
        // Keep the leases until killed: the lease tests SIGKILL this process here.
        Thread.Sleep(Timeout.Infinite);
    }

    return 0;
}
