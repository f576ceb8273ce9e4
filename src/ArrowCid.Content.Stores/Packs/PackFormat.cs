using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>What a pack record holds.</summary>
internal enum PackRecordType : byte
{
    /// <summary>A block: the CID, then its bytes.</summary>
    Block = 1,

    /// <summary>A deletion: the CID and the (pack, offset) of the one block record it removes.</summary>
    Tombstone = 2,

    /// <summary>A checkpoint written after a sync: everything before it is known to be whole.</summary>
    Seal = 3,

    /// <summary>
    /// An entry of the repository's write-ahead log (a group's registry rows): no CID, an opaque
    /// payload followed by its 8-byte check, so a torn entry is found without knowing what it holds.
    /// </summary>
    LogEntry = 4,
}

/// <summary>One record found in a pack.</summary>
/// <param name="Type">What it holds.</param>
/// <param name="Offset">Where the record starts (a multiple of <see cref="PackFormat.Alignment"/>).</param>
/// <param name="Cid">The block's CID (a tombstone's target CID; null for a seal).</param>
/// <param name="BodyOffset">Where the body starts (aligned).</param>
/// <param name="BodyLength">The body's length.</param>
/// <param name="End">Where the next record starts.</param>
internal readonly record struct PackRecord(PackRecordType Type, long Offset, Cid? Cid, long BodyOffset, int BodyLength, long End);

/// <summary>
/// The record framing of a pack file (docs/repository.md, "Pack files"). Every record starts at a
/// multiple of 64 bytes with a 16-byte header — magic <c>ACPK</c>, type, format version, CID
/// length (u16), body length (u32), and an FNV-1a check over the header's first 12 bytes and the
/// CID — then the binary CID, zero padding to the next multiple of 64, the body and zero padding
/// to the next multiple of 64. A block's body therefore lies 64-byte aligned in the file, so a
/// mapped pack hands out each block as an aligned slice (Arrow buffers need 8). A torn tail shows
/// as a header that is short, has the wrong magic or check, or a record that runs past the end of
/// the file; a block whose bytes were not all written shows when its body is hashed, a log entry's
/// when its check (FNV-1a over the payload) fails. A log entry has no CID and its body follows the
/// 16-byte header directly (it is read, never mapped), so a small entry takes one 64-byte unit or two.
/// </summary>
internal static class PackFormat
{
    /// <summary>Records and bodies start at multiples of this.</summary>
    public const int Alignment = 64;

    /// <summary>The fixed header's length.</summary>
    public const int HeaderLength = 16;

    /// <summary>A tombstone's body: target pack id (u64), target record offset (u64), check (u64).</summary>
    public const int TombstoneBodyLength = 24;

    /// <summary>The check that ends a log entry's body.</summary>
    public const int LogEntryCheckLength = 8;

    /// <summary>The format version written.</summary>
    public const byte Version = 1;

    private const uint Magic = 0x4B504341; // "ACPK" little-endian

    /// <summary>The largest header plus CID, padded.</summary>
    public static int MaxHeadLength => Align(HeaderLength + Cid.MaxBinaryLength);

    /// <summary>Rounds up to the alignment.</summary>
    public static long Align(long value) => (value + Alignment - 1) & ~(long)(Alignment - 1);

    /// <summary>Rounds up to the alignment.</summary>
    public static int Align(int value) => (value + Alignment - 1) & ~(Alignment - 1);

    /// <summary>The length a record takes in the file.</summary>
    public static long RecordLength(int cidLength, long bodyLength) => Align(HeaderLength + cidLength) + Align(bodyLength);

    /// <summary>The length a log entry's record takes: its body follows the header unaligned (it is never mapped), then padding.</summary>
    public static int LogEntryRecordLength(int bodyLength) => Align(HeaderLength + bodyLength);

