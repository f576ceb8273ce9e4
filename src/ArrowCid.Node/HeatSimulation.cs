namespace ArrowCid.Node;

/// <summary>
/// How <see cref="HeatPolicy{TKey}"/> is judged (issue 66's <c>cache_hit_ratio</c>): its hit ratio
/// on a read mix of blocks of one size, against the offline optimum on the same mix (Belady's:
/// on a miss, evict the block read again furthest in the future).
/// </summary>
public static class HeatSimulation
{
    /// <summary>A skewed read mix: <paramref name="reads"/> reads of blocks 0 to <paramref name="blocks"/> − 1, block r read with weight 1/(r+1)^exponent (Zipf).</summary>
    public static int[] ZipfReads(int blocks, int reads, double exponent, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(reads);
        var cumulative = new double[blocks];
        double total = 0;
        for (int rank = 0; rank < blocks; rank++)
        {
            total += 1 / Math.Pow(rank + 1, exponent);
            cumulative[rank] = total;
        }

        // A fixed seed: the same mix in every run, so the ratio is the policy's, not the draw's.
#pragma warning disable CA5394 // not security: a reproducible workload
        var random = new Random(seed);
        var mix = new int[reads];
        for (int i = 0; i < reads; i++)
        {
            int found = Array.BinarySearch(cumulative, random.NextDouble() * total);
            mix[i] = found >= 0 ? found : Math.Min(~found, blocks - 1);
        }
#pragma warning restore CA5394

        return mix;
    }

    /// <summary>The share of <paramref name="reads"/> that a <see cref="HeatPolicy{TKey}"/> of <paramref name="capacity"/> blocks (each of size 1) serves as hits.</summary>
    public static double HitRatio(IReadOnlyList<int> reads, int capacity)
    {
        ArgumentNullException.ThrowIfNull(reads);
        var policy = new HeatPolicy<int>(capacity);
        long hits = 0;
        foreach (int block in reads)
        {
            if (policy.Touch(block))
            {
                hits++;
                continue;
            }

            policy.Admit(block, 1);
            foreach (var _ in policy.Victims())
            {
            }
        }

        return reads.Count == 0 ? 0 : (double)hits / reads.Count;
    }

    /// <summary>The best hit ratio any cache of <paramref name="capacity"/> blocks reaches on <paramref name="reads"/>, knowing them all in advance.</summary>
    public static double OptimalHitRatio(IReadOnlyList<int> reads, int capacity)
    {
        ArgumentNullException.ThrowIfNull(reads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        // For each read, where the same block is read next (int.MaxValue: never again).
        var nextUse = new int[reads.Count];
        var seen = new Dictionary<int, int>();
        for (int i = reads.Count - 1; i >= 0; i--)
        {
            nextUse[i] = seen.TryGetValue(reads[i], out int next) ? next : int.MaxValue;
            seen[reads[i]] = i;
        }

        // Resident blocks by their next read, furthest last; a block's entry changes as it is read.
        var byNextUse = new SortedSet<(int Next, int Block)>();
        var residentNext = new Dictionary<int, int>();
        long hits = 0;
        for (int i = 0; i < reads.Count; i++)
        {
            int block = reads[i];
            if (residentNext.TryGetValue(block, out int was))
            {
                hits++;
                byNextUse.Remove((was, block));
            }
            else if (residentNext.Count == capacity)
            {
                var furthest = byNextUse.Max;
                if (nextUse[i] >= furthest.Next)
                {
                    // Read again later than anything resident (or never): the optimum does not keep it.
                    continue;
                }

                byNextUse.Remove(furthest);
                residentNext.Remove(furthest.Block);
            }

            residentNext[block] = nextUse[i];
            byNextUse.Add((nextUse[i], block));
        }

        return reads.Count == 0 ? 0 : (double)hits / reads.Count;
    }
}
