using ArrowCid.TestSupport;

namespace ArrowCid.Node.Tests;

public sealed class MemoryTrimmerTests
{
    /// <summary>A heap the test sets: what it holds, what the last full collection kept, and what a collection leaves.</summary>
    private sealed class ScriptedHeap : MemoryTrimmer.IHeap
    {
        public long Held { get; set; }

        public long LiveAfterFullCollection { get; set; }

        public long LiveAfterNextCollection { get; set; }

        public int Collections { get; private set; }

        public void CollectAggressively()
        {
            Collections++;
            LiveAfterFullCollection = LiveAfterNextCollection;
            Held = LiveAfterNextCollection;
        }
    }

    [Fact]
    public void A_heap_that_grew_by_the_threshold_past_its_last_full_collection_is_collected_on_the_next_period()
    {
        var clock = new ManualTimeProvider();
        var heap = new ScriptedHeap { Held = 100L << 20, LiveAfterFullCollection = 100L << 20, LiveAfterNextCollection = 100L << 20 };
        using var trimmer = new MemoryTrimmer(heap, clock);

        // Growth below the threshold: looked at every period, never collected.
        heap.Held += MemoryTrimmer.Threshold - 1;
        clock.Advance(MemoryTrimmer.Period * 3);
        Assert.Equal(0, heap.Collections);

        // At the threshold: one collection on the next look, none before it.
        heap.Held += 1;
        Assert.Equal(0, heap.Collections);
        clock.Advance(MemoryTrimmer.Period);
        Assert.Equal(1, heap.Collections);
        Assert.Equal(1, trimmer.Collections);

        // What the collection freed is the new base: looks after it collect nothing more.
        clock.Advance(MemoryTrimmer.Period * 3);
        Assert.Equal(1, heap.Collections);
    }

    [Fact]
    public void Long_lived_growth_is_measured_from_what_the_last_full_collection_kept()
    {
        var clock = new ManualTimeProvider();
        var heap = new ScriptedHeap { Held = 10L << 20, LiveAfterFullCollection = 10L << 20 };

        using var trimmer = new MemoryTrimmer(heap, clock);

        // The heap grows by the threshold and all of it stays alive: one collection, which
        // raises the base, so the same heap is not collected again and again.
        heap.LiveAfterNextCollection = heap.Held = (10L << 20) + MemoryTrimmer.Threshold;
        clock.Advance(MemoryTrimmer.Period);
        Assert.Equal(1, heap.Collections);
        clock.Advance(MemoryTrimmer.Period * 5);
        Assert.Equal(1, heap.Collections);

        // A full collection the runtime ran by itself moves the base too.
        heap.Held += MemoryTrimmer.Threshold;
        heap.LiveAfterFullCollection = heap.Held;
        clock.Advance(MemoryTrimmer.Period);
        Assert.Equal(1, heap.Collections);
    }

    [Fact]
    public void Once_disposed_it_looks_no_more()
    {
        var clock = new ManualTimeProvider();
        var heap = new ScriptedHeap { Held = 1L << 30 };
        var trimmer = new MemoryTrimmer(heap, clock);
        trimmer.Dispose();
        clock.Advance(MemoryTrimmer.Period * 2);
        Assert.Equal(0, heap.Collections);
    }
}
