using System.Buffers.Binary;
using System.Numerics;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.ObjectStorage;

/// <summary>Where one block lies in a pack object of the tier.</summary>
/// <param name="Pack">The pack's id (the hex SHA-256 of its bytes, the last part of its key).</param>
/// <param name="Offset">Where the block's bytes start in the pack.</param>
/// <param name="Length">The block's length.</param>
public sealed record PackedLocation(string Pack, long Offset, int Length);

/// <summary>One block of a pack, as its index lists it.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="At">Where it lies.</param>
public sealed record PackEntry(Cid Cid, PackedLocation At);

/// <summary>
/// The layout of a pack object (docs/object-storage.md, "Pack objects"): small blocks one after
/// another, then an index naming each (u16 CID length, the binary CID, u64 offset, u32 length,
/// little-endian), then the registry journal entries of its blocks' records (a registry journal's
/// bytes, or none), then a 20-byte trailer: the entry count (u32), the index's length (u32), the
/// journal's length (u32), the CRC-32C of index and journal (u32) and the magic <c>ACBP</c>. The
/// pack's id is the hex SHA-256 of all of it, so a pack written twice is one object and a damaged
/// one shows. Index and journal at the end let a collection or a rebuild read only a pack's tail;
/// the bytes are the truth (every block is hashed when read).
/// </summary>
public static class BucketPack
{
    /// <summary>The trailer's length.</summary>
    public const int TrailerLength = 20;

    /// <summary>A pack's id length (hex SHA-256).</summary>
    public const int IdLength = 64;

    private const uint Magic = 0x50424341; // "ACBP" little-endian

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    // Per entry beside its CID: the CID's length, the offset and the length.
    private const int EntryFixedLength = 2 + 8 + 4;

