namespace ArrowCid.Node;

/// <summary>
/// Gives a serving process's memory back after a burst. The collector frees large buffers (an
/// upload's decoded pages, a chunker's row hashes) only when the large-object budget runs out, and
/// keeps what it freed committed for the next burst: a node that answered a few large requests in a
/// row held each one's buffers at once and grew by all of them (the abuse suite's node went past
/// 512 MiB that way, from bursts of under 100 MiB each). Once a period this looks at what the heap
/// holds beyond what the last full collection left alive; at <see cref="Threshold"/> or more it runs
/// one aggressive full collection, which compacts and decommits what is free. A steady load pays
/// one full collection per <see cref="Threshold"/> of long-lived growth, no more than once a period.
/// </summary>
public sealed class MemoryTrimmer : IDisposable
{
    /// <summary>Bytes held beyond the last full collection's live heap that start a collection.</summary>
    public const long Threshold = 64L << 20;

    /// <summary>How often the heap is looked at.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly IHeap _heap;
    private readonly ITimer _timer;
    private int _checking;

    /// <summary>Starts trimming this process's heap once a <see cref="Period"/>, until disposed.</summary>
    public MemoryTrimmer()
        : this(RuntimeHeap.Instance, TimeProvider.System)
    {
    }

    internal MemoryTrimmer(IHeap heap, TimeProvider clock)
    {
        _heap = heap;
        _timer = clock.CreateTimer(static s => ((MemoryTrimmer)s!).Check(), this, Period, Period);
    }

    /// <summary>Full collections this trimmer ran.</summary>
    public int Collections { get; private set; }

    /// <summary>Looks once: collects when the heap holds <see cref="Threshold"/> or more beyond what the last full collection kept. Returns whether it collected.</summary>
    internal bool Check()
    {
        // A collection slower than the period must not be overlapped by the next look.
        if (Interlocked.Exchange(ref _checking, 1) == 1)
        {
            return false;
        }

        try
        {
            if (_heap.Held - _heap.LiveAfterFullCollection < Threshold)
            {
                return false;
            }

            _heap.CollectAggressively();
            Collections++;
            return true;
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();

    /// <summary>What the trimmer reads of a heap and does to it (the runtime's, or a test's).</summary>
    internal interface IHeap
    {
        /// <summary>Bytes the heap holds now, live or not yet collected.</summary>
        long Held { get; }

        /// <summary>Bytes the last full collection left alive (0 before the first).</summary>
        long LiveAfterFullCollection { get; }

        /// <summary>Runs a blocking, compacting full collection that decommits what is free.</summary>
        void CollectAggressively();
    }

    private sealed class RuntimeHeap : IHeap
    {
        public static readonly RuntimeHeap Instance = new();

        public long Held => GC.GetTotalMemory(forceFullCollection: false);

        // Every full collection of a serving process blocks (ConcurrentGarbageCollection is off).
        public long LiveAfterFullCollection => GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;

        public void CollectAggressively() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
