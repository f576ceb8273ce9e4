using System.Buffers.Binary;
using System.Text;

namespace ArrowCid.Parquet.Thrift;

/// <summary>
/// Forward-only reader of the thrift compact protocol over a span, in the style of
/// <c>Utf8JsonReader</c>: no allocation except for the strings and byte arrays a caller asks for.
/// Every varint, length, count and nesting level is checked against the bytes that remain, so
/// malformed input ends in <see cref="ParquetFormatException"/>, never in an out-of-range read.
/// </summary>
/// <remarks>
/// Structs are read as <c>var saved = reader.BeginStruct(); while (reader.NextField(out var f)) {…}
/// reader.EndStruct(saved);</c>. The compact protocol encodes field ids as deltas from the previous
/// field of the same struct; <see cref="BeginStruct"/> hands back the enclosing struct's last id so
/// that nesting needs no heap stack.
/// </remarks>
public ref struct ThriftCompactReader
{
    /// <summary>How deep structs and containers may nest; parquet.thrift needs fewer than 10.</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private short _lastFieldId;
    private int _depth;

    /// <summary>Creates a reader over <paramref name="buffer"/>, positioned at its start.</summary>
    public ThriftCompactReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _lastFieldId = 0;
        _depth = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    // Every error says where in the thrift bytes it was found.
    private readonly ParquetFormatException Error(string message, Exception? innerException = null) =>
        innerException is null ? new(message) { Offset = _position } : new(message, innerException) { Offset = _position };

    /// <summary>Enters a struct; returns the state to give back to <see cref="EndStruct"/>.</summary>
    public short BeginStruct()
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"thrift: structs nest deeper than {MaxDepth} levels");
        }
        short saved = _lastFieldId;
        _lastFieldId = 0;
        return saved;
    }

    /// <summary>Leaves a struct whose stop field has been read.</summary>
    public void EndStruct(short saved)
    {
        _depth--;
        _lastFieldId = saved;
    }

    /// <summary>Reads the next field header; false at the struct's stop field.</summary>
    public bool NextField(out ThriftField field)
    {
        byte header = ReadRawByte("field header");
        if (header == 0)
        {
            field = default;
            return false;
        }
        int typeCode = header & 0x0F;
        int delta = header >> 4;
        short id;
        if (delta != 0)
        {
            id = unchecked((short)(_lastFieldId + delta));
        }
        else
        {
            long wide = ZigZag(ReadVarint64("field id"));
            if (wide is < short.MinValue or > short.MaxValue)
            {
                throw Error($"thrift: field id {wide} does not fit i16");
            }
            id = (short)wide;
        }
        _lastFieldId = id;
        field = typeCode switch
        {
            1 => new ThriftField(id, ThriftType.Bool, true),
            2 => new ThriftField(id, ThriftType.Bool, false),
            >= 3 and <= 13 => new ThriftField(id, (ThriftType)typeCode, false),
            _ => throw Error($"thrift: field {id} has unknown type code {typeCode}"),
        };
        return true;
    }

    /// <summary>Reads a boolean list element (one byte: 1 true, 0 or 2 false).</summary>
    public bool ReadBool()
    {
        byte b = ReadRawByte("bool");
        return b switch
        {
            1 => true,
            0 or 2 => false,
            _ => throw Error($"thrift: bool element has invalid byte {b}"),
        };
    }

    /// <summary>Reads a signed byte.</summary>
    public sbyte ReadByte() => unchecked((sbyte)ReadRawByte("i8"));

    /// <summary>Reads an i16 (zigzag varint), checking its range.</summary>
    public short ReadI16()
    {
        long v = ZigZag(ReadVarint64("i16"));
        return v is < short.MinValue or > short.MaxValue
            ? throw Error($"thrift: i16 value {v} out of range")
            : (short)v;
    }

    /// <summary>Reads an i32 (zigzag varint), checking its range.</summary>
    public int ReadI32()
    {
        long v = ZigZag(ReadVarint64("i32"));
        return v is < int.MinValue or > int.MaxValue
            ? throw Error($"thrift: i32 value {v} out of range")
            : (int)v;
    }

    /// <summary>Reads an i64 (zigzag varint).</summary>
    public long ReadI64() => ZigZag(ReadVarint64("i64"));

    /// <summary>Reads a double (8 bytes little-endian).</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "double"));

    /// <summary>Reads a binary value as a slice of the input (no copy).</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        ulong length = ReadVarint64("binary length");
        if (length > (ulong)Remaining)
        {
            throw Error($"thrift: binary length {length} exceeds the {Remaining} bytes left");
        }
        return Take((int)length, "binary");
    }

    /// <summary>Reads a UTF-8 string.</summary>
    public string ReadString()
    {
        ReadOnlySpan<byte> bytes = ReadBinary();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw Error("thrift: string is not valid UTF-8", ex);
        }
    }

    /// <summary>Reads a list or set header; the count is checked against the bytes left.</summary>
    public ThriftListHeader ReadListHeader()
    {
        byte header = ReadRawByte("list header");
        int sizeNibble = header >> 4;
        int typeCode = header & 0x0F;
        long count = sizeNibble;
        if (sizeNibble == 15)
        {
            ulong wide = ReadVarint64("list size");
            count = wide > int.MaxValue ? long.MaxValue : (long)wide;
        }
        ThriftType type = ElementType(typeCode, "list");
        // Every element takes at least one byte, so a larger count cannot be honest.
        if (count > Remaining)
        {
            throw Error($"thrift: list of {count} elements exceeds the {Remaining} bytes left");
        }
        return new ThriftListHeader(type, (int)count);
    }

    /// <summary>Skips a value of the given type, at any depth up to <see cref="MaxDepth"/>.</summary>
    public void Skip(ThriftType type)
    {
        switch (type)
        {
            case ThriftType.Bool:
                // A boolean field's value is in its header; in containers Skip is called via SkipElement.
                return;
            case ThriftType.BooleanFalse:
                return;
            case ThriftType.Byte: Take(1, "i8"); return;
            case ThriftType.I16:
            case ThriftType.I32:
            case ThriftType.I64: ReadVarint64("integer"); return;
            case ThriftType.Double: Take(8, "double"); return;
            case ThriftType.Uuid: Take(16, "uuid"); return;
            case ThriftType.Binary: ReadBinary(); return;
            case ThriftType.Struct:
                {
                    short saved = BeginStruct();
                    while (NextField(out ThriftField f))
                    {
                        Skip(f.Type);
                    }
                    EndStruct(saved);
                    return;
                }
            case ThriftType.List:
            case ThriftType.Set:
                {
                    EnterContainer();
                    ThriftListHeader list = ReadListHeader();
                    for (int i = 0; i < list.Count; i++)
                    {
                        SkipElement(list.ElementType);
                    }
                    _depth--;
                    return;
                }
            case ThriftType.Map:
                {
                    EnterContainer();
                    ulong wide = ReadVarint64("map size");
                    if (wide != 0)
                    {
                        if (wide > (ulong)Remaining / 2)
                        {
                            throw Error($"thrift: map of {wide} entries exceeds the {Remaining} bytes left");
                        }
                        byte kv = ReadRawByte("map types");
                        ThriftType keyType = ElementType(kv >> 4, "map key");
                        ThriftType valueType = ElementType(kv & 0x0F, "map value");
                        for (ulong i = 0; i < wide; i++)
                        {
                            SkipElement(keyType);
                            SkipElement(valueType);
                        }
                    }
                    _depth--;
                    return;
                }
            default:
                throw Error($"thrift: cannot skip unknown type {(int)type}");
        }
    }

    private void SkipElement(ThriftType type)
    {
        if (type == ThriftType.Bool)
        {
            ReadBool();
        }
        else
        {
            Skip(type);
        }
    }

    private void EnterContainer()
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"thrift: containers nest deeper than {MaxDepth} levels");
        }
    }

    private readonly ThriftType ElementType(int code, string what) => code switch
    {
        // Booleans in containers: the spec says 2, older writers used 1; both mean "bool".
        1 or 2 => ThriftType.Bool,
        >= 3 and <= 13 => (ThriftType)code,
        _ => throw Error($"thrift: {what} has unknown element type code {code}"),
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static long ZigZag(ulong n) => unchecked((long)(n >> 1) ^ -(long)(n & 1));

    private byte ReadRawByte(string what)
    {
        if (_position >= _buffer.Length)
        {
            throw Error($"thrift: input ends inside {what}");
        }
        return _buffer[_position++];
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw Error($"thrift: input ends inside {what}");
        }
        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private ulong ReadVarint64(string what)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadRawByte(what);
            if (shift == 63 && b > 1)
            {
                throw Error($"thrift: varint for {what} overflows 64 bits");
            }
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw Error($"thrift: varint for {what} is longer than 10 bytes");
    }
}