    /// <summary>Writes a record's head (header, CID, padding) into <paramref name="destination"/>; returns its length (the body's offset in the record).</summary>
    public static int WriteHead(Span<byte> destination, PackRecordType type, Cid? cid, int bodyLength)
    {
        ReadOnlySpan<byte> cidBytes = cid is null ? [] : cid.Bytes;
        int headLength = Align(HeaderLength + cidBytes.Length);
        destination[..headLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = (byte)type;
        destination[5] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], (ushort)cidBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)bodyLength);
        cidBytes.CopyTo(destination[HeaderLength..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], HeadCheck(destination[..12], cidBytes));
        return headLength;
    }

    /// <summary>A tombstone's body for the block record at (<paramref name="pack"/>, <paramref name="offset"/>).</summary>
    public static void WriteTombstoneBody(Span<byte> destination, Cid cid, ulong pack, long offset)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, pack);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], BodyCheck(destination[..16], cid.Bytes));
    }

    /// <summary>Reads a tombstone's target, or null when its body does not check.</summary>
    public static (ulong Pack, long Offset)? ReadTombstoneBody(ReadOnlySpan<byte> body, Cid cid)
    {
        if (body.Length != TombstoneBodyLength || BinaryPrimitives.ReadUInt64LittleEndian(body[16..]) != BodyCheck(body[..16], cid.Bytes))
        {
            return null;
        }

        return (BinaryPrimitives.ReadUInt64LittleEndian(body), BinaryPrimitives.ReadInt64LittleEndian(body[8..]));
    }

    /// <summary>Writes a log entry's body: <paramref name="payload"/>, then its check.</summary>
    public static void WriteLogEntryBody(Span<byte> destination, ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[payload.Length..], Fnv1a64(payload, []));
    }

    /// <summary>Whether a log entry's body (payload and check) is whole.</summary>
    public static bool IsWholeLogEntry(ReadOnlySpan<byte> body) =>
        body.Length >= LogEntryCheckLength
        && BinaryPrimitives.ReadUInt64LittleEndian(body[^LogEntryCheckLength..]) == Fnv1a64(body[..^LogEntryCheckLength], []);

    /// <summary>
    /// Parses the record starting at <paramref name="offset"/> from <paramref name="head"/> (the
    /// file's bytes from there: at least the header and CID, when the file holds them). Null at a
    /// torn or foreign tail: too short, wrong magic, version or check, or running past <paramref name="fileLength"/>.
    /// </summary>
    public static PackRecord? TryParse(ReadOnlySpan<byte> head, long offset, long fileLength)
    {
        if (head.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(head) != Magic || head[5] != Version)
        {
            return null;
        }

        var type = (PackRecordType)head[4];
        int cidLength = BinaryPrimitives.ReadUInt16LittleEndian(head[6..]);
        long bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        if (type is not (PackRecordType.Block or PackRecordType.Tombstone or PackRecordType.Seal or PackRecordType.LogEntry)
            || cidLength > Cid.MaxBinaryLength || head.Length < HeaderLength + cidLength || bodyLength > int.MaxValue)
        {
            return null;
        }

        var cidBytes = head.Slice(HeaderLength, cidLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head[12..]) != HeadCheck(head[..12], cidBytes))
        {
            return null;
        }

        bool logEntry = type == PackRecordType.LogEntry;
        long end = offset + (logEntry ? Align(HeaderLength + bodyLength) : RecordLength(cidLength, bodyLength));
        if (end > fileLength)
        {
            return null;
        }

        Cid? cid = null;
        if (type == PackRecordType.LogEntry)
        {
            if (cidLength != 0 || bodyLength < LogEntryCheckLength)
            {
                return null;
            }
        }
        else if (type != PackRecordType.Seal)
        {
            try
            {
                cid = Cid.FromBytes(cidBytes);
            }
            catch (ContentFormatException)
            {
                return null;
            }
        }
        else if (cidLength != 0 || bodyLength != 0)
        {
            return null;
        }

        long bodyOffset = logEntry ? offset + HeaderLength : offset + Align(HeaderLength + cidLength);
        return new PackRecord(type, offset, cid, bodyOffset, (int)bodyLength, end);
    }

    // A header's check: the low half of FNV-1a over it and its CID; catches a torn or stale header
    // (the body is checked by its hash).
    private static uint HeadCheck(ReadOnlySpan<byte> header, ReadOnlySpan<byte> cid) => (uint)Fnv1a64(header, cid);

    // A tombstone's check over its target and CID; a log entry's over its payload.
    private static ulong BodyCheck(ReadOnlySpan<byte> body, ReadOnlySpan<byte> cid) => Fnv1a64(body, cid);

    // FNV-1a (64-bit) over two spans in turn.
    private static ulong Fnv1a64(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in first)
        {
            hash = (hash ^ b) * 1099511628211;
        }

        foreach (byte b in second)
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash;
    }
}
