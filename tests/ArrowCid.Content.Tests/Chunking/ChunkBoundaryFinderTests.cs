using ArrowCid.Content.Chunking;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The boundary finder against the rule applied one row at a time (<see cref="ChunkingParameters.EndsBefore"/>
/// and <see cref="ChunkingParameters.EndsAfter"/>): its quick paths (a row, or eight at a time,
/// below the minimum, between minimum and target, past the target) must cut exactly where the
/// general test does, thresholds hit exactly included, whatever the row
/// sizes (zero, tiny, straddling a band's edge, larger than the target) and however the rows are
/// split into spans.
/// </summary>
public class ChunkBoundaryFinderTests
{
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(3, false, false)]
    [InlineData(4, true, false)]
    [InlineData(5, false, true)]
    [InlineData(6, true, true)]
    public void Boundaries_equal_the_rule_applied_row_by_row(int seed, bool small, bool onlyFull)
    {
        // onlyFull: no hash is ever below a threshold, so every chunk ends full (at the largest nominal size).
        var rule = small ? Chunked.Small : ChunkingParameters.Default;
        var random = new Random(seed);
        int rows = 200_000;
        var rolling = new ulong[rows];
        var bits = new long[rows];
        long typical = rule.TargetBits / (small ? 40 : 4000);
        for (int i = 0; i < rows; i++)
        {
            // Mostly rows of one size (as in a table of fixed-width columns), some of none, some
            // wide enough to straddle the minimum or the target, now and then one past the target.
            bits[i] = random.Next(20) switch
            {
                0 => 0,
                1 => random.NextInt64(rule.TargetBits / 3),
                2 when random.Next(50) == 0 => rule.TargetBits + random.NextInt64(rule.TargetBits),
                _ => typical,
            };
            // Rolling hashes small enough now and then to cut inside the bands, and some at the
            // band's threshold for the row exactly (one below, at, one above).
            rolling[i] = random.Next(10) switch
            {
                0 or 1 => (ulong)random.NextInt64() >> random.Next(10, 30),
                3 => unchecked(((ulong)bits[i] << rule.ShiftBeforeTarget) + (ulong)(random.Next(3) - 1)),
                4 => unchecked(((ulong)bits[i] << rule.ShiftAfterTarget) + (ulong)(random.Next(3) - 1)),
                _ => (ulong)random.NextInt64() << 1,
            };
            rolling[i] = onlyFull ? ulong.MaxValue : rolling[i];
        }

        Assert.Equal(Reference(rule, rolling, bits), Found(rule, rolling, bits, random));
    }

    private static List<int> Found(ChunkingParameters rule, ulong[] rolling, long[] bits, Random random)
    {
        var finder = new ChunkBoundaryFinder(rule);
        var cuts = new List<int>();
        int at = 0;
        while (at < rolling.Length)
        {
            // Spans of random lengths: a cut must not depend on where they split the rows.
            int length = Math.Min(rolling.Length - at, 1 + random.Next(5000));
            int taken = finder.FindBoundary(rolling.AsSpan(at, length), bits.AsSpan(at, length));
            if (taken < 0)
            {
                at += length;
                continue;
            }

            at += taken;
            cuts.Add(at);
        }

        return cuts;
    }

    private static List<int> Reference(ChunkingParameters rule, ulong[] rolling, long[] bits)
    {
        var cuts = new List<int>();
        int rows = 0;
        long size = 0;
        for (int j = 0; j < rolling.Length; j++)
        {
            if (rule.EndsBefore(rows, size, bits[j]))
            {
                cuts.Add(j);
                rows = 0;
                size = 0;
            }

            long before = size;
            size += bits[j];
            rows++;
            if (size > rule.MinBits && rule.EndsAfter(rolling[j], before, size))
            {
                cuts.Add(j + 1);
                rows = 0;
                size = 0;
            }
        }

        return cuts;
    }
}
