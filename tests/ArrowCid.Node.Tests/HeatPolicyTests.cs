using ArrowCid.Node;

namespace ArrowCid.Node.Tests;

/// <summary>The cache's replacement policy: W-TinyLFU weighed in bytes.</summary>
public sealed class HeatPolicyTests
{
    [Fact]
    public void Victims_bring_the_resident_bytes_within_the_capacity_and_a_newcomer_used_no_more_than_the_oldest_goes()
    {
        // Blocks of 30 bytes each pass the window (1 byte) straight onto probation, 4 the newest.
        var policy = new HeatPolicy<int>(capacity: 100);
        for (int i = 0; i < 5; i++)
        {
            policy.Admit(i, 30);
        }

        var victims = policy.Victims().ToList();
        Assert.Equal([(4, 30L), (3, 30L)], victims);
        Assert.Equal(90, policy.ResidentBytes);
        Assert.True(policy.Contains(0));
        Assert.False(policy.Contains(4));
        Assert.Empty(policy.Victims());

        // Read again after its eviction, 4 has been used more than the oldest, 0, which goes instead.
        policy.Admit(4, 30);
        Assert.Equal([(0, 30L)], policy.Victims().ToList());
        Assert.True(policy.Contains(4));
    }

    [Fact]
    public void A_scan_of_blocks_read_once_does_not_evict_the_blocks_read_again()
    {
        var policy = new HeatPolicy<int>(capacity: 10);
        // Ten hot blocks fill half the cache: each read twice, so in the frequency list.
        for (int i = 0; i < 5; i++)
        {
            policy.Admit(i, 1);
            Assert.True(policy.Touch(i));
        }

        // A scan of a thousand blocks, each read once, the cache evicting as it goes.
        for (int i = 1000; i < 2000; i++)
        {
            policy.Admit(i, 1);
            _ = policy.Victims().ToList();
        }

        // Every hot block is still here: a plain LRU would have lost them all.
        Assert.All(Enumerable.Range(0, 5), i => Assert.True(policy.Contains(i), $"hot block {i} evicted by a scan"));
        Assert.True(policy.ResidentBytes <= 10);
    }

    [Fact]
    public void Blocks_admitted_together_and_used_as_often_go_the_last_admitted_first()
    {
        // What BlockCache.Load relies on: it admits the files on disk newest first, so that the
        // oldest file, admitted last, is the first to go when they exceed the capacity.
        var policy = new HeatPolicy<string>(capacity: 300);
        foreach (string file in new[] { "newest", "newer", "older", "oldest" })
        {
            policy.Admit(file, 100);
        }

        Assert.Equal([("oldest", 100L)], policy.Victims().ToList());
        policy.Admit("another", 100);
        Assert.Equal([("another", 100L)], policy.Victims().ToList());
        Assert.True(policy.Contains("newest"));
    }

    [Fact]
    public void A_new_block_used_less_than_the_oldest_on_probation_is_the_one_evicted()
    {
        // A window of one block, then the main space: "a" is used three times while in the window.
        var policy = new HeatPolicy<string>(capacity: 3);
        policy.Admit("a", 1);
        Assert.True(policy.Touch("a"));
        Assert.True(policy.Touch("a"));
        policy.Admit("b", 1);
        policy.Admit("c", 1);
        Assert.Empty(policy.Victims());

        // "d" pushes "c" on probation, as its newest; its oldest is "a", used more: "c" goes, and
        // so does every block used once after it, where a plain LRU would evict "a" first.
        policy.Admit("d", 1);
        Assert.Equal([("c", 1L)], policy.Victims().ToList());
        policy.Admit("e", 1);
        Assert.Equal([("d", 1L)], policy.Victims().ToList());
        Assert.True(policy.Contains("a"));
        Assert.True(policy.Contains("b"));
        Assert.True(policy.Contains("e"));
    }

    [Fact]
    public void A_held_block_is_never_a_victim_nor_counted_and_a_released_one_is_the_next_victim()
    {
        var policy = new HeatPolicy<int>(capacity: 2);
        policy.Admit(1, 1);
        policy.Admit(2, 1);
        policy.Hold(1, 1);
        policy.Admit(3, 1);
        policy.Admit(4, 1);
        Assert.Equal([(3, 1L)], policy.Victims().ToList());
        Assert.Equal(1, policy.HeldBytes);
        Assert.True(policy.Contains(1));

        policy.Release(1);
        Assert.Equal([(1, 1L)], policy.Victims().ToList());
        Assert.Equal(0, policy.HeldBytes);
    }

    [Fact]
    public void A_forgotten_block_leaves_the_policy_and_its_bytes_with_it()
    {
        var policy = new HeatPolicy<int>(capacity: 10);
        policy.Admit(1, 6);
        policy.Admit(2, 4);
        policy.Forget(1);
        Assert.Equal(4, policy.ResidentBytes);
        Assert.False(policy.Contains(1));
        Assert.False(policy.Touch(1));
        Assert.Empty(policy.Victims());
    }

    [Fact]
    public void On_a_skewed_read_mix_the_hit_ratio_is_near_the_offline_optimum()
    {
        // Zipf(1) reads over 1,000 blocks of one size, a cache of 100: the figure bench s3 reports
        // (cache_hit_ratio against Belady's optimum), here with a fixed seed.
        var reads = HeatSimulation.ZipfReads(blocks: 1000, reads: 50_000, exponent: 1.0, seed: 66);
        double policy = HeatSimulation.HitRatio(reads, capacity: 100);
        double optimum = HeatSimulation.OptimalHitRatio(reads, capacity: 100);
        Assert.True(policy <= optimum + 1e-9, $"policy {policy} above the optimum {optimum}");
        Assert.True(policy >= 0.88 * optimum, $"policy {policy}, optimum {optimum}");
    }
}
