using System.CommandLine;

namespace ArrowCid.Samples.Producer;

/// <summary>What the producer was asked to do.</summary>
internal sealed record ProducerOptions
{
    public string? ShmDirectory { get; init; }

    public string Store { get; init; } = "default";

    public int Count { get; init; } = 10;

    /// <summary>Stop after this many seconds even if fewer than <see cref="Count"/> batches were published (0: no limit).</summary>
    public int DurationSeconds { get; init; }

    public int IntervalMs { get; init; } = 500;

    public int Rows { get; init; } = 1000;

    public long Seed { get; init; }

    public long? Capacity { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>The producer's command line (<see cref="SampleCommandLine"/>).</summary>
internal static class ProducerArguments
{
    public static int Run(string[] args, Func<ProducerOptions, int> run)
    {
        var shmDir = new Option<string?>("--shm-dir") { Description = "Base folder of shared-memory stores (default: /dev/shm/arrowcid-UID, the user's own)", HelpName = "DIR" };
        var store = new Option<string>("--store") { Description = "Store name", DefaultValueFactory = _ => "default", HelpName = "NAME" };
        var count = SampleCommandLine.NonNegative(new Option<int>("--count") { Description = "Batches to publish", DefaultValueFactory = _ => 10, HelpName = "N" });
        var duration = SampleCommandLine.NonNegative(new Option<int>("--duration-s") { Description = "Stop after this many seconds even if fewer batches were published (0: no limit)", HelpName = "S" });
        var interval = SampleCommandLine.NonNegative(new Option<int>("--interval-ms") { Description = "Pause between batches", DefaultValueFactory = _ => 500, HelpName = "MS" });
        var rows = SampleCommandLine.NonNegative(new Option<int>("--rows") { Description = "Rows per batch", DefaultValueFactory = _ => 1000, HelpName = "N" });
        var seed = new Option<long>("--seed") { Description = "First batch's seed (each batch, so each CID, is distinct)", HelpName = "N" };
        var capacity = new Option<long?>("--capacity") { Description = "Store capacity in bytes when it is created", HelpName = "BYTES" };
        var tags = SampleCommandLine.TagOption("A KEY=VALUE tag on every batch (repeatable)");
        var root = new RootCommand("Publishes batches of sensor readings into a shared-memory store, one every --interval-ms, and prints one line per batch (docs/shared-memory.md)")
        {
            shmDir, store, count, duration, interval, rows, seed, capacity, tags,
        };
        root.SetAction(parse => run(new ProducerOptions
        {
            ShmDirectory = parse.GetValue(shmDir),
            Store = parse.GetRequiredValue(store),
            Count = parse.GetValue(count),
            DurationSeconds = parse.GetValue(duration),
            IntervalMs = parse.GetValue(interval),
            Rows = parse.GetValue(rows),
            Seed = parse.GetValue(seed),
            Capacity = parse.GetValue(capacity),
            Tags = SampleCommandLine.Tags(parse.GetValue(tags)),
        }));
        return SampleCommandLine.Invoke(root, args);
    }
}
