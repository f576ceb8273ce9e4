using System.Buffers;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// The shredded content of one leaf column for one row group: a definition and repetition
/// level per entry and the non-null values in physical form (fixed-width rows of
/// <see cref="Width"/> bytes, BOOLEAN one byte each, or byte arrays as offsets into one data
/// buffer). Levels are stored only when the leaf can have them: a leaf with no repetition
/// (not inside a list) has every entry start a row, and a required leaf has every entry a
/// value, so those levels would be constant and are not kept. Storage is rented from
/// <see cref="ArrayPool{T}.Shared"/> and returned by <see cref="Dispose"/>, because a row
/// group's buffers are megabytes and are needed again for the next row group.
/// </summary>
internal sealed class ColumnBuffer : IDisposable
{
    private static readonly string Overflow = $"a column chunk of more than {Array.MaxLength} entries or bytes";
    private readonly PooledArray<int> _definition = new(256, Overflow);
    private readonly PooledArray<int> _repetition = new(256, Overflow);
    private readonly PooledArray<byte> _fixed = new(256, Overflow);
    private readonly PooledArray<int> _offsets = new(256, Overflow);
    private readonly PooledArray<byte> _data = new(256, Overflow);
    private int _entries;
    private int _byteArrays;

    public ColumnBuffer(int width, bool definitionLevels, bool repetitionLevels)
    {
        Width = width;
        HasDefinitionLevels = definitionLevels;
        HasRepetitionLevels = repetitionLevels;
        if (width == 0)
        {
            _offsets.Append(1)[0] = 0;
        }
    }

    /// <summary>A buffer for <paramref name="leaf"/>'s entries.</summary>
    public ColumnBuffer(LeafPlan leaf) : this(leaf.Width, leaf.MaxDefinitionLevel > 0, leaf.MaxRepetitionLevel > 0)
    {
    }

    /// <summary>Bytes per fixed-width value; 0 for byte arrays.</summary>
    public int Width { get; }

    /// <summary>Whether definition levels are kept (else every entry is a value).</summary>
    public bool HasDefinitionLevels { get; }

    /// <summary>Whether repetition levels are kept (else every entry starts a row).</summary>
    public bool HasRepetitionLevels { get; }

    public int EntryCount => _entries;

    public int ValueCount => Width == 0 ? _byteArrays : _fixed.Count / Width;

    /// <summary>Definition levels, one per entry; empty when <see cref="HasDefinitionLevels"/> is false.</summary>
    public ReadOnlySpan<int> Definition => _definition.Span;

    /// <summary>Repetition levels, one per entry; empty when <see cref="HasRepetitionLevels"/> is false.</summary>
    public ReadOnlySpan<int> Repetition => _repetition.Span;

    public ReadOnlySpan<byte> FixedValues => _fixed.Span;

    /// <summary>For byte arrays: <see cref="ValueCount"/> + 1 offsets into <see cref="Data"/>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets.Span;

    /// <summary>For byte arrays: all values back to back.</summary>
    public ReadOnlySpan<byte> Data => _data.Span;

    /// <summary>Value <paramref name="index"/>'s bytes (fixed row or byte array).</summary>
    public ReadOnlySpan<byte> Value(int index)
    {
        if (Width != 0)
        {
            return _fixed.Span.Slice(index * Width, Width);
        }
        ReadOnlySpan<int> offsets = _offsets.Span;
        return _data.Span[offsets[index]..offsets[index + 1]];
    }

    /// <summary>Adds one entry per level pair (each level kept only when the leaf keeps it).</summary>
    public void AddEntries(ReadOnlySpan<int> definition, ReadOnlySpan<int> repetition)
    {
        if (HasDefinitionLevels)
        {
            definition.CopyTo(_definition.Append(definition.Length));
        }
        if (HasRepetitionLevels)
        {
            repetition.CopyTo(_repetition.Append(repetition.Length));
        }
        _entries = checked(_entries + definition.Length);
    }

    /// <summary>
    /// Adds <paramref name="count"/> entries of a leaf without repetition; returns their
    /// definition levels to fill (empty when the leaf keeps none).
    /// </summary>
    public Span<int> AddFlatEntries(int count)
    {
        if (HasRepetitionLevels)
        {
            throw new InvalidOperationException("flat entries added to a repeated leaf");
        }
        _entries = checked(_entries + count);
        return HasDefinitionLevels ? _definition.Append(count) : default;
    }

    /// <summary>Room for one fixed-width value.</summary>
    public Span<byte> AppendFixed() => _fixed.Append(Width);

    /// <summary>Room for <paramref name="count"/> fixed-width values.</summary>
    public Span<byte> AppendFixed(int count) => _fixed.Append(checked(count * Width));

    /// <summary>Gives back the last <paramref name="count"/> bytes of fixed values (room asked for but not used).</summary>
    public void TrimFixed(int count) => _fixed.Trim(count);

    /// <summary>Room for one byte array of <paramref name="length"/> bytes.</summary>
    public Span<byte> AppendBytes(int length)
    {
        int start = _data.Count;
        Span<byte> target = _data.Append(length);
        _offsets.Append(1)[0] = checked(start + length);
        _byteArrays++;
        return target;
    }

    /// <summary>
    /// Adds byte arrays <c>[first, end)</c> of an Arrow binary layout whose offsets are
    /// <paramref name="offsets"/> (int32 or int64 by <typeparamref name="TOffset"/>): one copy of
    /// their bytes and one pass over their offsets.
    /// </summary>
    public void AppendByteArrays<TOffset>(ReadOnlySpan<TOffset> offsets, ReadOnlySpan<byte> data, int first, int end)
        where TOffset : unmanaged, System.Numerics.IBinaryInteger<TOffset>
    {
        if (end <= first)
        {
            return;
        }
        long start = long.CreateChecked(offsets[first]);
        long stop = long.CreateChecked(offsets[end]);
        int dataStart = _data.Count;
        data[checked((int)start)..checked((int)stop)].CopyTo(_data.Append(checked((int)(stop - start))));
        Span<int> target = _offsets.Append(end - first);
        // Rebase: value i ends at its Arrow end offset minus the run's start, plus where the run landed.
        long shift = dataStart - start;
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = (int)(long.CreateTruncating(offsets[first + 1 + i]) + shift);
        }
        _byteArrays += end - first;
    }

    public void Dispose()
    {
        _definition.Dispose();
        _repetition.Dispose();
        _fixed.Dispose();
        _offsets.Dispose();
        _data.Dispose();
    }
}
