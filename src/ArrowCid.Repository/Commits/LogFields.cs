using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// The field encoding the repository's logs share (<see cref="LoggedRows"/>, <see cref="JournalEntry"/>):
/// counts, lengths and numbers are multiformats unsigned varints (LEB128, at most 63 bits; signed
/// numbers zigzagged); a string is its UTF-8 length plus one (0 for null) and its bytes; bytes are
/// their length and themselves; a time is 8 bytes little-endian.
/// </summary>
internal static class LogFields
{
    public static void WriteByte(ArrayBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    public static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value) =>
        writer.Advance(Varint.Write(value, writer.GetSpan(Varint.MaxLength)));

    public static void WriteSigned(ArrayBufferWriter<byte> writer, long value) =>
        WriteVarint(writer, (ulong)((value << 1) ^ (value >> 63)));

    public static void WriteInt64(ArrayBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    public static void WriteBytes(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(writer, (ulong)bytes.Length);
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    public static void WriteCid(ArrayBufferWriter<byte> writer, Cid cid) => WriteBytes(writer, cid.Bytes);

    public static void WriteString(ArrayBufferWriter<byte> writer, string? text)
    {
        if (text is null)
        {
            WriteVarint(writer, 0);
            return;
        }

        int length = Encoding.UTF8.GetByteCount(text);
        WriteVarint(writer, (ulong)length + 1);
        writer.Advance(Encoding.UTF8.GetBytes(text, writer.GetSpan(length)));
    }
}

/// <summary>
/// Reads the fields <see cref="LogFields"/> writes, in turn; any short or out-of-range read is an
/// <see cref="InvalidDataException"/> naming <paramref name="what"/>, never an index exception.
/// </summary>
/// <param name="payload">The entry's bytes.</param>
/// <param name="what">What the bytes are, for errors ("a logged registry entry").</param>
internal ref struct LogFieldReader(ReadOnlySpan<byte> payload, string what)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private readonly string _what = what;
    private int _at;

    public readonly bool AtEnd => _at == _payload.Length;

    public byte Byte() => Take(1)[0];

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong Varint()
    {
        if (!Content.Multiformats.Varint.TryRead(_payload[_at..], out ulong value, out int length))
        {
            throw Damaged();
        }

        _at += length;
        return value;
    }

    public long Signed()
    {
        ulong value = Varint();
        return (long)(value >> 1) ^ -(long)(value & 1);
    }

    // A count of items that each take at least one byte, so a damaged count cannot ask for more than is there.
    public int Count()
    {
        ulong count = Varint();
        return count <= (ulong)(_payload.Length - _at) ? (int)count : throw Damaged();
    }

    public string? String()
    {
        ulong length = Varint();
        return length == 0 ? null : Encoding.UTF8.GetString(Take(length - 1));
    }

    public ReadOnlySpan<byte> Bytes() => Take(Varint());

    public Cid Cid()
    {
        try
        {
            return Content.Multiformats.Cid.FromBytes(Take(Varint()));
        }
        catch (ContentFormatException e)
        {
            throw new InvalidDataException($"{_what} holds a malformed CID.", e);
        }
    }

    private ReadOnlySpan<byte> Take(ulong length)
    {
        if (length > (ulong)(_payload.Length - _at))
        {
            throw Damaged();
        }

        var taken = _payload.Slice(_at, (int)length);
        _at += (int)length;
        return taken;
    }

    private readonly InvalidDataException Damaged() => new($"{_what} is shorter than its fields say.");
}
