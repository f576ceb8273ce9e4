using System.Buffers;
using System.Runtime.InteropServices;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Running min, max and null count of a page or column chunk. Values larger than
/// <see cref="MaxValueBytes"/> make min/max unavailable (the null count stays), so huge binary
/// values never bloat the footer or the column index.
/// </summary>
internal sealed class StatisticsAccumulator
{
    public const int MaxValueBytes = 4096;

    private readonly StatisticsOrder _order;
    private byte[]? _min;
    private byte[]? _max;
    private bool _tooLarge;

    public StatisticsAccumulator(StatisticsOrder order) => _order = order;

    public long NullCount { get; private set; }

    /// <summary>Whether min and max are known (some non-NaN value was seen and none was too large).</summary>
    public bool HasMinMax => _min is not null && !_tooLarge && _order != StatisticsOrder.None;

    public byte[] Min => StatisticsComparer.AdjustZero(_order, (byte[])_min!.Clone(), isMin: true);

    public byte[] Max => StatisticsComparer.AdjustZero(_order, (byte[])_max!.Clone(), isMin: false);

    public void AddNulls(long count) => NullCount += count;

    public void Add(ReadOnlySpan<byte> value)
    {
        if (_order == StatisticsOrder.None || _tooLarge || StatisticsComparer.IsNaN(_order, value))
        {
            return;
        }
        if (value.Length > MaxValueBytes)
        {
            _tooLarge = true;
            return;
        }
        if (_min is null || StatisticsComparer.Compare(_order, value, _min) < 0)
        {
            _min = value.ToArray();
        }
        if (_max is null || StatisticsComparer.Compare(_order, value, _max) > 0)
        {
            _max = value.ToArray();
        }
    }

