using ArrowCid.Parquet.Encodings;

namespace ArrowCid.Parquet.Reading;

/// <summary>The decoded entries of a dictionary page: fixed-width rows or byte arrays.</summary>
internal sealed class DictionaryValues
{
    private DictionaryValues(int count, byte[]? fixedRows, ByteArrayValues? binary)
    {
        Count = count;
        FixedRows = fixedRows;
        Binary = binary;
    }

    public int Count { get; }

    /// <summary>Count × width bytes, for fixed-width columns.</summary>
    public byte[]? FixedRows { get; }

    /// <summary>The entries of a BYTE_ARRAY column.</summary>
    public ByteArrayValues? Binary { get; }

    public static DictionaryValues OfFixed(int count, byte[] rows) => new(count, rows, null);

    public static DictionaryValues OfBinary(ByteArrayValues values) => new(values.Count, null, values);
}