    /// <summary>Lays out a pack of <paramref name="blocks"/>; the index lists them in order.</summary>
    /// <param name="blocks">The blocks (hashed), at least one.</param>
    /// <param name="journal">Registry journal entries to carry (a journal's bytes), or empty.</param>
    /// <returns>The pack's bytes and where each block lies in it.</returns>
    public static (byte[] Bytes, IReadOnlyList<PackEntry> Entries) Build(IReadOnlyList<HashedBlock> blocks, ReadOnlySpan<byte> journal = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfZero(blocks.Count);
        long bodies = 0;
        int index = 0;
        foreach (var block in blocks)
        {
            bodies += block.Bytes.Length;
            index += EntryFixedLength + block.Cid.Bytes.Length;
        }

        byte[] pack = new byte[checked((int)(bodies + index + journal.Length + TrailerLength))];
        var offsets = new long[blocks.Count];
        long at = 0;
        for (int i = 0; i < blocks.Count; i++)
        {
            offsets[i] = at;
            blocks[i].Bytes.Span.CopyTo(pack.AsSpan((int)at));
            at += blocks[i].Bytes.Length;
        }

        var entry = pack.AsSpan((int)at, index);
        for (int i = 0; i < blocks.Count; i++)
        {
            var cid = blocks[i].Cid.Bytes;
            BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)cid.Length);
            cid.CopyTo(entry[2..]);
            BinaryPrimitives.WriteInt64LittleEndian(entry[(2 + cid.Length)..], offsets[i]);
            BinaryPrimitives.WriteInt32LittleEndian(entry[(10 + cid.Length)..], blocks[i].Bytes.Length);
            entry = entry[(EntryFixedLength + cid.Length)..];
        }

        journal.CopyTo(pack.AsSpan((int)at + index));
        var trailer = pack.AsSpan(pack.Length - TrailerLength);
        BinaryPrimitives.WriteInt32LittleEndian(trailer, blocks.Count);
        BinaryPrimitives.WriteInt32LittleEndian(trailer[4..], index);
        BinaryPrimitives.WriteInt32LittleEndian(trailer[8..], journal.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[12..], Crc32C(pack.AsSpan((int)at, index + journal.Length)));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[16..], Magic);
        string id = IdOf(pack);
        var entries = new PackEntry[blocks.Count];
        for (int i = 0; i < blocks.Count; i++)
        {
            entries[i] = new PackEntry(blocks[i].Cid, new PackedLocation(id, offsets[i], blocks[i].Bytes.Length));
        }

        return (pack, entries);
    }

    /// <summary>A pack's id: the lowercase hex SHA-256 of its bytes.</summary>
    public static string IdOf(ReadOnlySpan<byte> pack) => Convert.ToHexStringLower(Sha256.HashData(pack));

    /// <summary>Whether <paramref name="text"/> has the shape of a pack's id (64 lowercase hex digits).</summary>
    public static bool IsId(ReadOnlySpan<char> text) => text.Length == IdLength && !text.ContainsAnyExcept(HexDigits);

    /// <summary>How long a pack's tail is (index, journal and trailer), from its trailer.</summary>
    /// <param name="trailer">The pack's last <see cref="TrailerLength"/> bytes.</param>
    /// <param name="packLength">The pack's length.</param>
    /// <param name="pack">The pack's id, for the error.</param>
    /// <returns>The tail's length.</returns>
    /// <exception cref="ContentFormatException">Not a pack's trailer, or a tail longer than the pack.</exception>
    public static int TailLengthOf(ReadOnlySpan<byte> trailer, long packLength, string pack)
    {
        var (_, index, journal) = ReadTrailer(trailer, packLength, pack);
        return index + journal + TrailerLength;
    }

    /// <summary>The registry journal a pack carries (a journal's bytes; empty when it carries none).</summary>
    /// <param name="tail">The pack's tail (<see cref="TailLengthOf"/>) or more of its end.</param>
    /// <param name="packLength">The pack's length.</param>
    /// <param name="pack">The pack's id.</param>
    /// <returns>The journal's bytes.</returns>
    /// <exception cref="ContentFormatException">A trailer or check that is not a pack's.</exception>
    public static byte[] ReadJournal(ReadOnlySpan<byte> tail, long packLength, string pack)
    {
        var (_, index, journal) = CheckedTail(tail, packLength, pack);
        return tail.Slice(tail.Length - TrailerLength - journal, journal).ToArray();
    }

    // The trailer's count, index length and journal length, checked against the pack's length.
    private static (int Count, int Index, int Journal) ReadTrailer(ReadOnlySpan<byte> trailer, long packLength, string pack)
    {
        if (trailer.Length != TrailerLength || BinaryPrimitives.ReadUInt32LittleEndian(trailer[16..]) != Magic)
        {
            throw new ContentFormatException($"pack {pack} does not end with a pack trailer");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(trailer);
        int index = BinaryPrimitives.ReadInt32LittleEndian(trailer[4..]);
        int journal = BinaryPrimitives.ReadInt32LittleEndian(trailer[8..]);
        if (index < 0 || journal < 0 || (long)index + journal > packLength - TrailerLength)
        {
            throw new ContentFormatException($"pack {pack}'s trailer gives an index of {index} bytes and a journal of {journal}, beyond its {packLength}");
        }

        return (count, index, journal);
    }

    // The trailer of a tail holding index and journal whole, their check verified.
    private static (int Count, int Index, int Journal) CheckedTail(ReadOnlySpan<byte> tail, long packLength, string pack)
    {
        if (tail.Length < TrailerLength)
        {
            throw new ContentFormatException($"pack {pack} is {tail.Length} bytes, shorter than its trailer");
        }

        var trailer = tail[^TrailerLength..];
        var (count, index, journal) = ReadTrailer(trailer, packLength, pack);
        if (tail.Length < index + journal + TrailerLength || count < 0 || count > index / EntryFixedLength)
        {
            throw new ContentFormatException($"pack {pack}'s trailer gives {count} entries in {index} bytes, which its tail of {tail.Length} does not hold");
        }

        if (Crc32C(tail.Slice(tail.Length - TrailerLength - journal - index, index + journal)) != BinaryPrimitives.ReadUInt32LittleEndian(trailer[12..]))
        {
            throw new ContentFormatException($"pack {pack}'s index does not match its check");
        }

        return (count, index, journal);
    }

    /// <summary>Reads a pack's index.</summary>
    /// <param name="tail">The pack's tail (<see cref="TailLengthOf"/>) or more of its end.</param>
    /// <param name="packLength">The pack's length.</param>
    /// <param name="pack">The pack's id.</param>
    /// <returns>The entries, in order.</returns>
    /// <exception cref="ContentFormatException">A trailer, check or entry that is not a pack's, naming where.</exception>
    public static IReadOnlyList<PackEntry> ReadIndex(ReadOnlySpan<byte> tail, long packLength, string pack)
    {
        var (count, indexLength, journalLength) = CheckedTail(tail, packLength, pack);
        var index = tail.Slice(tail.Length - TrailerLength - journalLength - indexLength, indexLength);
        long indexStart = packLength - TrailerLength - journalLength - indexLength;
        var entries = new PackEntry[count];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            int cidLength = at + 2 <= index.Length ? BinaryPrimitives.ReadUInt16LittleEndian(index[at..]) : -1;
            if (cidLength < 0 || at + EntryFixedLength + cidLength > index.Length)
            {
                throw new ContentFormatException($"pack {pack}'s index entry {i} (at byte {indexStart + at}) runs past the index");
            }

            var cid = Cid.FromBytes(index.Slice(at + 2, cidLength));
            long offset = BinaryPrimitives.ReadInt64LittleEndian(index[(at + 2 + cidLength)..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(index[(at + 10 + cidLength)..]);
            if (offset < 0 || length < 0 || offset + length > indexStart)
            {
                throw new ContentFormatException($"pack {pack}'s index entry {i} (at byte {indexStart + at}) places {cid} at {offset}+{length}, outside the pack's blocks");
            }

            entries[i] = new PackEntry(cid, new PackedLocation(pack, offset, length));
            at += EntryFixedLength + cidLength;
        }

        if (at != index.Length)
        {
            throw new ContentFormatException($"pack {pack}'s index has {index.Length - at} bytes after its {count} entries");
        }

        return entries;
    }

    // CRC-32C (Castagnoli), with the processor's instruction where it has one.
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
