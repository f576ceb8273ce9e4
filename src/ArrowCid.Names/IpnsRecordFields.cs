using ArrowCid.Content;

namespace ArrowCid.Names;

/// <summary>
/// The protobuf <c>IpnsEntry</c> of the IPNS Record spec (proto/ipns.proto), written and read by
/// hand: nine optional fields, each a varint or bytes. No protobuf runtime, so the native library
/// (NativeAOT, trimmed) carries names as the rest does. A field absent is null; unknown fields are
/// skipped, as protobuf readers do.
/// </summary>
internal sealed record IpnsRecordFields
{
    private const int WireVarint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    public byte[]? Value { get; init; }

    public byte[]? SignatureV1 { get; init; }

    public ulong? ValidityType { get; init; }

    public byte[]? Validity { get; init; }

    public ulong? Sequence { get; init; }

    public ulong? Ttl { get; init; }

    public byte[]? PubKey { get; init; }

    public byte[]? SignatureV2 { get; init; }

    public byte[]? Data { get; init; }

    /// <summary>The entry's bytes, fields in number order.</summary>
    public byte[] ToBytes()
    {
        var output = new List<byte>(512);
        Bytes(output, 1, Value);
        Bytes(output, 2, SignatureV1);
        Number(output, 3, ValidityType);
        Bytes(output, 4, Validity);
        Number(output, 5, Sequence);
        Number(output, 6, Ttl);
        Bytes(output, 7, PubKey);
        Bytes(output, 8, SignatureV2);
        Bytes(output, 9, Data);
        return [.. output];
    }

    /// <summary>Reads an entry.</summary>
    /// <exception cref="FormatException">Not protobuf, or a known field of the wrong wire type.</exception>
    public static IpnsRecordFields Parse(ReadOnlySpan<byte> bytes)
    {
        var entry = new IpnsRecordFields();
        int at = 0;
        while (at < bytes.Length)
        {
            ulong key = ReadVarint(bytes, ref at);
            int field = checked((int)(key >> 3));
            int wire = (int)(key & 7);
            switch (wire)
            {
                case WireVarint:
                    ulong number = ReadVarint(bytes, ref at);
                    entry = field switch
                    {
                        3 => entry with { ValidityType = number },
                        5 => entry with { Sequence = number },
                        6 => entry with { Ttl = number },
                        1 or 2 or 4 or 7 or 8 or 9 => throw new FormatException($"field {field} is bytes, not a varint"),
                        _ => entry,
                    };
                    break;
                case LengthDelimited:
                    ulong length = ReadVarint(bytes, ref at);
                    if (length > (ulong)(bytes.Length - at))
                    {
                        throw new FormatException($"field {field} runs past the end of the record");
                    }

                    byte[] value = bytes.Slice(at, (int)length).ToArray();
                    at += (int)length;
                    entry = field switch
                    {
                        1 => entry with { Value = value },
                        2 => entry with { SignatureV1 = value },
                        4 => entry with { Validity = value },
                        7 => entry with { PubKey = value },
                        8 => entry with { SignatureV2 = value },
                        9 => entry with { Data = value },
                        3 or 5 or 6 => throw new FormatException($"field {field} is a varint, not bytes"),
                        _ => entry,
                    };
                    break;
                case Fixed64 or Fixed32:
                    int size = wire == Fixed64 ? 8 : 4;
                    at = size <= bytes.Length - at && field is not (>= 1 and <= 9) ? at + size : throw new FormatException($"field {field} has wire type {wire}");
                    break;
                default:
                    throw new FormatException($"wire type {wire} is not read here");
            }
        }

        return entry;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        try
        {
            ulong value = Content.Multiformats.Varint.Read(bytes[at..], out int read);
            at += read;
            return value;
        }
        catch (ContentFormatException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static void Key(List<byte> output, int field, int wire) => output.AddRange(Content.Multiformats.Varint.ToBytes((ulong)((field << 3) | wire)));

    private static void Bytes(List<byte> output, int field, byte[]? value)
    {
        if (value is not null)
        {
            Key(output, field, LengthDelimited);
            output.AddRange(Content.Multiformats.Varint.ToBytes((ulong)value.Length));
            output.AddRange(value);
        }
    }

    private static void Number(List<byte> output, int field, ulong? value)
    {
        if (value is { } number)
        {
            Key(output, field, WireVarint);
            output.AddRange(Content.Multiformats.Varint.ToBytes(number));
        }
    }
}
