using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Decodes the values section of data pages (and the dictionary page) of one leaf column into
/// one accumulator: fixed-width types as rows of <see cref="Width"/> bytes (booleans one byte
/// each), BYTE_ARRAY into a <see cref="ByteArrayBuilder"/>. Every encoding goes through the
/// same fixed-width or byte-array sink, so each encoding is written once for all types.
/// </summary>
internal sealed class PageValueDecoder
{
    private readonly string _column;
    private readonly PhysicalType _type;
    private readonly GrowableBuffer<byte> _fixed = new();
    private readonly ByteArrayBuilder _binary = new();
    private DictionaryValues? _dictionary;

    public PageValueDecoder(string column, PhysicalType type, int typeLength)
    {
        _column = column;
        _type = type;
        Width = type switch
        {
            PhysicalType.Boolean => 1,
            PhysicalType.Int32 or PhysicalType.Float => 4,
            PhysicalType.Int64 or PhysicalType.Double => 8,
            PhysicalType.Int96 => 12,
            PhysicalType.FixedLenByteArray => typeLength,
            _ => 0,
        };
    }

    /// <summary>Bytes per value, or 0 for BYTE_ARRAY.</summary>
    public int Width { get; }

    public bool HasDictionary => _dictionary is not null;

    public int ValueCount => Width == 0 ? _binary.Count : _fixed.Count / Width;

    public void ReadDictionary(ReadOnlySpan<byte> data, DictionaryPageHeader header)
    {
        if (header.Encoding is not (Encoding.Plain or Encoding.PlainDictionary))
        {
            throw Error($"dictionary page encoding {header.Encoding} is not PLAIN");
        }
        int count = header.NumValues;
        if (count < 0)
        {
            throw Error($"dictionary page has {count} values");
        }
        if (Width == 0)
        {
            var builder = new ByteArrayBuilder();
            PlainEncoding.DecodeByteArrays(data, count, builder);
            _dictionary = DictionaryValues.OfBinary(builder.Build());
            return;
        }
        long needed = _type == PhysicalType.Boolean ? (count + 7L) / 8 : (long)count * Width;
        if (needed > data.Length)
        {
            throw Error($"dictionary page of {count} values needs {needed} bytes, {data.Length} present");
        }
        byte[] rows = new byte[(long)count * Width];
        if (_type == PhysicalType.Boolean)
        {
            PlainEncoding.DecodeBooleans(data, MemoryMarshal.Cast<byte, bool>(rows.AsSpan()));
        }
        else
        {
            data.Slice(0, rows.Length).CopyTo(rows);
        }
        _dictionary = DictionaryValues.OfFixed(count, rows);
    }

    public void ReadValues(ReadOnlySpan<byte> data, Encoding encoding, int count)
    {
        if (count == 0)
        {
            // An all-null page has no values; some writers leave its values section empty.
            return;
        }
        switch (encoding)
        {
            case Encoding.Plain:
                ReadPlain(data, count);
                break;
            case Encoding.PlainDictionary:
            case Encoding.RleDictionary:
                ReadDictionaryIndices(data, count);
                break;
            case Encoding.Rle when _type == PhysicalType.Boolean:
                ReadRleBooleans(data, count);
                break;
            case Encoding.DeltaBinaryPacked when _type == PhysicalType.Int32:
                DeltaBinaryPacked.DecodeInt32(data, MemoryMarshal.Cast<byte, int>(AppendRows(count)));
                break;
            case Encoding.DeltaBinaryPacked when _type == PhysicalType.Int64:
                DeltaBinaryPacked.DecodeInt64(data, MemoryMarshal.Cast<byte, long>(AppendRows(count)));
                break;
            case Encoding.DeltaLengthByteArray when _type == PhysicalType.ByteArray:
                DeltaLengthByteArray.Decode(data, count, _binary);
                break;
            case Encoding.DeltaByteArray when _type == PhysicalType.ByteArray:
                DeltaByteArray.Decode(data, count, _binary);
                break;
            case Encoding.DeltaByteArray when _type == PhysicalType.FixedLenByteArray:
                ReadFixedFromDeltaByteArray(data, count);
                break;
            case Encoding.ByteStreamSplit when _type is PhysicalType.Float or PhysicalType.Double or PhysicalType.Int32
                or PhysicalType.Int64 or PhysicalType.FixedLenByteArray:
                if ((long)count * Width != data.Length)
                {
                    throw Error($"BYTE_STREAM_SPLIT page holds {data.Length} bytes for {count} values of {Width} bytes");
                }
                ByteStreamSplit.Decode(data, Width, count, AppendRows(count));
                break;
            default:
                throw Error($"encoding {encoding} is not supported for {_type}");
        }
    }

