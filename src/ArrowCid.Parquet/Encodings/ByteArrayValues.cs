namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// Variable- or fixed-length byte strings stored as one data buffer and <c>Count + 1</c>
/// offsets into it (value i is <c>Data[Offsets[i]..Offsets[i + 1]]</c>), the layout of an Arrow
/// binary array.
/// </summary>
public sealed class ByteArrayValues
{
    /// <summary>Creates the values from offsets (first 0, non-decreasing) and data.</summary>
    public ByteArrayValues(int[] offsets, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(data);
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] > data.Length)
        {
            throw new ArgumentException("offsets must start at 0 and end within data", nameof(offsets));
        }
        Offsets = offsets;
        Data = data;
    }

    /// <summary>An empty set of values.</summary>
    public static ByteArrayValues Empty { get; } = new([0], []);

    /// <summary>Number of values.</summary>
    public int Count => Offsets.Length - 1;

    /// <summary><c>Count + 1</c> offsets into <see cref="Data"/>.</summary>
    public int[] Offsets { get; }

    /// <summary>All values back to back.</summary>
    public byte[] Data { get; }

    /// <summary>The bytes of value <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> this[int index] => Data.AsSpan(Offsets[index], Offsets[index + 1] - Offsets[index]);

    /// <summary>Creates values from separate byte arrays (tests, small inputs).</summary>
    public static ByteArrayValues From(IEnumerable<byte[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var builder = new ByteArrayBuilder();
        foreach (byte[] v in values)
        {
            builder.Add(v);
        }
        return builder.Build();
    }
}

/// <summary>Appends byte strings into one growing buffer, then builds <see cref="ByteArrayValues"/>.</summary>
public sealed class ByteArrayBuilder
{
    private int[] _offsets = new int[16];
    private byte[] _data = new byte[64];
    private int _count;

    /// <summary>Number of values added.</summary>
    public int Count => _count;

    /// <summary>Bytes added so far.</summary>
    public int ByteLength => _offsets[_count];

    /// <summary>
    /// Bytes the values may reach in all; a value that would pass it is refused before its bytes
    /// are allocated. The reader sets it from its decode budget, since a few encoded bytes can
    /// stand for many (a dictionary index, a shared prefix).
    /// </summary>
    internal long ByteLimit { get; init; } = Array.MaxLength;

    /// <summary>Appends one value.</summary>
    public void Add(ReadOnlySpan<byte> value)
    {
        Span<byte> target = Append(value.Length);
        value.CopyTo(target);
    }

    /// <summary>Appends one value of <paramref name="length"/> bytes and returns where to write it.</summary>
    public Span<byte> Append(int length)
    {
        int start = _offsets[_count];
        long end = (long)start + length;
        if (end > Array.MaxLength)
        {
            throw new ParquetFormatException($"byte array values exceed {Array.MaxLength} bytes in total");
        }
        EnsureRoom(length);
        if (end > _data.Length)
        {
            long capacity = Math.Min(Math.Min(Array.MaxLength, ByteLimit), Math.Max(end, (long)_data.Length * 2));
            Array.Resize(ref _data, (int)capacity);
        }
        if (_count + 2 > _offsets.Length)
        {
            Array.Resize(ref _offsets, _offsets.Length * 2);
        }
        _offsets[++_count] = (int)end;
        return _data.AsSpan(start, length);
    }

    /// <summary>Refuses, before anything is copied, values that would take the builder past <see cref="ByteLimit"/>.</summary>
    internal void EnsureRoom(long bytes)
    {
        if (ByteLength + bytes > ByteLimit)
        {
            throw new ParquetFormatException($"byte array values need {ByteLength + bytes} bytes, more than the {ByteLimit} the reader may still decode (ParquetReadOptions.MaxDecodedBytesHeld and MaxDecodedBytesPerReader; a node's max_parquet_bytes_held and max_decompressed_bytes_per_request)");
        }
    }

    /// <summary>The bytes of value <paramref name="index"/> added earlier.</summary>
    public ReadOnlySpan<byte> this[int index] => _data.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>Builds exactly-sized values.</summary>
    public ByteArrayValues Build() =>
        new(_offsets.AsSpan(0, _count + 1).ToArray(), _data.AsSpan(0, _offsets[_count]).ToArray());
}
