using System.Globalization;

namespace ArrowCid.Samples.Consumer;

/// <summary>
/// The consumer's command line: <c>[--shm-dir DIR] [--store NAME] [--from SEQ] [--count N]
/// [--tag k=v]… [--cursor-file FILE] [--hold] [--quiet] [--no-sql] [--idle-exit-s S]</c>.
/// </summary>
internal sealed class ConsumerArguments
{
    public string? ShmDirectory { get; private set; }

    public string Store { get; private set; } = "default";

    public long? From { get; private set; }

    public long Count { get; private set; } = long.MaxValue;

    public string? CursorFile { get; private set; }

    /// <summary>Keep every attached batch (and so its lease) until killed: for lease tests.</summary>
    public bool Hold { get; private set; }

    public bool Quiet { get; private set; }

    public bool Sql { get; private set; } = true;

    /// <summary>Stop (exit 0) after this many seconds without a notification (0: wait forever).</summary>
    public int IdleExitSeconds { get; private set; }

    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    public static ConsumerArguments Parse(string[] args)
    {
        var parsed = new ConsumerArguments();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--hold": parsed.Hold = true; continue;
                case "--quiet": parsed.Quiet = true; continue;
                case "--no-sql": parsed.Sql = false; continue;
            }

            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--shm-dir": parsed.ShmDirectory = value; break;
                case "--store": parsed.Store = value; break;
                case "--from": parsed.From = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--count": parsed.Count = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--cursor-file": parsed.CursorFile = value; break;
                case "--idle-exit-s": parsed.IdleExitSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--tag":
                    string[] pair = value.Split('=', 2);
                    parsed.Tags[pair[0]] = pair.Length == 2 ? pair[1] : throw new ArgumentException($"--tag {value}: expected key=value");
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return parsed;
    }
}
