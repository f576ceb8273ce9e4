using ArrowCid.Node;

namespace ArrowCid.Node.Tests;

/// <summary>The cache's replacement policy: adaptive replacement weighed in bytes.</summary>
public sealed class HeatPolicyTests
{
    [Fact]
    public void Victims_bring_the_resident_bytes_within_the_capacity_least_recent_first()
    {
        var policy = new HeatPolicy<int>(capacity: 100);
        for (int i = 0; i < 5; i++)
        {
            policy.Admit(i, 30);
        }

        var victims = policy.Victims().ToList();
        Assert.Equal([(0, 30L), (1, 30L)], victims);
        Assert.Equal(90, policy.ResidentBytes);
        Assert.False(policy.Contains(0));
        Assert.True(policy.Contains(4));
        Assert.Empty(policy.Victims());
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
    public void A_block_read_again_after_its_eviction_returns_as_frequent_and_shifts_the_split_towards_recency()
    {
        var policy = new HeatPolicy<string>(capacity: 3);
        policy.Admit("a", 1);
        policy.Admit("b", 1);
        policy.Admit("c", 1);
        policy.Admit("d", 1);
        Assert.Equal([("a", 1L)], policy.Victims().ToList());

        // "a" is a ghost of the recency list: read again, it is admitted as frequent.
        Assert.False(policy.Touch("a"));
        policy.Admit("a", 1);
        var victims = policy.Victims().ToList();
        Assert.Equal([("b", 1L)], victims);
        Assert.True(policy.Contains("a"));
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
        Assert.Equal([(2, 1L)], policy.Victims().ToList());
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
        double arc = HeatSimulation.HitRatio(reads, capacity: 100);
        double optimum = HeatSimulation.OptimalHitRatio(reads, capacity: 100);
        Assert.True(arc <= optimum + 1e-9, $"ARC {arc} above the optimum {optimum}");
        Assert.True(arc >= 0.8 * optimum, $"ARC {arc}, optimum {optimum}");
    }
}