    public ColumnValues Build() => _type switch
    {
        PhysicalType.Boolean => new PrimitiveValues<bool>(MemoryMarshal.Cast<byte, bool>(_fixed.Span).ToArray()),
        PhysicalType.Int32 => new PrimitiveValues<int>(MemoryMarshal.Cast<byte, int>(_fixed.Span).ToArray()),
        PhysicalType.Int64 => new PrimitiveValues<long>(MemoryMarshal.Cast<byte, long>(_fixed.Span).ToArray()),
        PhysicalType.Int96 => new PrimitiveValues<Int96>(MemoryMarshal.Cast<byte, Int96>(_fixed.Span).ToArray()),
        PhysicalType.Float => new PrimitiveValues<float>(MemoryMarshal.Cast<byte, float>(_fixed.Span).ToArray()),
        PhysicalType.Double => new PrimitiveValues<double>(MemoryMarshal.Cast<byte, double>(_fixed.Span).ToArray()),
        PhysicalType.FixedLenByteArray => new BinaryValues(FixedRowsAsByteArrays(), _type),
        _ => new BinaryValues(_binary.Build(), _type),
    };

    private void ReadPlain(ReadOnlySpan<byte> data, int count)
    {
        if (Width == 0)
        {
            PlainEncoding.DecodeByteArrays(data, count, _binary);
            return;
        }
        long needed = _type == PhysicalType.Boolean ? (count + 7L) / 8 : (long)count * Width;
        if (needed > data.Length)
        {
            throw Error($"PLAIN page of {count} values needs {needed} bytes, {data.Length} present");
        }
        Span<byte> target = AppendRows(count);
        if (_type == PhysicalType.Boolean)
        {
            PlainEncoding.DecodeBooleans(data, MemoryMarshal.Cast<byte, bool>(target));
        }
        else
        {
            data.Slice(0, target.Length).CopyTo(target);
        }
    }

    private void ReadDictionaryIndices(ReadOnlySpan<byte> data, int count)
    {
        if (count == 0)
        {
            return;
        }
        DictionaryValues dictionary = _dictionary ?? throw Error("a dictionary-encoded page comes without a dictionary page");
        if (data.Length < 1)
        {
            throw Error("dictionary-encoded page has no bit width byte");
        }
        int bitWidth = data[0];
        if (bitWidth > RleBitPackedHybrid.MaxBitWidth)
        {
            throw Error($"dictionary index bit width {bitWidth} exceeds 32");
        }
        int[] indices = ArrayPool<int>.Shared.Rent(count);
        try
        {
            Span<int> span = indices.AsSpan(0, count);
            RleBitPackedHybrid.Decode(data[1..], bitWidth, span);
            Span<byte> target = Width == 0 ? default : AppendRows(count);
            for (int i = 0; i < span.Length; i++)
            {
                int index = span[i];
                if ((uint)index >= (uint)dictionary.Count)
                {
                    throw Error($"dictionary index {index} is outside the {dictionary.Count} entries");
                }
                if (Width == 0)
                {
                    _binary.Add(dictionary.Binary![index]);
                }
                else
                {
                    dictionary.FixedRows.AsSpan(index * Width, Width).CopyTo(target.Slice(i * Width, Width));
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
        }
    }

    private void ReadRleBooleans(ReadOnlySpan<byte> data, int count)
    {
        int[] bits = ArrayPool<int>.Shared.Rent(count);
        try
        {
            RleBitPackedHybrid.DecodeWithLengthPrefix(data, 1, bits.AsSpan(0, count));
            Span<byte> target = AppendRows(count);
            for (int i = 0; i < count; i++)
            {
                target[i] = (byte)bits[i];
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(bits);
        }
    }

    private void ReadFixedFromDeltaByteArray(ReadOnlySpan<byte> data, int count)
    {
        var values = new ByteArrayBuilder();
        DeltaByteArray.Decode(data, count, values);
        Span<byte> target = AppendRows(count);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> value = values[i];
            if (value.Length != Width)
            {
                throw Error($"DELTA_BYTE_ARRAY value {i} has {value.Length} bytes, the column is FIXED_LEN_BYTE_ARRAY({Width})");
            }
            value.CopyTo(target.Slice(i * Width, Width));
        }
    }

    private ByteArrayValues FixedRowsAsByteArrays()
    {
        int count = ValueCount;
        int[] offsets = new int[count + 1];
        for (int i = 0; i <= count; i++)
        {
            offsets[i] = i * Width;
        }
        return new ByteArrayValues(offsets, _fixed.ToArray());
    }

    private Span<byte> AppendRows(int count)
    {
        long bytes = (long)count * Width;
        return bytes <= Array.MaxLength ? _fixed.Append((int)bytes) : throw Error($"{count} values of {Width} bytes are too many");
    }

    private ParquetFormatException Error(string message) => new($"column {_column}: {message}");
}
