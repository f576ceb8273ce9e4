using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// The shredded content of one leaf column for one row group: a definition and repetition
/// level per entry and the non-null values in physical form (fixed-width rows of
/// <see cref="Width"/> bytes, BOOLEAN one byte each, or byte arrays).
/// </summary>
internal sealed class ColumnBuffer
{
    private readonly GrowableBuffer<int> _definition = new();
    private readonly GrowableBuffer<int> _repetition = new();
    private readonly GrowableBuffer<byte> _fixed = new();
    private readonly ByteArrayBuilder _bytes = new();

    public ColumnBuffer(int width) => Width = width;

    /// <summary>Bytes per fixed-width value; 0 for byte arrays.</summary>
    public int Width { get; }

    public int EntryCount => _definition.Count;

    public int ValueCount => Width == 0 ? _bytes.Count : _fixed.Count / Width;

    public ReadOnlySpan<int> Definition => _definition.Span;

    public ReadOnlySpan<int> Repetition => _repetition.Span;

    public ReadOnlySpan<byte> FixedValues => _fixed.Span;

    /// <summary>Value <paramref name="index"/>'s bytes (fixed row or byte array).</summary>
    public ReadOnlySpan<byte> Value(int index) => Width == 0 ? _bytes[index] : _fixed.Span.Slice(index * Width, Width);

    public void AddLevels(int definition, int repetition)
    {
        _definition.Append(1)[0] = definition;
        _repetition.Append(1)[0] = repetition;
    }

    /// <summary>Room for one fixed-width value.</summary>
    public Span<byte> AppendFixed() => _fixed.Append(Width);

    /// <summary>Room for one byte array of <paramref name="length"/> bytes.</summary>
    public Span<byte> AppendBytes(int length) => _bytes.Append(length);
}
