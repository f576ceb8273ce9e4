using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagCbor;

/// <summary>
/// A forward-only DAG-CBOR token reader over a span, in the manner of Utf8JsonReader. Each
/// <see cref="Read"/> checks everything one token can get wrong: shortest heads, no indefinite
/// lengths, only tag 42 (as 0xd82a) around a 0x00-prefixed CID, only 64-bit finite floats, only
/// false/true/null simple values, valid UTF-8, and lengths that fit in what is left of the input.
/// Structure (depth, map keys, trailing bytes) is checked by <see cref="DagCborDecoder"/>.
/// </summary>
public ref struct DagCborReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private int _position;
    private int _valueStart;
    private int _valueLength;
    private Cid? _link;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    /// <param name="data">DAG-CBOR bytes.</param>
    public DagCborReader(ReadOnlySpan<byte> data)
        : this(data, 0)
    {
    }

    internal DagCborReader(ReadOnlySpan<byte> data, long baseOffset)
    {
        _data = data;
        _baseOffset = baseOffset;
        TokenType = DagCborTokenType.None;
    }

    /// <summary>The current token.</summary>
    public DagCborTokenType TokenType { get; private set; }

    /// <summary>Offset of the current token's first byte.</summary>
    public int TokenStart { get; private set; }

    /// <summary>Bytes consumed so far (the offset of the next token).</summary>
    public readonly int BytesConsumed => _position;

    /// <summary>Bytes left after the current token.</summary>
    public readonly int BytesRemaining => _data.Length - _position;

    /// <summary>The current integer (for <see cref="DagCborTokenType.Integer"/>).</summary>
    public Int128 IntegerValue { get; private set; }

    /// <summary>The current float (for <see cref="DagCborTokenType.Float"/>).</summary>
    public double FloatValue { get; private set; }

    /// <summary>Items (list) or entries (map) that follow the current container head.</summary>
    public int ContainerLength { get; private set; }

    /// <summary>The UTF-8 of a string token or the content of a bytes token.</summary>
    public readonly ReadOnlySpan<byte> ValueSpan => _data.Slice(_valueStart, _valueLength);

    /// <summary>The current string token as a .NET string.</summary>
    /// <returns>The string.</returns>
    public readonly string GetString() =>
        TokenType == DagCborTokenType.String ? Encoding.UTF8.GetString(ValueSpan) : throw new InvalidOperationException("The token is not a string.");

    /// <summary>The current link token's CID.</summary>
    /// <returns>The CID.</returns>
    public readonly Cid GetLink() => _link ?? throw new InvalidOperationException("The token is not a link.");

    /// <summary>Advances to the next token.</summary>
    /// <returns>False at the end of the input.</returns>
    /// <exception cref="ContentFormatException">The token is not valid DAG-CBOR.</exception>
    public bool Read()
    {
        _link = null;
        _valueLength = 0;
        if (_position >= _data.Length)
        {
            TokenType = DagCborTokenType.None;
            return false;
        }

        TokenStart = _position;
        byte head = _data[_position];
        var major = (CborMajorType)(head >> 5);
        int minor = head & 0x1F;
        if (major == CborMajorType.SimpleOrFloat)
        {
            ReadSimpleOrFloat(minor);
            return true;
        }

        ulong argument = ReadArgument(minor);
        switch (major)
        {
            case CborMajorType.UnsignedInteger:
                TokenType = DagCborTokenType.Integer;
                IntegerValue = argument;
                break;
            case CborMajorType.NegativeInteger:
                // -1 - n; n above 2^63 - 1 would fall below long.MinValue, outside the supported range.
                if (argument > long.MaxValue)
                {
                    throw Error("Negative integer below -2^63 is outside the supported range", TokenStart);
                }

                TokenType = DagCborTokenType.Integer;
                IntegerValue = -1 - (Int128)argument;
                break;
            case CborMajorType.ByteString:
                TokenType = DagCborTokenType.Bytes;
                TakeValue(argument, "byte string");
                break;
            case CborMajorType.TextString:
                TokenType = DagCborTokenType.String;
                TakeValue(argument, "text string");
                if (!Utf8.IsValid(ValueSpan))
                {
                    throw Error("Text string is not valid UTF-8", TokenStart);
                }

                break;
            case CborMajorType.Array:
                // Every item takes at least one byte, so a longer list cannot be in the input.
                ContainerLength = CheckCount(argument, 1, "list");
                TokenType = DagCborTokenType.StartList;
                break;
            case CborMajorType.Map:
                ContainerLength = CheckCount(argument, 2, "map");
                TokenType = DagCborTokenType.StartMap;
                break;
            case CborMajorType.Tag:
                ReadLink(argument);
                break;
        }

        return true;
    }

    private void ReadSimpleOrFloat(int minor)
    {
        switch (minor)
        {
            case 20:
                TokenType = DagCborTokenType.False;
                _position++;
                return;
            case 21:
                TokenType = DagCborTokenType.True;
                _position++;
                return;
            case 22:
                TokenType = DagCborTokenType.Null;
                _position++;
                return;
            case 23:
                throw Error("undefined is not part of the IPLD data model", TokenStart);
            case 25:
            case 26:
                throw Error("Floats must be encoded in 64-bit form", TokenStart);
            case 27:
                if (_data.Length - _position < 9)
                {
                    throw Error("Float truncated", TokenStart);
                }

                double value = BinaryPrimitives.ReadDoubleBigEndian(_data.Slice(_position + 1, 8));
                if (!double.IsFinite(value))
                {
                    throw Error("NaN and Infinity are not allowed", TokenStart);
                }

                TokenType = DagCborTokenType.Float;
                FloatValue = value;
                _position += 9;
                return;
            case 31:
                throw Error("Break codes (indefinite lengths) are not allowed", TokenStart);
            default:
                throw Error($"Simple value (minor {minor}) is not allowed; only false, true and null", TokenStart);
        }
    }

    // Reads the head's argument and moves past the head, refusing non-shortest forms.
    private ulong ReadArgument(int minor)
    {
        if (minor < 24)
        {
            _position++;
            return (ulong)minor;
        }

        if (minor == 31)
        {
            throw Error("Indefinite-length items are not allowed", TokenStart);
        }

        if (minor > 27)
        {
            throw Error($"Reserved additional information {minor}", TokenStart);
        }

        int size = 1 << (minor - 24);
        if (_data.Length - _position - 1 < size)
        {
            throw Error("Head truncated", TokenStart);
        }

        var bytes = _data.Slice(_position + 1, size);
        ulong value = size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
        ulong shortestMinimum = size switch
        {
            1 => 24,
            2 => (ulong)byte.MaxValue + 1,
            4 => (ulong)ushort.MaxValue + 1,
            _ => (ulong)uint.MaxValue + 1,
        };
        if (value < shortestMinimum)
        {
            throw Error($"Value {value} is not encoded in the shortest form", TokenStart);
        }

        _position += 1 + size;
        return value;
    }

    private void TakeValue(ulong length, string what)
    {
        if (length > (ulong)(_data.Length - _position))
        {
            throw Error($"The {what} declares {length} bytes but only {_data.Length - _position} remain", TokenStart);
        }

        _valueStart = _position;
        _valueLength = (int)length;
        _position += (int)length;
    }

    private readonly int CheckCount(ulong count, int minimumBytesEach, string what)
    {
        if (count > (ulong)(_data.Length - _position) / (ulong)minimumBytesEach)
        {
            throw Error($"The {what} declares {count} entries, more than the {_data.Length - _position} remaining bytes can hold", TokenStart);
        }

        return (int)count;
    }

    private void ReadLink(ulong tag)
    {
        if (tag != DagCborWriter.CidTag)
        {
            throw Error($"Tag {tag} is not allowed; only tag 42 (links)", TokenStart);
        }

        if (_position >= _data.Length || (CborMajorType)(_data[_position] >> 5) != CborMajorType.ByteString)
        {
            throw Error("Tag 42 must wrap a byte string", _position);
        }

        int tagStart = TokenStart;
        TokenStart = _position;
        ulong length = ReadArgument(_data[_position] & 0x1F);
        TakeValue(length, "link");
        TokenStart = tagStart;
        var content = ValueSpan;
        if (content.IsEmpty || content[0] != 0x00)
        {
            throw Error("Link bytes must start with the 0x00 multibase prefix", _valueStart);
        }

        var cid = Cid.Read(content[1..], out int read, _baseOffset + _valueStart + 1);
        if (read != content.Length - 1)
        {
            throw Error("Link bytes hold more than one CID", _valueStart + 1 + read);
        }

        _link = cid;
        TokenType = DagCborTokenType.Link;
    }

    private readonly ContentFormatException Error(string message, int offset) =>
        new($"DAG-CBOR: {message}", _baseOffset + offset);
}
