using System.Globalization;

namespace ArrowCid.Samples.Producer;

/// <summary>The producer's command line: <c>[--shm-dir DIR] [--store NAME] [--count N] [--duration-s S] [--interval-ms MS] [--rows N] [--seed N] [--capacity BYTES] [--tag k=v]…</c>.</summary>
internal sealed class ProducerArguments
{
    public string? ShmDirectory { get; private set; }

    public string Store { get; private set; } = "default";

    public int Count { get; private set; } = 10;

    /// <summary>Stop after this many seconds even if fewer than <see cref="Count"/> batches were published (0: no limit).</summary>
    public int DurationSeconds { get; private set; }

    public int IntervalMs { get; private set; } = 500;

    public int Rows { get; private set; } = 1000;

    public long Seed { get; private set; }

    public long? Capacity { get; private set; }

    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    public static ProducerArguments Parse(string[] args)
    {
        var parsed = new ProducerArguments();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--shm-dir": parsed.ShmDirectory = value; break;
                case "--store": parsed.Store = value; break;
                case "--count": parsed.Count = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--duration-s": parsed.DurationSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--interval-ms": parsed.IntervalMs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rows": parsed.Rows = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seed": parsed.Seed = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--capacity": parsed.Capacity = long.Parse(value, CultureInfo.InvariantCulture); break;
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
