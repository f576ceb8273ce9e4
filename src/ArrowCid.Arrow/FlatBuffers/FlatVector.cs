namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// A verified view of one flatbuffer vector: <see cref="Length"/> elements of
/// <see cref="ElementSize"/> bytes, whose whole byte range was checked against the buffer when
/// the vector was opened. Elements that are offsets (tables, strings) are checked as they are
/// followed. An absent vector is the default value, with length 0.
/// </summary>
public readonly ref struct FlatVector
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _start;
    private readonly int _depth;

    internal FlatVector(ReadOnlySpan<byte> buffer, int start, int length, int elementSize, int depth)
    {
        _buffer = buffer;
        _start = start;
        Length = length;
        ElementSize = elementSize;
        _depth = depth;
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Size of one element in bytes, as given when the vector was opened.</summary>
    public int ElementSize { get; }

    /// <summary>All element bytes, contiguous (for byte vectors and packed structs).</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.Slice(_start, Length * ElementSize);

    /// <summary>Reads scalar element <paramref name="index"/> (a primitive number, bool or enum), little-endian.</summary>
    public T Get<T>(int index) where T : unmanaged
    {
        int size = LittleEndianScalar.SizeOf<T>();
        return LittleEndianScalar.Read<T>(_buffer.Slice(ElementAt(index, size), size));
    }

    /// <summary>Follows table element <paramref name="index"/> (a vector of 4-byte offsets).</summary>
    public FlatTable GetTable(int index)
    {
        var what = FlatLocation.Element(index, _start - FlatBufferLimits.OffsetSize);
        int position = FlatBufferSpans.FollowUOffset(_buffer, ElementAt(index, FlatBufferLimits.OffsetSize), what);
        return FlatTable.Open(_buffer, position, _depth + 1, what);
    }

    /// <summary>Reads string element <paramref name="index"/> as validated UTF-8.</summary>
    public string GetString(int index)
    {
        var what = FlatLocation.Element(index, _start - FlatBufferLimits.OffsetSize);
        int position = FlatBufferSpans.FollowUOffset(_buffer, ElementAt(index, FlatBufferLimits.OffsetSize), what);
        return FlatBufferSpans.DecodeUtf8(FlatBufferSpans.ReadStringBytes(_buffer, position, what), position, what);
    }

    /// <summary>The raw bytes of string element <paramref name="index"/> (length and terminator checked).</summary>
    public ReadOnlySpan<byte> GetStringBytes(int index)
    {
        var what = FlatLocation.Element(index, _start - FlatBufferLimits.OffsetSize);
        int position = FlatBufferSpans.FollowUOffset(_buffer, ElementAt(index, FlatBufferLimits.OffsetSize), what);
        return FlatBufferSpans.ReadStringBytes(_buffer, position, what);
    }

    /// <summary>The bytes of struct element <paramref name="index"/>, which must be <see cref="ElementSize"/> bytes.</summary>
    public ReadOnlySpan<byte> GetStructBytes(int index, int structSize) =>
        _buffer.Slice(ElementAt(index, structSize), structSize);

    /// <summary>
    /// Position of element <paramref name="index"/>. A wrong index or element size is a caller
    /// bug (the vector's range itself was validated), so it throws an argument exception.
    /// </summary>
    private int ElementAt(int index, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
        if (size != ElementSize)
        {
            throw new ArgumentException($"Element size {size} does not match the vector's element size {ElementSize}.", nameof(size));
        }

        return _start + (index * ElementSize);
    }
}
