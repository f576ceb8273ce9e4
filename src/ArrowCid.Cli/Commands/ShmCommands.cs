using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ArrowCid.Arrow.Printing;
using ArrowCid.Wire;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory;
using ArrowCid.Bench.SharedMemory;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid shm …</c>: the same-host shared-memory store (publish, path, cat, ls, watch, stat),
/// and <c>arrowcid bench shm</c>. See docs/shared-memory.md.
/// </summary>
internal static class ShmCommands
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("shm", "Publish and attach record batches through shared memory on this host");
        command.Subcommands.Add(Publish(console));
        command.Subcommands.Add(PathOf(console));
        command.Subcommands.Add(Cat(console));
        command.Subcommands.Add(List(console));
        command.Subcommands.Add(Watch(console));
        command.Subcommands.Add(Stat(console));
        command.Subcommands.Add(BenchPeer(console));
        return command;
    }

    /// <summary>Adds <c>shm</c> to the <c>bench</c> command.</summary>
    public static Command AddBench(Command bench, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(bench);
        bench.Subcommands.Add(Bench(console));
        return bench;
    }

    private static Option<string?> ShmDirOption() => new("--shm-dir")
    {
        Description = $"Base folder of the stores (default ${ShmStoreOptions.DirectoryEnvironmentVariable}, else {ShmStoreOptions.DefaultBaseDirectoryPrefix}UID, the user's own)",
        HelpName = "DIR",
    };

    private static Option<string> StoreOption() => new("--store")
    {
        Description = "Store name (a folder under the base folder)",
        DefaultValueFactory = _ => ShmStoreOptions.DefaultStoreName,
        HelpName = "NAME",
    };

    private static Option<string[]> TagOption(string description) => new("--tag")
    {
        Description = description,
        HelpName = "KEY=VALUE",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Argument<string> CidArgument() => new("cid") { Description = "A batch CID (bafkrei…) or a chunked table's (bafyrei…)" };

    private static ShmStore OpenStore(ParseResult parse, Option<string?> dir, Option<string> store, long? capacity = null) =>
        CliErrors.About("shared-memory store", () => ShmStore.Open(new ShmStoreOptions
        {
            BaseDirectory = parse.GetValue(dir),
            StoreName = parse.GetValue(store)!,
            CapacityBytes = capacity,
        }));

    private static Command Publish(CliConsole console)
    {
        var files = new Argument<string[]>("files") { Description = "Arrow IPC files or streams (- for stdin)", Arity = ArgumentArity.OneOrMore };
        var tags = TagOption("Tag every published batch or table (repeatable)");
        var capacity = new Option<long?>("--capacity") { Description = "Evict least recently used segments to keep the store under this many bytes", HelpName = "BYTES" };
        var table = new Option<bool>("--table") { Description = "Publish all batches of each input as one table (one CID, one notice) instead of each batch as its own" };
        var dir = ShmDirOption();
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON array: each published batch or table with its notice's sequence" };
        var command = new Command("publish", "Publish every batch of the inputs (or each input as one table); prints 'batch <cid> <rows> <bytes>' for a one-chunk table, 'table <cid> <rows> <bytes> <chunks>' for a larger one") { files, tags, capacity, table, dir, store, json };
        command.SetAction(parse =>
        {
            var tagMap = ParseTags(parse.GetValue(tags));
            using var shm = OpenStore(parse, dir, store, parse.GetValue(capacity));
            using var array = parse.GetValue(json) ? new JsonArrayOutput(console.Out) : null;
            foreach (string path in parse.GetValue(files)!)
            {
                using var source = IpcSource.Open(path, console);
                if (parse.GetValue(table))
                {
                    using var writer = shm.CreateTableWriter(source.Schema, tagMap);
                    while (source.ReadNext() is { } batch)
                    {
                        using (batch)
                        {
                            writer.Add(batch);
                        }
                    }

                    PrintPublished(console, array, path, writer.Finish());
                    continue;
                }

                while (source.ReadNext() is { } batch)
                {
                    using (batch)
                    {
                        PrintPublished(console, array, path, shm.Publish(batch, tagMap));
                    }
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // 'batch' names one segment (a raw CID), 'table' a manifest root over several chunks.
    private static void PrintPublished(CliConsole console, JsonArrayOutput? array, string input, ShmPublishResult published)
    {
        bool batch = published.Cid.Codec == Multicodec.Raw;
        if (array is not null)
        {
            var totals = new TableTotals(published.Cid.ToString(), published.Rows, published.Bytes, published.Chunks, batch ? 0 : null);
            array.Add(WireJson.ToIndentedText(new ShmPublishReport(input, published.Sequence, totals), WireJsonContext.Default.ShmPublishReport));
            return;
        }

        console.Out.WriteLine(batch
            ? string.Create(CultureInfo.InvariantCulture, $"batch {published.Cid} {published.Rows} {published.Bytes}")
            : string.Create(CultureInfo.InvariantCulture, $"table {published.Cid} {published.Rows} {published.Bytes} {published.Chunks}"));
    }

    private static Command PathOf(CliConsole console)
    {
        var cid = CidArgument();
        var dir = ShmDirOption();
        var store = StoreOption();
        var command = new Command("path", "Print the segment file holding a batch, or each chunk's of a table in row order (any program can map them: each is a canonical Arrow IPC stream)") { cid, dir, store };
        command.SetAction(parse =>
        {
            var parsed = ParseCid(parse.GetValue(cid)!);
            using var shm = OpenStore(parse, dir, store);
            // A small batch lives in the store's arena: it gets a file of its own (copied once, verified).
            if (parsed.Codec == Multicodec.Raw)
            {
                console.Out.WriteLine(shm.SegmentFile(parsed));
                return ExitCodes.Ok;
            }

            foreach (var chunk in shm.OpenTable(parsed).Chunks)
            {
                console.Out.WriteLine(shm.SegmentFile(chunk.Cid));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cat(CliConsole console)
    {
        var cid = CidArgument();
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most N rows", HelpName = "N" };
        var dir = ShmDirOption();
        var store = StoreOption();
        var command = new Command("cat", "Attach a batch, or a table's chunks, (verified against their CIDs) and print them as tables") { cid, limit, dir, store };
        command.SetAction(parse =>
        {
            var parsed = ParseCid(parse.GetValue(cid)!);
            int? rowsLimit = parse.GetValue(limit);
            using var shm = OpenStore(parse, dir, store);
            if (parsed.Codec == Multicodec.Raw)
            {
                using var batch = shm.Attach(parsed);
                console.Out.WriteLine(ArrayPrinter.Format(batch, rowsLimit));
                return ExitCodes.Ok;
            }

            // A table: its chunks one at a time, each released before the next is attached.
            long printed = 0;
            int index = 0;
            using var chunks = shm.AttachChunks(parsed).GetEnumerator();
            while ((rowsLimit is null || printed < rowsLimit) && chunks.MoveNext())
            {
                using var chunk = chunks.Current;
                int rows = rowsLimit is null ? chunk.Length : (int)Math.Min(chunk.Length, rowsLimit.Value - printed);
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chunk {index}: {chunk.Length} rows"));
                console.Out.Write(ArrayPrinter.Format(chunk, rows));
                printed += rows;
                index++;
            }

            if (rowsLimit is not null && printed >= rowsLimit)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(stopped at --limit {rowsLimit})"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliConsole console)
    {
        var dir = ShmDirOption();
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON array of segments" };
        var command = new Command("ls", "List segments, least recently attached first: '<cid> <bytes> <last access> [pinned] [leased] [arena]'") { dir, store, json };
        command.SetAction(parse =>
        {
            using var shm = OpenStore(parse, dir, store);
            using var array = parse.GetValue(json) ? new JsonArrayOutput(console.Out) : null;
            foreach (var segment in shm.List())
            {
                if (array is not null)
                {
                    array.Add(WireJson.ToIndentedText(
                        new ShmSegmentEntry(segment.Cid.ToString(), segment.Bytes, new DateTimeOffset(segment.LastAccessUtc, TimeSpan.Zero), segment.Pinned, segment.Leased, segment.ArenaOffset is not null),
                        WireJsonContext.Default.ShmSegmentEntry));
                    continue;
                }

                string flags = (segment.Pinned ? " pinned" : string.Empty) + (segment.Leased ? " leased" : string.Empty) + (segment.ArenaOffset is null ? string.Empty : " arena");
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{segment.Cid} {segment.Bytes} {segment.LastAccessUtc:yyyy-MM-ddTHH:mm:ss.fffZ}{flags}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Watch(CliConsole console)
    {
        var tags = TagOption("Only notices carrying this tag (repeatable: all must match)");
        var from = new Option<long?>("--from") { Description = "Start after this sequence number (default: only new notices)", HelpName = "SEQ" };
        var count = new Option<long?>("--count") { Description = "Stop after N notices", HelpName = "N" };
        var dir = ShmDirOption();
        var store = StoreOption();
        var jsonLines = new Option<bool>("--jsonl") { Description = "Print one JSON object per notice per line (JSON Lines)" };
        var command = new Command("watch", "Print new CIDs as they are published: '<seq> <cid> <rows> <bytes> [tags]'") { tags, from, count, dir, store, jsonLines };
        command.SetAction((parse, cancellation) =>
        {
            var filter = ParseTags(parse.GetValue(tags));
            using var shm = OpenStore(parse, dir, store);
            var subscription = shm.Subscribe(parse.GetValue(from) ?? shm.PublishedSequence, filter);
            long left = parse.GetValue(count) ?? long.MaxValue;
            foreach (var notice in subscription.ReadAll(cancellation))
            {
                if (parse.GetValue(jsonLines))
                {
                    console.Out.WriteLine(WireJson.ToText(new ShmNoticeEntry(notice.Sequence, notice.Cid.ToString(), notice.Rows, notice.Bytes, WireJson.SortedTags(notice.Tags)), WireJsonContext.Default.ShmNoticeEntry));
                }
                else
                {
                    string tagText = notice.Tags.Count == 0 ? string.Empty : " " + string.Join(",", notice.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
                    console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{notice.Sequence} {notice.Cid} {notice.Rows} {notice.Bytes}{tagText}"));
                }

                console.Out.Flush();
                if (--left == 0)
                {
                    break;
                }
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command Stat(CliConsole console)
    {
        var dir = ShmDirOption();
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("stat", "Print the store's folder, segment count and bytes, pins, leases and newest sequence") { dir, store, json };
        command.SetAction(parse =>
        {
            using var shm = OpenStore(parse, dir, store);
            var stats = shm.Stats();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(new ShmStatSummary(stats.Directory, stats.Segments, stats.Bytes, stats.Pinned, stats.Leased, stats.PublishedSequence), WireJsonContext.Default.ShmStatSummary));
                return ExitCodes.Ok;
            }

            console.Out.WriteLine($"directory: {stats.Directory}");
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"segments: {stats.Segments}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes: {stats.Bytes}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pinned: {stats.Pinned}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"leased: {stats.Leased}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sequence: {stats.PublishedSequence}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BenchPeer(CliConsole console)
    {
        var dir = ShmDirOption();
        var store = StoreOption();
        var command = new Command("bench-peer", "The second process of 'arrowcid bench shm' (not for direct use)") { dir, store };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            ShmBenchmarkPeer.Run(new ShmStoreOptions { BaseDirectory = parse.GetValue(dir), StoreName = parse.GetValue(store)! }, console.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Bench(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines" };
        var dir = ShmDirOption();
        var roundTrips = new Option<int>("--round-trips") { Description = "1 KiB round trips timed", DefaultValueFactory = _ => 20_000, HelpName = "N" };
        var largeMib = new Option<int>("--attach-mib") { Description = "Size of the large attached batch in MiB (up to 2047)", DefaultValueFactory = _ => 1024, HelpName = "N" };
        var publishMib = new Option<int>("--publish-mib") { Description = "Size of each publish-throughput batch in MiB", DefaultValueFactory = _ => 256, HelpName = "N" };
        var command = new Command("shm", "Shared memory across two processes: round trips, notification latency, attach 1 GiB vs 1 KiB, publish vs SHA-256") { json, dir, roundTrips, largeMib, publishMib };
        command.SetAction(parse =>
        {
            var settings = new ShmBenchmarkSettings
            {
                BaseDirectory = parse.GetValue(dir),
                RoundTrips = Math.Max(2, parse.GetValue(roundTrips)),
                LargeAttachBytes = Math.Clamp(parse.GetValue(largeMib), 1, 2047) * (1L << 20),
                PublishBatchBytes = Math.Clamp(parse.GetValue(publishMib), 1, 2047) * (1L << 20),
            };
            var result = ShmBenchmark.Run(settings, PeerStart);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Report(result), WireJsonContext.Default.ShmReport));
            }
            else
            {
                PrintLines(console.Out, result);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static ProcessStartInfo PeerStart(IReadOnlyList<string> peerArguments) => SelfProcess.StartInfo(["shm", "bench-peer", .. peerArguments]);

    private static ShmReport Report(ShmBenchmarkResult r) => new(
        Round(r.RoundTripsPerSecond1KiB),
        r.RoundTrips,
        Round(r.PublisherCpuMicrosecondsPerRoundTrip),
        Round(r.PeerCpuMicrosecondsPerRoundTrip),
        Round(r.NotifyP50Microseconds),
        Round(r.NotifyP99Microseconds),
        Round(r.AttachSmallMicroseconds),
        Round(r.AttachLargeMicroseconds),
        Round(r.AttachRatio),
        Round(r.AttachReadGbps),
        Round(r.AttachReadVerifiedGbps),
        r.AttachSmallBytes,
        r.AttachLargeBytes,
        r.AttachLargeChunks,
        Round(r.PublishGbps),
        Round(r.Sha256Gbps),
        r.PublishBatchBytes,
        Round(r.PublishRatio),
        Round(r.Sha256OneThreadGbps),
        Round(r.PublishRatioOneThread),
        r.RoundTripGoalMet,
        r.RoundTripCpuGoalMet,
        r.NotifyGoalMet,
        r.AttachGoalMet,
        r.PublishGoalMet);

    private static void PrintLines(TextWriter output, ShmBenchmarkResult r)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round trips, 1 KiB (publish here, attach+verify in the peer): {r.RoundTripsPerSecond1KiB:0} /s over {r.RoundTrips} — goal >= 150000: {Goal(r.RoundTripGoalMet)}; CPU per round trip: publisher {r.PublisherCpuMicrosecondsPerRoundTrip:0.0} us, peer {r.PeerCpuMicrosecondsPerRoundTrip:0.0} us — goal <= 3 each: {Goal(r.RoundTripCpuGoalMet)}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"notification latency (publish to wake-up in the peer): p50 {r.NotifyP50Microseconds:0.0} us, p99 {r.NotifyP99Microseconds:0.0} us — goal <= 20 / <= 100: {Goal(r.NotifyGoalMet)}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zero-copy attach: {r.AttachSmallBytes} B in {r.AttachSmallMicroseconds:0.0} us; {r.AttachLargeBytes} B ({r.AttachLargeChunks} chunks, mapped as read) in {r.AttachLargeMicroseconds:0.0} us, ratio {r.AttachRatio:0.00} — goal <= 1.5: {Goal(r.AttachGoalMet)}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"attach and read every value: {r.AttachReadGbps:0.00} GB/s trusted, {r.AttachReadVerifiedGbps:0.00} GB/s with every chunk re-hashed"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"publish {r.PublishBatchBytes} B batches: {r.PublishGbps:0.000} GB/s vs SHA-256 on {Environment.ProcessorCount} threads, as a publish uses, {r.Sha256Gbps:0.000} GB/s, ratio {r.PublishRatio:0.00} — goal >= 0.6: {Goal(r.PublishGoalMet)} (one thread's: {r.Sha256OneThreadGbps:0.000} GB/s, ratio {r.PublishRatioOneThread:0.00})"));
    }

    private static string Goal(bool met) => met ? "met" : "MISSED";

    private static double Round(double value) => Math.Round(value, 3);

    private static Cid ParseCid(string text)
    {
        Cid cid;
        try
        {
            cid = Cid.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliException($"'{text}' is not a CID: {e.Message}", e);
        }

        return cid.Codec is Multicodec.Raw or Multicodec.DagCbor && cid.Hash.Code == Multicodec.Sha2256
            ? cid
            : throw new CliException($"{cid}: the store holds batches (raw sha2-256 CIDs, bafkrei…) and tables (dag-cbor, bafyrei…)");
    }

    private static Dictionary<string, string>? ParseTags(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0)
        {
            return null;
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--tag {pair}: expected KEY=VALUE");
            }

            tags[pair[..equals]] = pair[(equals + 1)..];
        }

        return tags;
    }
}
