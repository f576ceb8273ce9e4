using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Decodes the values section of one data page (and the chunk's dictionary page) of one leaf
/// column into <see cref="PageValues"/>: fixed-width types as rows of <see cref="Width"/> bytes
/// (booleans one byte each), BYTE_ARRAY through a <see cref="ByteArrayBuilder"/>. Every encoding
/// goes through the same fixed-width or byte-array sink, so each encoding is written once for
/// all types. What a page decodes to is taken from the <see cref="DecodeBudget"/> before it is
/// allocated.
/// </summary>
internal sealed class PageValueDecoder
{
    private readonly string _column;
    private readonly PhysicalType _type;
    private DictionaryValues? _dictionary;
    // The page being decoded: its fixed-width rows or its byte arrays, and where the next row goes.
    private byte[] _rows = [];
    private int _rowsWritten;
    private ByteArrayBuilder _binary = new();

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

    /// <summary>Decodes the dictionary page; returns the bytes its entries hold (kept for the whole chunk).</summary>
    public long ReadDictionary(ReadOnlySpan<byte> data, DictionaryPageHeader header)
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
            return builder.ByteLength + (4L * (count + 1));
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
        return rows.Length;
    }

    /// <summary>Decodes the <paramref name="count"/> values of one data page, taking what they hold from <paramref name="budget"/>.</summary>
    public PageValues ReadValues(ReadOnlySpan<byte> data, Encoding encoding, int count, DecodeBudget budget, string page)
    {
        if (count == 0)
        {
            // An all-null page has no values; some writers leave its values section empty.
            return PageValues.Empty;
        }
        if (Width == 0)
        {
            // Offsets are 4 bytes a value; the data may grow up to what the budget has left.
            long offsetBytes = 4L * (count + 1);
            _binary = new ByteArrayBuilder { ByteLimit = Math.Max(0, budget.Available - offsetBytes) };
        }
        else
        {
            long bytes = (long)count * Width;
            if (bytes > Array.MaxLength)
            {
                throw Error($"{count} values of {Width} bytes are too many");
            }
            budget.Take(bytes, page);
            _rows = new byte[bytes];
            _rowsWritten = 0;
        }
        try
        {
            Decode(data, encoding, count);
        }
        catch (ParquetFormatException ex) when (ex.Column is null)
        {
            // The encodings know bytes, not columns: the message is given its column here.
            throw new ParquetFormatException($"column {_column}: {ex.Message}", ex) { Column = _column };
        }
        if (Width == 0)
        {
            ByteArrayValues values = _binary.Build();
            _binary = new ByteArrayBuilder();
            long bytes = values.Data.Length + (4L * values.Offsets.Length);
            budget.Take(bytes, page);
            return new PageValues(values.Count, null, values, bytes);
        }
        byte[] rows = _rows;
        _rows = [];
        return _rowsWritten == rows.Length
            ? new PageValues(count, rows, null, rows.Length)
            : throw Error($"the page decoded {_rowsWritten / Width} of {count} values");
    }

    /// <summary>The values of a slice of a chunk, made from pieces of its pages in order.</summary>
    public ColumnValues Concat(IReadOnlyList<PageValueRange> pieces)
    {
        int count = 0;
        foreach (PageValueRange piece in pieces)
        {
            count += piece.Count;
        }
        if (Width == 0)
        {
            long dataLength = 0;
            foreach (PageValueRange piece in pieces)
            {
                int[] o = piece.Page.Binary!.Offsets;
                dataLength += o[piece.Start + piece.Count] - o[piece.Start];
            }
            int[] offsets = new int[count + 1];
            byte[] data = new byte[dataLength];
            int next = 0;
            int end = 0;
            foreach (PageValueRange piece in pieces)
            {
                ByteArrayValues page = piece.Page.Binary!;
                int first = page.Offsets[piece.Start];
                int length = page.Offsets[piece.Start + piece.Count] - first;
                page.Data.AsSpan(first, length).CopyTo(data.AsSpan(end));
                for (int i = 1; i <= piece.Count; i++)
                {
                    offsets[next + i] = end + page.Offsets[piece.Start + i] - first;
                }
                next += piece.Count;
                end += length;
            }
            return new BinaryValues(new ByteArrayValues(offsets, data), _type);
        }
        return _type switch
        {
            PhysicalType.Boolean => new PrimitiveValues<bool>(ConcatRows<bool>(pieces, count)),
            PhysicalType.Int32 => new PrimitiveValues<int>(ConcatRows<int>(pieces, count)),
            PhysicalType.Int64 => new PrimitiveValues<long>(ConcatRows<long>(pieces, count)),
            PhysicalType.Int96 => new PrimitiveValues<Int96>(ConcatRows<Int96>(pieces, count)),
            PhysicalType.Float => new PrimitiveValues<float>(ConcatRows<float>(pieces, count)),
            PhysicalType.Double => new PrimitiveValues<double>(ConcatRows<double>(pieces, count)),
            _ => new BinaryValues(FixedRowsAsByteArrays(ConcatRows<byte>(pieces, count * Width), count), _type),
        };
    }

    private T[] ConcatRows<T>(IReadOnlyList<PageValueRange> pieces, int count) where T : unmanaged
    {
        var values = new T[count];
        Span<byte> target = MemoryMarshal.AsBytes(values.AsSpan());
        int at = 0;
        foreach (PageValueRange piece in pieces)
        {
            ReadOnlySpan<byte> rows = piece.Page.Rows.AsSpan(piece.Start * Width, piece.Count * Width);
            rows.CopyTo(target[at..]);
            at += rows.Length;
        }
        return values;
    }

    private void Decode(ReadOnlySpan<byte> data, Encoding encoding, int count)
    {
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
            if (Width == 0)
            {
                // A few index bits can name a long entry many times: the expansion is checked first.
                long expanded = 0;
                foreach (int index in span)
                {
                    expanded += (uint)index < (uint)dictionary.Count ? dictionary.Binary![index].Length : 0;
                }
                _binary.EnsureRoom(expanded);
            }
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

    private ByteArrayValues FixedRowsAsByteArrays(byte[] rows, int count)
    {
        int[] offsets = new int[count + 1];
        for (int i = 0; i <= count; i++)
        {
            offsets[i] = i * Width;
        }
        return new ByteArrayValues(offsets, rows);
    }

    /// <summary>The next <paramref name="count"/> rows of the page being decoded.</summary>
    private Span<byte> AppendRows(int count)
    {
        Span<byte> rows = _rows.AsSpan(_rowsWritten, count * Width);
        _rowsWritten += rows.Length;
        return rows;
    }

    private ParquetFormatException Error(string message) => new($"column {_column}: {message}") { Column = _column };
}

/// <summary>The values one data page decoded to: fixed-width rows or byte arrays, and the bytes they take.</summary>
internal sealed record PageValues(int Count, byte[]? Rows, ByteArrayValues? Binary, long Bytes)
{
    public static PageValues Empty { get; } = new(0, [], ByteArrayValues.Empty, 0);
}

/// <summary>Values <see cref="Start"/> to <see cref="Start"/> + <see cref="Count"/> of one page.</summary>
internal readonly record struct PageValueRange(PageValues Page, int Start, int Count);
