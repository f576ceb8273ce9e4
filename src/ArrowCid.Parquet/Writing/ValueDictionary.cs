namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Dictionary encoding of one column chunk's values: the distinct values in first-seen order and
/// each value's index. Gives up (returns null) as soon as the distinct values' PLAIN size passes
/// the limit, or when after <see cref="SampleValues"/> values more than half are distinct (a
/// dictionary would then be larger than PLAIN and hashing every value only costs time, as for
/// keys, measurements and free text), so the caller falls back to PLAIN without building a
/// useless dictionary.
/// </summary>
internal sealed class ValueDictionary
{
    /// <summary>Values seen before the distinct ratio is judged.</summary>
    public const int SampleValues = 4096;

    private ValueDictionary(int[] entries, int[] indices, long plainSize)
    {
        Entries = entries;
        Indices = indices;
        PlainSize = plainSize;
    }

    /// <summary>For each dictionary entry, the index of a value (in the buffer) that holds it.</summary>
    public int[] Entries { get; }

    /// <summary>For each value of the buffer, its dictionary index.</summary>
    public int[] Indices { get; }

    public long PlainSize { get; }

    public static ValueDictionary? TryBuild(ColumnBuffer buffer, long sizeLimit)
    {
        var lookup = new Dictionary<int, int>(new ValueComparer(buffer));
        var entries = new List<int>();
        int count = buffer.ValueCount;
        // Sized for the sample first: most chunks that give up do so there, and a full-size
        // index array per chunk was a large-object allocation thrown away each time.
        int[] indices = new int[Math.Min(count, SampleValues)];
        long plainSize = 0;
        for (int i = 0; i < count; i++)
        {
            if (i == indices.Length)
            {
                Array.Resize(ref indices, count);
            }
            if (!lookup.TryGetValue(i, out int index))
            {
                index = entries.Count;
                lookup.Add(i, index);
                entries.Add(i);
                plainSize += buffer.Width == 0 ? 4 + buffer.Value(i).Length : buffer.Width;
                if (plainSize > sizeLimit)
                {
                    return null;
                }
            }
            indices[i] = index;
            if (i + 1 == SampleValues && entries.Count * 2 > SampleValues)
            {
                return null;
            }
        }
        return new ValueDictionary([.. entries], indices, plainSize);
    }

    /// <summary>Compares values of the buffer by their bytes, addressed by value index.</summary>
    private sealed class ValueComparer(ColumnBuffer buffer) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => buffer.Value(x).SequenceEqual(buffer.Value(y));

        public int GetHashCode(int obj)
        {
            var hash = new HashCode();
            hash.AddBytes(buffer.Value(obj));
            return hash.ToHashCode();
        }
    }
}
