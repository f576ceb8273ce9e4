using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ArrowCid.Parquet.Thrift;

/// <summary>
/// Writer of the thrift compact protocol into an <see cref="IBufferWriter{T}"/>. Output is
/// deterministic: fields are written in the order the caller gives (parquet structs write them
/// in ascending id order), short-form headers whenever the id delta is 1..15, short-form list
/// headers for fewer than 15 elements, booleans in lists as 1/2.
/// </summary>
public sealed class ThriftCompactWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly Stack<short> _enclosingLastIds = new();
    private short _lastFieldId;

    /// <summary>Creates a writer appending to <paramref name="output"/>.</summary>
    public ThriftCompactWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Starts a struct (its fields' ids are deltas from zero again).</summary>
    public void BeginStruct()
    {
        _enclosingLastIds.Push(_lastFieldId);
        _lastFieldId = 0;
    }

    /// <summary>Writes the stop field and returns to the enclosing struct.</summary>
    public void EndStruct()
    {
        WriteRawByte(0);
        _lastFieldId = _enclosingLastIds.Count > 0 ? _enclosingLastIds.Pop() : (short)0;
    }

    /// <summary>Writes a field header; for booleans use <see cref="WriteBoolField"/>.</summary>
    public void WriteFieldHeader(short id, ThriftType type)
    {
        if (type is ThriftType.BooleanTrue or ThriftType.BooleanFalse)
        {
            throw new ArgumentException("boolean fields carry their value: use WriteBoolField", nameof(type));
        }
        WriteHeader(id, (byte)type);
    }

    /// <summary>Writes a boolean field (the value lives in the header's type nibble).</summary>
    public void WriteBoolField(short id, bool value) => WriteHeader(id, value ? (byte)1 : (byte)2);

    /// <summary>Writes an i8 value.</summary>
    public void WriteByte(sbyte value) => WriteRawByte(unchecked((byte)value));

    /// <summary>Writes an i16 value.</summary>
    public void WriteI16(short value) => WriteVarint(ZigZag(value));

    /// <summary>Writes an i32 value.</summary>
    public void WriteI32(int value) => WriteVarint(ZigZag(value));

    /// <summary>Writes an i64 value.</summary>
    public void WriteI64(long value) => WriteVarint(ZigZag(value));

    /// <summary>Writes a double, 8 bytes little-endian.</summary>
    public void WriteDouble(double value)
    {
        Span<byte> span = _output.GetSpan(8);
        BinaryPrimitives.WriteDoubleLittleEndian(span, value);
        _output.Advance(8);
    }

    /// <summary>Writes a boolean list element.</summary>
    public void WriteBool(bool value) => WriteRawByte(value ? (byte)1 : (byte)2);

    /// <summary>Writes length-prefixed bytes.</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteVarint((ulong)value.Length);
        _output.Write(value);
    }

    /// <summary>Writes a UTF-8 string.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)length);
        Span<byte> span = _output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(length);
    }

    /// <summary>Writes a list (or set) header.</summary>
    public void WriteListHeader(ThriftType elementType, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        byte typeCode = elementType is ThriftType.BooleanTrue or ThriftType.BooleanFalse ? (byte)2 : (byte)elementType;
        if (count < 15)
        {
            WriteRawByte((byte)((count << 4) | typeCode));
        }
        else
        {
            WriteRawByte((byte)(0xF0 | typeCode));
            WriteVarint((ulong)count);
        }
    }

    private void WriteHeader(short id, byte typeCode)
    {
        int delta = id - _lastFieldId;
        if (delta is > 0 and <= 15)
        {
            WriteRawByte((byte)((delta << 4) | typeCode));
        }
        else
        {
            WriteRawByte(typeCode);
            WriteI16(id);
        }
        _lastFieldId = id;
    }

    private static ulong ZigZag(long n) => unchecked((ulong)((n << 1) ^ (n >> 63)));

    private void WriteRawByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void WriteVarint(ulong value)
    {
        Span<byte> span = _output.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _output.Advance(i);
    }
}