    /// <summary>
    /// Adds values <paramref name="start"/>..<paramref name="end"/> (exclusive) of
    /// <paramref name="buffer"/>. The range's own minimum and maximum are found first, in one
    /// typed pass for the common orders (no per-value dispatch or copies), and only they go
    /// through <see cref="Add"/>: the result is the same as adding every value, because a
    /// minimum of minimums is the minimum, NaNs are skipped either way, and among values that
    /// compare equal (-0 and +0) the first one seen is kept in both.
    /// </summary>
    public void AddRange(ColumnBuffer buffer, int start, int end)
    {
        if (_order == StatisticsOrder.None || _tooLarge || end <= start)
        {
            return;
        }
        int width = buffer.Width;
        ReadOnlySpan<byte> rows = width == 0 ? default : buffer.FixedValues[(start * width)..(end * width)];
        switch (_order)
        {
            case StatisticsOrder.Signed32 when width == 4:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, int>(rows)));
                break;
            case StatisticsOrder.Unsigned32 when width == 4:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, uint>(rows)));
                break;
            case StatisticsOrder.Signed64 when width == 8:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, long>(rows)));
                break;
            case StatisticsOrder.Unsigned64 when width == 8:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, ulong>(rows)));
                break;
            case StatisticsOrder.Float when width == 4:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, float>(rows)));
                break;
            case StatisticsOrder.Double when width == 8:
                AddExtremes(buffer, start, MinMax(MemoryMarshal.Cast<byte, double>(rows)));
                break;
            case StatisticsOrder.Boolean when width == 1:
            {
                // Bytes 0 and 1: the first 0 is the minimum and the first 1 the maximum, if present.
                int zero = rows.IndexOf((byte)0);
                int one = rows.IndexOfAnyExcept((byte)0);
                AddExtremes(buffer, start, (zero >= 0 ? zero : one, one >= 0 ? one : zero));
                break;
            }
            case StatisticsOrder.UnsignedBytes when width == 0:
                AddByteArrays(buffer, start, end);
                break;
            default:
                for (int i = start; i < end && !_tooLarge; i++)
                {
                    Add(buffer.Value(i));
                }
                break;
        }
    }

    /// <summary>
    /// As <see cref="AddRange(ColumnBuffer, int, int)"/> for values that <paramref name="dictionary"/>
    /// encodes: byte arrays are compared once per distinct value the range uses rather than once
    /// per value (a dictionary-encoded range repeats few values many times).
    /// </summary>
    public void AddRange(ColumnBuffer buffer, int start, int end, ValueDictionary? dictionary)
    {
        if (dictionary is null || buffer.Width != 0 || _order != StatisticsOrder.UnsignedBytes || _tooLarge || end <= start)
        {
            AddRange(buffer, start, end);
            return;
        }
        int[] entries = dictionary.Entries;
        byte[] used = ArrayPool<byte>.Shared.Rent(entries.Length);
        try
        {
            Span<byte> marks = used.AsSpan(0, entries.Length);
            marks.Clear();
            foreach (int entry in dictionary.Indices.AsSpan(start, end - start))
            {
                marks[entry] = 1;
            }
            int minAt = -1;
            int maxAt = -1;
            for (int entry = 0; entry < marks.Length; entry++)
            {
                if (marks[entry] == 0)
                {
                    continue;
                }
                int at = entries[entry];
                ReadOnlySpan<byte> v = buffer.Value(at);
                if (v.Length > MaxValueBytes)
                {
                    _tooLarge = true;
                    return;
                }
                if (minAt < 0 || v.SequenceCompareTo(buffer.Value(minAt)) < 0)
                {
                    minAt = at;
                }
                if (maxAt < 0 || v.SequenceCompareTo(buffer.Value(maxAt)) > 0)
                {
                    maxAt = at;
                }
            }
            Add(buffer.Value(minAt));
            Add(buffer.Value(maxAt));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(used);
        }
    }

    private void AddExtremes(ColumnBuffer buffer, int start, (int Min, int Max) extremes)
    {
        if (extremes.Min >= 0)
        {
            Add(buffer.Value(start + extremes.Min));
            Add(buffer.Value(start + extremes.Max));
        }
    }

    /// <summary>Indexes of the first minimum and first maximum, NaNs left out; (-1, -1) when there is no other value.</summary>
    private static (int Min, int Max) MinMax<T>(ReadOnlySpan<T> values) where T : struct, System.Numerics.INumber<T>
    {
        int first = 0;
        while (first < values.Length && T.IsNaN(values[first]))
        {
            first++;
        }
        if (first == values.Length)
        {
            return (-1, -1);
        }
        T min = values[first];
        T max = min;
        int minAt = first;
        int maxAt = first;
        // Strict comparisons keep the first of equal values, and are false for NaN, which is so skipped.
        for (int i = first + 1; i < values.Length; i++)
        {
            T v = values[i];
            if (v < min)
            {
                min = v;
                minAt = i;
            }
            else if (v > max)
            {
                max = v;
                maxAt = i;
            }
        }
        return (minAt, maxAt);
    }

    private void AddByteArrays(ColumnBuffer buffer, int start, int end)
    {
        ReadOnlySpan<int> offsets = buffer.Offsets;
        ReadOnlySpan<byte> data = buffer.Data;
        int minAt = start;
        int maxAt = start;
        ReadOnlySpan<byte> min = data[offsets[start]..offsets[start + 1]];
        ReadOnlySpan<byte> max = min;
        for (int i = start; i < end; i++)
        {
            ReadOnlySpan<byte> v = data[offsets[i]..offsets[i + 1]];
            if (v.Length > MaxValueBytes)
            {
                _tooLarge = true;
                return;
            }
            if (v.SequenceCompareTo(min) < 0)
            {
                min = v;
                minAt = i;
            }
            else if (v.SequenceCompareTo(max) > 0)
            {
                max = v;
                maxAt = i;
            }
        }
        Add(buffer.Value(minAt));
        Add(buffer.Value(maxAt));
    }

    public void Merge(StatisticsAccumulator other)
    {
        NullCount += other.NullCount;
        _tooLarge |= other._tooLarge;
        if (other._min is not null)
        {
            Add(other._min);
            Add(other._max!);
        }
    }

    public Metadata.Statistics ToThrift(bool withMinMax) => new()
    {
        NullCount = NullCount,
        MinValue = withMinMax && HasMinMax ? Min : null,
        MaxValue = withMinMax && HasMinMax ? Max : null,
    };
}
