using System.CommandLine;

namespace ArrowCid.Samples.Consumer;

/// <summary>What the consumer was asked to do.</summary>
internal sealed record ConsumerOptions
{
    public string? ShmDirectory { get; init; }

    public string Store { get; init; } = "default";

    /// <summary>Where to start when the cursor file does not exist yet (or there is none): after this sequence number; null: after the latest.</summary>
    public long? From { get; init; }

    public long Count { get; init; } = long.MaxValue;

    public string? CursorFile { get; init; }

    /// <summary>Keep every attached batch (and so its lease) until killed: for lease tests.</summary>
    public bool Hold { get; init; }

    public bool Quiet { get; init; }

    public bool Sql { get; init; } = true;

    /// <summary>Stop (exit 0) after this many seconds without a notification (0: wait forever).</summary>
    public int IdleExitSeconds { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>The consumer's command line (<see cref="SampleCommandLine"/>).</summary>
internal static class ConsumerArguments
{
    public static int Run(string[] args, Func<ConsumerOptions, int> run)
    {
        var shmDir = new Option<string?>("--shm-dir") { Description = "Base folder of shared-memory stores (default: /dev/shm/arrowcid-UID, the user's own)", HelpName = "DIR" };
        var store = new Option<string>("--store") { Description = "Store name", DefaultValueFactory = _ => "default", HelpName = "NAME" };
        var from = SampleCommandLine.NonNegative(new Option<long?>("--from") { Description = "Start after this sequence number when the cursor file does not exist yet (default: after the latest)", HelpName = "SEQ" });
        var count = SampleCommandLine.NonNegative(new Option<long>("--count") { Description = "Stop after this many notifications (default: never)", DefaultValueFactory = _ => long.MaxValue, HelpName = "N" });
        var cursor = new Option<string?>("--cursor-file") { Description = "Where the position is saved after each notification; a restart resumes after it (it wins over --from)", HelpName = "FILE" };
        var tags = SampleCommandLine.TagOption("Only notifications carrying KEY=VALUE (repeatable)");
        var hold = new Option<bool>("--hold") { Description = "Keep every attached batch (its lease) until killed" };
        var quiet = new Option<bool>("--quiet") { Description = "Print one line per notification, not its rows" };
        var noSql = new Option<bool>("--no-sql") { Description = "Do not query the batches with DuckDB" };
        var idle = SampleCommandLine.NonNegative(new Option<int>("--idle-exit-s") { Description = "Exit 0 after this many seconds without a notification (0: wait forever)", HelpName = "S" });
        var root = new RootCommand("Follows a shared-memory store's notifications, attaches each batch zero-copy (verified against its CID), prints it and queries it with DuckDB (docs/shared-memory.md)")
        {
            shmDir, store, from, count, cursor, tags, hold, quiet, noSql, idle,
        };
        root.SetAction(parse => run(new ConsumerOptions
        {
            ShmDirectory = parse.GetValue(shmDir),
            Store = parse.GetRequiredValue(store),
            From = parse.GetValue(from),
            Count = parse.GetValue(count),
            CursorFile = parse.GetValue(cursor),
            Tags = SampleCommandLine.Tags(parse.GetValue(tags)),
            Hold = parse.GetValue(hold),
            Quiet = parse.GetValue(quiet),
            Sql = !parse.GetValue(noSql),
            IdleExitSeconds = parse.GetValue(idle),
        }));
        return SampleCommandLine.Invoke(root, args);
    }
}
