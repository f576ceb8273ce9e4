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
    private readonly PooledArray<int> _keys = new(256, Overflow);
    private int _entries;
    private int _byteArrays;
    private object? _keySource;
    private int _keyBase;
    private int _keyRange;
    private bool _keysLost;

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

    /// <summary>
    /// For each value, a key below <see cref="ValueKeyRange"/> that equal source positions share
    /// (its position in the Arrow dictionary it came from, offset per dictionary), or empty when
    /// some value came without one. Equal keys are equal values; equal values may have different
    /// keys (two dictionaries, or a dictionary holding a value twice), so a key only spares
    /// <see cref="ValueDictionary"/> hashing a value it has met under the same key.
    /// </summary>
    public ReadOnlySpan<int> ValueKeys => !_keysLost && _keys.Count == ValueCount ? _keys.Span : default;

    /// <summary>One more than the largest of <see cref="ValueKeys"/>.</summary>
    public int ValueKeyRange => _keyRange;

    /// <summary>
    /// Gives the values just appended their keys: each one's position in <paramref name="source"/>
    /// (the dictionary values they were read from, <paramref name="sourceLength"/> of them), given
    /// as the entries' slots, negative for an entry without a value. Values appended without keys,
    /// before or after, leave the buffer without any.
    /// </summary>
    public void AddValueKeys(object source, int sourceLength, ReadOnlySpan<int> slots)
    {
        if (_keysLost)
        {
            return;
        }
        if (!ReferenceEquals(source, _keySource))
        {
            _keySource = source;
            _keyBase = _keyRange;
            _keyRange = checked(_keyRange + sourceLength);
        }
        int before = _keys.Count;
        Span<int> keys = _keys.Append(slots.Length);
        int k = 0;
        foreach (int slot in slots)
        {
            if (slot < 0)
            {
                continue;
            }
            // A position outside the source would share another source's key: no keys rather than a wrong one.
            if (slot >= sourceLength)
            {
                _keysLost = true;
                return;
            }
            keys[k++] = _keyBase + slot;
        }
        _keys.Trim(slots.Length - k);
        _keysLost = before + k != ValueCount;
    }

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

    /// <summary>
    /// Adds the byte arrays at <paramref name="slots"/> (negative: no value) of an Arrow binary
    /// layout with int32 <paramref name="offsets"/>, its slots counted from <paramref name="offset"/>:
    /// room taken once for all of them, one copy per run of consecutive slots (a list's items are one run).
    /// </summary>
    public void GatherByteArrays(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> data, int offset, ReadOnlySpan<int> slots)
    {
        long bytes = 0;
        int present = 0;
        foreach (int slot in slots)
        {
            if (slot >= 0)
            {
                bytes += offsets[offset + slot + 1] - offsets[offset + slot];
                present++;
            }
        }
        int dataStart = _data.Count;
        Span<byte> target = _data.Append(checked((int)bytes));
        Span<int> ends = _offsets.Append(present);
        int written = 0;
        int k = 0;
        int i = 0;
        while (i < slots.Length)
        {
            if (slots[i] < 0)
            {
                i++;
                continue;
            }
            int first = offset + slots[i];
            int end = first + 1;
            i++;
            while (i < slots.Length && offset + slots[i] == end)
            {
                end++;
                i++;
            }
            int from = offsets[first];
            int to = offsets[end];
            data[from..to].CopyTo(target[written..]);
            // Rebase: each value ends at its Arrow end offset minus the run's start, plus where the run landed.
            int shift = dataStart + written - from;
            for (int s = first + 1; s <= end; s++)
            {
                ends[k++] = offsets[s] + shift;
            }
            written += to - from;
        }
        _byteArrays += present;
    }

    public void Dispose()
    {
        _definition.Dispose();
        _repetition.Dispose();
        _fixed.Dispose();
        _offsets.Dispose();
        _data.Dispose();
        _keys.Dispose();
    }
}
