using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>A store in a fresh folder under /dev/shm (tmpfs, like production), deleted afterwards.</summary>
public sealed class TempStore : IDisposable
{
    public TempStore()
    {
        BaseDirectory = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "arrowcid-shm-tests-" + Guid.NewGuid().ToString("N"));
    }

    public string BaseDirectory { get; }

    /// <summary>Slots of a test arena: 32 sets of 8, small enough to fill in a test.</summary>
    public const int ArenaSlots = 256;

    /// <summary>Slots of the test stores' small arena (2 KiB slots, where the test batches go first): 8 sets of 8.</summary>
    public const int SmallArenaSlots = 64;

    /// <summary>
    /// Options of the test store. Without <paramref name="arena"/> every batch gets a segment file
    /// of its own (the tests of that path); with it, small batches go to a small arena.
    /// </summary>
    public ShmStoreOptions Options(long? capacity = null, SegmentVerification verification = SegmentVerification.Full, bool arena = false) =>
        new()
        {
            BaseDirectory = BaseDirectory,
            StoreName = "test",
            CapacityBytes = capacity,
            Verification = verification,
            ArenaSlotBytes = arena ? ShmStoreOptions.DefaultArenaSlotBytes : 0,
            ArenaSlots = ArenaSlots,
            ArenaSmallSlots = SmallArenaSlots,
        };

    public ShmStore Open(long? capacity = null, SegmentVerification verification = SegmentVerification.Full, bool arena = false) =>
        ShmStore.Open(Options(capacity, verification, arena));

    public void Dispose()
    {
        if (Directory.Exists(BaseDirectory))
        {
            Directory.Delete(BaseDirectory, recursive: true);
        }
    }
}

/// <summary>Small batches whose content depends on a seed, so each seed has its own CID.</summary>
internal static class Batches
{
    public static readonly Schema Schema = new([new Field("id", ArrowType.Int64), new Field("name", ArrowType.Utf8)]);

    public static RecordBatch Make(int seed, int rows = 16)
    {
        var builder = new RecordBatchBuilder(Schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow((long)seed * 1000 + i, i % 5 == 0 ? null : $"row {i} of {seed}");
        }

        return builder.Build();
    }

    public static Dictionary<string, string> Tags(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
}

/// <summary>Changing a segment's bytes in place, as damage from outside would.</summary>
internal static class SegmentFiles
{
    public static void Rewrite(string path, Action<byte[]> change)
    {
        byte[] bytes = File.ReadAllBytes(path);
        change(bytes);
        File.WriteAllBytes(path, bytes);
    }
}
