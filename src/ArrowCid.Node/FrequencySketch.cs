namespace ArrowCid.Node;

/// <summary>
/// About how often each key was used lately, in a few bytes a key: a count-min sketch (four rows of
/// byte counters, each key counted in one counter a row, its estimate the least of them) with
/// conservative update, halved every <see cref="SampleFactor"/> uses a tracked block so that old
/// heat fades (TinyLFU's reset, Einziger, Friedman and Manes 2017). <see cref="HeatPolicy{TKey}"/>
/// admits a block into its main space only if it was used more often than the block it evicts.
/// </summary>
/// <remarks>
/// Sized from the blocks tracked: eight counters a row for each, a power of two, grown by doubling
/// (each new counter starts as the one it splits from, so no estimate drops). Not thread-safe.
/// </remarks>
internal sealed class FrequencySketch
{
    /// <summary>Uses a tracked block between two halvings.</summary>
    public const int SampleFactor = 50;

    private const int Rows = 4;
    private const int CountersPerBlock = 8;
    private const int MinimumWidth = 4096;
    private byte[] _counters = new byte[Rows * MinimumWidth];
    private int _width = MinimumWidth;
    private long _uses;

    /// <summary>How often the key with this hash was used lately (an overestimate at worst, never under).</summary>
    public int Estimate(int hash)
    {
        int least = byte.MaxValue;
        for (int row = 0; row < Rows; row++)
        {
            least = Math.Min(least, _counters[Index(hash, row)]);
        }

        return least;
    }

    /// <summary>A use of the key with this hash, with <paramref name="trackedBlocks"/> blocks tracked (the sketch grows to fit them).</summary>
    public void Increment(int hash, int trackedBlocks)
    {
        Grow(trackedBlocks);
        int estimate = Estimate(hash);
        if (estimate < byte.MaxValue)
        {
            // Conservative update: only the counters at the least go up, so a shared counter
            // inflates other keys' estimates less.
            for (int row = 0; row < Rows; row++)
            {
                int index = Index(hash, row);
                if (_counters[index] == estimate)
                {
                    _counters[index]++;
                }
            }
        }

        if (++_uses >= (long)SampleFactor * Math.Max(trackedBlocks, MinimumWidth / CountersPerBlock))
        {
            Halve();
        }
    }

    private void Halve()
    {
        _uses = 0;
        for (int i = 0; i < _counters.Length; i++)
        {
            _counters[i] >>= 1;
        }
    }

    private void Grow(int trackedBlocks)
    {
        long wanted = (long)trackedBlocks * CountersPerBlock;
        if (wanted <= _width || _width >= Array.MaxLength / Rows / 2)
        {
            return;
        }

        int width = _width;
        while (width < wanted && width < Array.MaxLength / Rows / 2)
        {
            width *= 2;
        }

        // A key's counter at the new width is one whose low bits name its counter at the old width.
        var counters = new byte[Rows * width];
        for (int row = 0; row < Rows; row++)
        {
            for (int i = 0; i < width; i++)
            {
                counters[(row * width) + i] = _counters[(row * _width) + (i & (_width - 1))];
            }
        }

        _counters = counters;
        _width = width;
    }

    // A counter of each row, from the hash mixed with the row (SplitMix64's finalizer).
    private int Index(int hash, int row)
    {
        ulong x = (uint)hash + ((ulong)(row + 1) * 0x9E3779B97F4A7C15UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (row * _width) + (int)(x & (ulong)(_width - 1));
    }
}
